"""The default router: :class:`UrlDispatcher`.

Resolution cost does not grow with the number of routes. Plain paths are found by one
dict lookup; every other resource hangs in a trie keyed by the literal path segments it
starts with (``/users/{id}`` under ``users``, a static prefix ``/static`` under
``static``, a pattern like ``/{name}`` at the root). A request walks the trie along its
own segments, so only the few resources that could match are tried. Candidates are then
tried in registration order, which keeps the documented rule "the first registered
route that matches wins".
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Container, Iterable, Iterator, Mapping, Sized
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .. import hdrs
from .abc import AbstractRouter, ExpectHandler
from .exceptions import HTTPMethodNotAllowed, HTTPNotFound
from .resources import (
    AbstractResource,
    AbstractRoute,
    DynamicResource,
    MatchInfoError,
    PlainResource,
    Resource,
    ResourceRoute,
    UrlMappingMatchInfo,
    validate_route_name,
)
from .staticfiles import StaticResource

if TYPE_CHECKING:
    from .app import Application
    from .request import Request
    from .routedef import AbstractRouteDef

__all__ = ("ResourcesView", "RoutesView", "UrlDispatcher")

# A match info without running __init__: bound_match_info() sets its four slots.
_new_info = dict.__new__


def bound_match_info(route: AbstractRoute, app: Application) -> UrlMappingMatchInfo:
    """An empty match info for ``route``, bound to ``app`` and frozen, as
    ``UrlMappingMatchInfo({}, route)`` + ``add_app(app)`` + ``freeze()`` make it,
    for a quarter of their cost."""
    info = _new_info(UrlMappingMatchInfo)
    info._route = route
    info._apps = app._apps_chain
    info._current_app = app
    info._frozen = True
    return info


class ResourcesView(Sized, Iterable[AbstractResource], Container[AbstractResource]):
    """A read-only view of a router's resources: ``len()``, iteration and ``in``."""

    def __init__(self, resources: list[AbstractResource]) -> None:
        self._resources = resources

    def __len__(self) -> int:
        return len(self._resources)

    def __iter__(self) -> Iterator[AbstractResource]:
        return iter(self._resources)

    def __contains__(self, resource: object) -> bool:
        return resource in self._resources


class RoutesView(Sized, Iterable[AbstractRoute], Container[AbstractRoute]):
    """A read-only view of every route of every resource, in registration order."""

    def __init__(self, resources: list[AbstractResource]) -> None:
        self._routes: list[AbstractRoute] = [route for res in resources for route in res]

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes)

    def __contains__(self, route: object) -> bool:
        return route in self._routes


class _Node:
    """A trie node: resources whose literal segments end here, and child segments."""

    __slots__ = ("children", "resources")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.resources: list[tuple[int, AbstractResource]] = []


class _Index:
    """Candidate lookup for a path; built once, rebuilt when resources change."""

    __slots__ = ("depth", "fast", "flat", "plain", "root")

    def __init__(self, resources: list[AbstractResource]) -> None:
        self.root = _Node()
        self.depth = 0
        plain: dict[str, list[tuple[int, AbstractResource]]] = {}
        for order, resource in enumerate(resources):
            path = resource._plain_path()
            if path is not None:
                plain.setdefault(path, []).append((order, resource))
                continue
            node = self.root
            segments = resource._literal_segments()
            self.depth = max(self.depth, len(segments))
            for segment in segments:
                node = node.children.setdefault(segment, _Node())
            node.resources.append((order, resource))
        # Every trie node hangs right under an empty root (the usual shape).
        self.flat = self.depth == 1 and not self.root.resources
        # A plain path's full candidate list is known in advance: one dict lookup
        # then gives every resource that may match, in order.
        self.plain = {path: sorted(entries + self._walk(path)) for path, entries in plain.items()}
        # Plain paths only one PlainResource can match, keyed by the raw request target
        # (no "%" or "?" in the key, so a hit needs no decoding), mapped to the
        # resource's live method table: the common request is two dict lookups.
        self.fast: dict[str, dict[str, ResourceRoute]] = {
            path: found[0][1]._by_method
            for path, found in self.plain.items()
            if len(found) == 1
            and type(found[0][1]) is PlainResource
            and path[:1] == "/"
            and "%" not in path
            and "?" not in path
        }

    def _walk(self, path: str) -> list[tuple[int, AbstractResource]]:
        """Resources in the trie nodes along ``path``, in registration order."""
        node = self.root
        groups = [node.resources] if node.resources else []
        if self.depth and node.children:
            # Only the first `depth` segments can select a trie node.
            for segment in path.split("/", self.depth + 1)[1 : self.depth + 1]:
                child = node.children.get(segment)
                if child is None:
                    break
                node = child
                if node.resources:
                    groups.append(node.resources)
        if len(groups) == 1:
            return groups[0]
        return sorted(item for group in groups for item in group)

    def candidates(self, path: str) -> list[tuple[int, AbstractResource]]:
        """Resources that may match ``path``, in registration order."""
        found = self.plain.get(path)
        return found if found is not None else self._walk(path)


