"""0.x route classes: ``web.PlainRoute``, ``web.DynamicRoute``, ``web.StaticRoute``.

In 0.x ``router.add_route()`` returned a ``PlainRoute`` (a fixed path) or a
``DynamicRoute`` (a path with ``{variables}``) and ``router.add_static()`` a
``StaticRoute``. Since 0.21 routes belong to resources: ``add_route()`` returns a
:class:`heron.web.ResourceRoute` whose ``resource`` is a ``PlainResource`` or a
``DynamicResource``, and ``add_static()`` returns a ``StaticResource``. The old names
are kept as *kinds* over those classes:

* ``isinstance(x, PlainRoute)`` is true for a route of a ``PlainResource`` (or the
  resource itself); likewise ``DynamicRoute`` / ``DynamicResource`` and
  ``StaticRoute`` / ``StaticResource``. So ``isinstance(router.add_route(...),
  web.PlainRoute)`` and ``isinstance(router.add_static(...), web.StaticRoute)`` hold.
* Calling them builds the modern objects: ``PlainRoute(method, handler, name, path)``
  and ``DynamicRoute(method, handler, name, pattern, formatter)`` (the ``formatter``,
  e.g. ``"/users/{id}"``, is the path; the compiled ``pattern`` is not used) return a
  ``ResourceRoute`` on a new resource; ``StaticRoute(name, prefix, directory, ...)``
  returns a ``StaticResource``. Register either with ``router.register_route(x)``.

Looking the names up on ``heron.web`` warns; ``route.url(parts=..., query=...)``
works on all of them (see :func:`heron.legacy.web.resource_url`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, ClassVar

from ..web.resources import AbstractRoute, DynamicResource, PlainResource, ResourceRoute
from ..web.staticfiles import StaticResource
from ._deprecation import warn_deprecated_by_caller

if TYPE_CHECKING:
    from ..web.urldispatcher import UrlDispatcher

__all__ = ("NAMES", "DynamicRoute", "PlainRoute", "StaticRoute", "lookup", "register_route")


class _RouteKind(type):
    """Metaclass of the 0.x names: ``isinstance`` looks at the resource's class."""

    _resource_class: type

    def __instancecheck__(cls, instance: Any) -> bool:
        if isinstance(instance, AbstractRoute):
            instance = instance.resource
        return isinstance(instance, cls._resource_class)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return isinstance(subclass, type) and issubclass(subclass, cls._resource_class)


class PlainRoute(metaclass=_RouteKind):
    """0.x: a route of a fixed path (now a ``ResourceRoute`` of a ``PlainResource``)."""

    _resource_class: ClassVar[type] = PlainResource

    def __new__(  # type: ignore[misc]
        cls, method: str, handler: Any, name: str | None, path: str, *, expect_handler: Any = None
    ) -> ResourceRoute:
        resource = PlainResource(path, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)


class DynamicRoute(metaclass=_RouteKind):
    """0.x: a route of a path with variables (now a route of a ``DynamicResource``)."""

    _resource_class: ClassVar[type] = DynamicResource

    def __new__(  # type: ignore[misc]
        cls,
        method: str,
        handler: Any,
        name: str | None,
        pattern: Any,
        formatter: str,
        *,
        expect_handler: Any = None,
    ) -> ResourceRoute:
        resource = DynamicResource(formatter, name=name)
        return resource.add_route(method, handler, expect_handler=expect_handler)


class StaticRoute(metaclass=_RouteKind):
    """0.x: the static files route (now a ``StaticResource``)."""

    _resource_class: ClassVar[type] = StaticResource

    def __new__(  # type: ignore[misc]
        cls,
        name: str | None,
        prefix: str,
        directory: str | os.PathLike[str],
        *,
        response_factory: Any = None,
        **kwargs: Any,
    ) -> StaticResource:
        # response_factory (0.17) is not supported: files are served with FileResponse.
        return StaticResource(prefix, directory, name=name, **kwargs)


NAMES: dict[str, type] = {
    "PlainRoute": PlainRoute,
    "DynamicRoute": DynamicRoute,
    "StaticRoute": StaticRoute,
}

_MODERN = {
    "PlainRoute": "heron.web.PlainResource (router.add_route())",
    "DynamicRoute": "heron.web.DynamicResource (router.add_route())",
    "StaticRoute": "heron.web.StaticResource (router.add_static())",
}


def lookup(name: str) -> type:
    """``heron.web.<name>`` for the 0.x route names (warns); KeyError for others."""
    cls = NAMES[name]
    warn_deprecated_by_caller(f"heron.web.{name}", _MODERN[name])
    return cls


def register_route(router: UrlDispatcher, route: Any) -> None:
    """``router.register_route(route)`` (0.x): register the route's resource."""
    warn_deprecated_by_caller("UrlDispatcher.register_route()", "router.register_resource()")
    resource = route.resource if isinstance(route, AbstractRoute) else route
    if resource is None:
        raise ValueError(f"{route!r} belongs to no resource")
    router.register_resource(resource)
