"""Route definitions: ``web.get(...)``, ``web.static(...)`` and :class:`RouteTableDef`.

A route definition describes a route without a router; ``app.router.add_routes(defs)``
(or ``app.add_routes``) registers a list of them. ``RouteTableDef`` collects them with
decorators::

    routes = web.RouteTableDef()

    @routes.get("/")
    async def index(request): ...

    app.add_routes(routes)
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .. import hdrs
from .resources import AbstractRoute

if TYPE_CHECKING:
    from .urldispatcher import UrlDispatcher

__all__ = (
    "AbstractRouteDef",
    "RouteDef",
    "RouteTableDef",
    "StaticDef",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "static",
    "view",
)

_H = TypeVar("_H", bound=Callable[..., Any])

# Methods with a dedicated ``router.add_<method>`` shortcut.
_SHORTCUTS = {
    hdrs.METH_GET: "add_get",
    hdrs.METH_HEAD: "add_head",
    hdrs.METH_OPTIONS: "add_options",
    hdrs.METH_POST: "add_post",
    hdrs.METH_PUT: "add_put",
    hdrs.METH_PATCH: "add_patch",
    hdrs.METH_DELETE: "add_delete",
}


class AbstractRouteDef(ABC):
    """Something that can register itself on a router."""

    @abstractmethod
    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        """Add the described routes to ``router`` and return them."""


def _kwargs_repr(kwargs: dict[str, Any]) -> str:
    return "".join(f", {key}={value!r}" for key, value in sorted(kwargs.items()))


@dataclass(frozen=True, repr=False)
class RouteDef(AbstractRouteDef):
    """One method + path + handler, with extra ``add_route`` keyword arguments."""

    method: str
    path: str
    handler: Any
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"<RouteDef {self.method} {self.path} -> {self.handler.__name__!r}"
            f"{_kwargs_repr(self.kwargs)}>"
        )

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        shortcut = _SHORTCUTS.get(self.method.upper())
        if shortcut is not None:
            add: Callable[..., AbstractRoute] = getattr(router, shortcut)
            return [add(self.path, self.handler, **self.kwargs)]
        return [router.add_route(self.method, self.path, self.handler, **self.kwargs)]


@dataclass(frozen=True, repr=False)
class StaticDef(AbstractRouteDef):
    """A static directory served at a prefix."""

    prefix: str
    path: str | os.PathLike[str]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<StaticDef {self.prefix} -> {self.path}{_kwargs_repr(self.kwargs)}>"

    def register(self, router: UrlDispatcher) -> list[AbstractRoute]:
        resource = router.add_static(self.prefix, self.path, **self.kwargs)
        return list(resource)


def route(method: str, path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a route for ``method`` (``"*"`` for any)."""
    return RouteDef(method, path, handler, kwargs)


def head(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a HEAD route."""
    return route(hdrs.METH_HEAD, path, handler, **kwargs)


def options(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe an OPTIONS route."""
    return route(hdrs.METH_OPTIONS, path, handler, **kwargs)


def get(
    path: str, handler: Any, *, name: str | None = None, allow_head: bool = True, **kwargs: Any
) -> RouteDef:
    """Describe a GET route (with HEAD unless ``allow_head=False``)."""
    return route(hdrs.METH_GET, path, handler, name=name, allow_head=allow_head, **kwargs)


def post(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a POST route."""
    return route(hdrs.METH_POST, path, handler, **kwargs)


def put(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a PUT route."""
    return route(hdrs.METH_PUT, path, handler, **kwargs)


def patch(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a PATCH route."""
    return route(hdrs.METH_PATCH, path, handler, **kwargs)


def delete(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a DELETE route."""
    return route(hdrs.METH_DELETE, path, handler, **kwargs)


def view(path: str, handler: Any, **kwargs: Any) -> RouteDef:
    """Describe a class-based view (all methods)."""
    return route(hdrs.METH_ANY, path, handler, **kwargs)


def static(prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> StaticDef:
    """Describe a static directory (arguments as ``router.add_static``)."""
    return StaticDef(prefix, path, kwargs)


class RouteTableDef(Sequence[AbstractRouteDef]):
    """A list of route definitions filled by decorators (``@routes.get("/")``)."""

    def __init__(self) -> None:
        self._items: list[AbstractRouteDef] = []

    def __repr__(self) -> str:
        return f"<RouteTableDef count={len(self._items)}>"

    @overload
    def __getitem__(self, index: int) -> AbstractRouteDef: ...

    @overload
    def __getitem__(self, index: slice) -> list[AbstractRouteDef]: ...

    def __getitem__(self, index: int | slice) -> AbstractRouteDef | list[AbstractRouteDef]:
        return self._items[index]

    def __iter__(self) -> Iterator[AbstractRouteDef]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def route(self, method: str, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator registering the function (or view class) for ``method``."""

        def inner(handler: _H) -> _H:
            self._items.append(RouteDef(method, path, handler, kwargs))
            return handler

        return inner

    def head(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a HEAD route."""
        return self.route(hdrs.METH_HEAD, path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a GET route (with HEAD unless ``allow_head=False``)."""
        return self.route(hdrs.METH_GET, path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a POST route."""
        return self.route(hdrs.METH_POST, path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a PUT route."""
        return self.route(hdrs.METH_PUT, path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a PATCH route."""
        return self.route(hdrs.METH_PATCH, path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a DELETE route."""
        return self.route(hdrs.METH_DELETE, path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for an OPTIONS route."""
        return self.route(hdrs.METH_OPTIONS, path, **kwargs)

    def view(self, path: str, **kwargs: Any) -> Callable[[_H], _H]:
        """Decorator for a class-based view."""
        return self.route(hdrs.METH_ANY, path, **kwargs)

    def static(self, prefix: str, path: str | os.PathLike[str], **kwargs: Any) -> None:
        """Add a static directory definition (not a decorator)."""
        self._items.append(StaticDef(prefix, path, kwargs))