class UrlDispatcher(AbstractRouter, Mapping[str, AbstractResource]):
    """The default router: resources in registration order, named ones by name.

    As a mapping it holds the *named* resources (``router["index"]``, ``"index" in
    router``, ``len(router)``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._resources: list[AbstractResource] = []
        self._named_resources: dict[str, AbstractResource] = {}
        self._index: _Index | None = None

    # -------------------------------------------------------------- resolution

    def _resolve_now(self, request: Request) -> UrlMappingMatchInfo | None:
        """Resolve without awaiting; None when a resource needs its async ``resolve``."""
        index = self._index
        if index is None:
            index = self._index = _Index(self._resources)
        method = request._method
        path = request._match_path()
        allowed: set[str] | None = None
        for _, resource in index.candidates(path):
            result = resource._resolve_sync(method, path)
            if result is None:
                return None
            match_info, methods = result
            if match_info is not None:
                return match_info
            if methods:
                if allowed is None:
                    allowed = set()
                allowed |= methods
        if allowed:
            return MatchInfoError(HTTPMethodNotAllowed(method, allowed))
        return MatchInfoError(HTTPNotFound())

    def _plain_routes(self) -> dict[str, dict[str, ResourceRoute]]:
        """Raw request target -> method -> route, for plain paths only one plain
        resource matches (see ``_Index.fast``); the tables are live, so routes added
        to those resources later show up."""
        index = self._index
        if index is None:
            index = self._index = _Index(self._resources)
        return index.fast

    def _resolve_bound(self, request: Request, app: Application) -> UrlMappingMatchInfo | None:
        """The common resolution in one call, bound to ``app``; None: use :meth:`resolve`.

        Handles a request whose path and method select a built-in plain or dynamic
        resource (no ``%`` to decode); 404/405, ``"*"`` routes and other resources
        return None and take the general path, which gives the same answer. The match
        info is built without its ``__init__`` (this runs for most requests).
        """
        index = self._index
        target: str = request._message.path
        if index is None or target[:1] != "/" or "%" in target:
            return None
        method = request._method
        # (Operators, not method calls, where they can: each call costs here.)
        path = target.partition("?")[0] if "?" in target else target
        found = index.plain.get(path)
        if found is None:
            if index.flat:
                # _walk(path) when only first segments select trie nodes (the path
                # starts with "/", so split() gives at least two parts).
                node = index.root.children.get(path.split("/", 2)[1])
                found = node.resources if node is not None else []
            else:
                found = index._walk(path)
        for _, resource in found:
            kind = type(resource)
            if kind is DynamicResource:
                match = resource._pattern.fullmatch(path)  # type: ignore[attr-defined]
                if match is None:
                    continue
            elif kind is not PlainResource:
                return None
            elif resource._path != path:  # type: ignore[attr-defined]  # (defensive)
                continue
            else:
                match = None
            route = resource._by_method.get(method)  # type: ignore[attr-defined]
            if type(route) is not ResourceRoute:
                return None  # a "*" route, or the method is not allowed here
            # bound_match_info(), inlined: one call less per request.
            info = _new_info(UrlMappingMatchInfo)
            if match is not None:
                info.update(match.groupdict())
            info._route = route
            info._apps = app._apps_chain
            info._current_app = app
            info._frozen = True
            return info
        return None

    async def resolve(self, request: Request) -> UrlMappingMatchInfo:
        """Find the route for ``request``; a miss gives a 404/405 match info."""
        index = self._index
        if index is None:
            index = self._index = _Index(self._resources)
        method = request.method
        path = request._match_path()
        allowed: set[str] | None = None
        for _, resource in index.candidates(path):
            result = resource._resolve_sync(method, path)
            if result is None:
                result = await resource.resolve(request)
            match_info, methods = result
            if match_info is not None:
                return match_info
            if methods:
                if allowed is None:
                    allowed = set()
                allowed |= methods
        if allowed:
            return MatchInfoError(HTTPMethodNotAllowed(method, allowed))
        return MatchInfoError(HTTPNotFound())

    # --------------------------------------------------------------- mapping API

    def __getitem__(self, name: str) -> AbstractResource:
        return self._named_resources[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._named_resources)

    def __len__(self) -> int:
        return len(self._named_resources)

    def __contains__(self, name: object) -> bool:
        return name in self._named_resources

    def resources(self) -> ResourcesView:
        """All resources in registration order."""
        return ResourcesView(self._resources)

    def routes(self) -> RoutesView:
        """All routes of all resources."""
        return RoutesView(self._resources)

    def named_resources(self) -> MappingProxyType[str, AbstractResource]:
        """A read-only mapping of name to resource."""
        return MappingProxyType(self._named_resources)

    def named_routes(self) -> MappingProxyType[str, AbstractResource]:
        """Deprecated spelling of :meth:`named_resources` (0.x era)."""
        warnings.warn(
            "named_routes() is deprecated, use named_resources()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.named_resources()

    # ------------------------------------------------------------- registration

    def register_resource(self, resource: AbstractResource) -> None:
        """Append ``resource``; its name must be valid and unused."""
        if self.frozen:
            raise RuntimeError("Cannot register a resource into frozen router.")
        name = resource.name
        if name is not None:
            validate_route_name(name)
            if name in self._named_resources:
                raise ValueError(
                    f"Duplicate {name!r}, already handled by {self._named_resources[name]!r}"
                )
            self._named_resources[name] = resource
        self._resources.append(resource)
        self._index = None

    def register_route(self, route: Any) -> None:
        """Deprecated 0.x: register a route's resource (use :meth:`register_resource`)."""
        from ..legacy.routes import register_route

        register_route(self, route)

    def add_resource(self, path: str, *, name: str | None = None) -> Resource:
        """Return a resource for ``path``, reusing the last one when it is the same."""
        if path and not path.startswith("/"):
            raise ValueError(f"path should start with / or be empty: {path!r}")
        if self._resources:
            last = self._resources[-1]
            if isinstance(last, Resource) and last.name == name and last.raw_match(path):
                return last
        resource: Resource
        if "{" in path or "}" in path:
            resource = DynamicResource(path, name=name)
        else:
            resource = PlainResource(path, name=name)
        self.register_resource(resource)
        return resource

    def add_route(
        self,
        method: str,
        path: str,
        handler: Any,
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
    ) -> AbstractRoute:
        """Add ``handler`` for ``method`` (``"*"`` for any) on ``path``."""
        resource = self.add_resource(path, name=name)
        route = resource.add_route(method, handler, expect_handler=expect_handler)
        self._index = None
        return route

    def add_head(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Shortcut for ``add_route("HEAD", ...)``."""
        return self.add_route(hdrs.METH_HEAD, path, handler, **kwargs)

    def add_options(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Shortcut for ``add_route("OPTIONS", ...)``."""
        return self.add_route(hdrs.METH_OPTIONS, path, handler, **kwargs)

    def add_get(
        self,
        path: str,
        handler: Any,
        *,
        name: str | None = None,
        allow_head: bool = True,
        **kwargs: Any,
    ) -> AbstractRoute:
        """Add a GET route, and a HEAD route too unless ``allow_head=False``."""
        resource = self.add_resource(path, name=name)
        if allow_head:
            resource.add_route(hdrs.METH_HEAD, handler, **kwargs)
        route = resource.add_route(hdrs.METH_GET, handler, **kwargs)
        self._index = None
        return route

    def add_post(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Shortcut for ``add_route("POST", ...)``."""
        return self.add_route(hdrs.METH_POST, path, handler, **kwargs)

    def add_put(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Shortcut for ``add_route("PUT", ...)``."""
        return self.add_route(hdrs.METH_PUT, path, handler, **kwargs)

    def add_patch(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Shortcut for ``add_route("PATCH", ...)``."""
        return self.add_route(hdrs.METH_PATCH, path, handler, **kwargs)

    def add_delete(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Shortcut for ``add_route("DELETE", ...)``."""
        return self.add_route(hdrs.METH_DELETE, path, handler, **kwargs)

    def add_view(self, path: str, handler: Any, **kwargs: Any) -> AbstractRoute:
        """Add a class-based view for every method (it dispatches itself)."""
        return self.add_route(hdrs.METH_ANY, path, handler, **kwargs)

    def add_static(
        self,
        prefix: str,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        expect_handler: ExpectHandler | None = None,
        chunk_size: int = 256 * 1024,
        show_index: bool = False,
        follow_symlinks: bool = False,
        append_version: bool = False,
    ) -> StaticResource:
        """Serve the files under directory ``path`` at URL ``prefix``.

        Meant for development; a front-end server does this better in production.
        """
        resource = StaticResource(
            prefix,
            path,
            name=name,
            expect_handler=expect_handler,
            chunk_size=chunk_size,
            show_index=show_index,
            follow_symlinks=follow_symlinks,
            append_version=append_version,
        )
        self.register_resource(resource)
        return resource

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Register route definitions (``web.get(...)``, a ``RouteTableDef``)."""
        registered: list[AbstractRoute] = []
        for route_def in routes:
            registered.extend(route_def.register(self))
        return registered

    # ---------------------------------------------------------------- lifecycle

    def add_prefix_to_all(self, prefix: str) -> None:
        """Prepend ``prefix`` to every resource (the app became a sub-application)."""
        for resource in self._resources:
            resource.add_prefix(prefix)
        self._index = None

    def freeze(self) -> None:
        """Fix the routing table and build the index."""
        super().freeze()
        for resource in self._resources:
            resource.freeze()
        self._index = _Index(self._resources)

    def __repr__(self) -> str:
        return f"<UrlDispatcher {len(self._resources)} resources>"
