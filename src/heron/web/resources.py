"""Resources, routes and match infos: the pieces :class:`UrlDispatcher` is built from.

A *resource* is a URL pattern (a plain path, a pattern with ``{variables}``, a prefix
for static files or a sub-application); a *route* is a resource plus an HTTP method and
a handler. Resolving a request yields a :class:`UrlMappingMatchInfo`, a dict of the
percent-decoded variable values that also carries the route and the applications on
the way to it.

Paths are matched against ``request.rel_url.path_safe`` (computed without the URL
when the target has nothing to decode): the path percent-decoded except
for ``%2F`` and ``%25``, so an encoded slash never acts as a separator (``/a%2Fb`` does
not match ``/a/b``) while ``/привет`` matches its UTF-8 encoded form. Variable values are
fully decoded afterwards.
"""

from __future__ import annotations

import inspect
import keyword
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sized
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote

from yarl import URL

from .. import hdrs
from .abc import AbstractMatchInfo, AbstractView, ExpectHandler, Handler
from .exceptions import HTTPException, HTTPMethodNotAllowed

if TYPE_CHECKING:  # annotations only; app.py imports this module
    from .app import Application
    from .request import Request
    from .response import StreamResponse

__all__ = (
    "AbstractResource",
    "AbstractRoute",
    "Domain",
    "DynamicResource",
    "MaskDomain",
    "MatchInfoError",
    "MatchedSubAppResource",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRoute",
    "SystemRoute",
    "UrlMappingMatchInfo",
)

_EMPTY: Final[frozenset[str]] = frozenset()
_METHOD_RE: Final = re.compile(r"[0-9A-Za-z!#$%&'*+\-.^_`|~]+")
_VAR_NAME_RE: Final = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_NAME_SPLIT_RE: Final = re.compile(r"[.:-]")
# RFC 3986 pchar minus "%": characters that may stay unquoted in a path segment.
_SEGMENT_SAFE: Final = "!$&'()*+,;=:@~"
DEFAULT_VAR_RE: Final = r"[^{}/]+"


def validate_route_name(name: str) -> None:
    """Refuse names that are not identifiers joined by ``.``, ``:`` or ``-``."""
    for part in _NAME_SPLIT_RE.split(name):
        if not part.isidentifier() or keyword.iskeyword(part):
            raise ValueError(
                f"Incorrect route name {name!r}: route names must be identifiers, "
                "optionally joined by '.', ':' or '-'"
            )


def unquote_safe(value: str) -> str:
    """Finish decoding a value taken from ``path_safe`` (``%2F`` and ``%25`` are left)."""
    if "%" not in value:
        return value
    return value.replace("%2F", "/").replace("%25", "%")


def quote_path(value: str, *, keep_slash: bool) -> str:
    """Percent-encode ``value`` for a URL path (UTF-8; ``/`` kept only if asked)."""
    return quote(value, safe=_SEGMENT_SAFE + ("/" if keep_slash else ""))


def _wrap_handler(handler: Any) -> Handler:
    """Accept coroutine functions, view classes and plain callables as handlers."""
    if isinstance(handler, type) and issubclass(handler, AbstractView):
        return handler  # a view class is awaited like a coroutine
    if inspect.iscoroutinefunction(handler):
        return handler  # type: ignore[no-any-return]
    if not callable(handler):
        raise TypeError(
            f"Only async functions and callables are allowed as handlers, got {handler!r}"
        )

    # The seeds allow plain functions (and objects with an async __call__): run them
    # and await what they return when it is awaitable.
    async def call_handler(request: Request) -> StreamResponse:
        result = handler(request)
        if inspect.isawaitable(result):
            result = await result
        return result  # type: ignore[no-any-return]

    return call_handler


async def _default_expect_handler(request: Request) -> None:
    """Accept the expectation; the connection does the rest.

    The connection handler answers unknown expectations with 417 before routing and
    sends ``100 Continue`` lazily, when the handler first reads the body, so a handler
    that answers without reading never invites a body it would discard.
    """
    return None


# --------------------------------------------------------------------------- routes


class AbstractRoute(ABC):
    """A handler bound to an HTTP method (``"*"`` for any) on a resource."""

    def __init__(
        self,
        method: str,
        handler: Any,
        *,
        expect_handler: ExpectHandler | None = None,
        resource: AbstractResource | None = None,
    ) -> None:
        if not _METHOD_RE.fullmatch(method):
            raise ValueError(f"{method!r} is not an allowed HTTP method")
        self._method = method.upper()
        self._handler = _wrap_handler(handler)
        self._original_handler = handler
        self._expect_handler: ExpectHandler = expect_handler or _default_expect_handler
        self._resource = resource

    @property
    def method(self) -> str:
        """Upper-case method name, or ``"*"``."""
        return self._method

    @property
    def handler(self) -> Handler:
        """The callable that handles requests (plain functions come wrapped)."""
        return self._handler

    @property
    def name(self) -> str | None:
        """The name of the owning resource, if any."""
        return self._resource.name if self._resource is not None else None

    @property
    def resource(self) -> AbstractResource | None:
        """The resource this route belongs to."""
        return self._resource

    @abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Describe the route (delegates to the resource)."""

    @abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL for this route."""

    def url(self, *, parts: Any = None, query: Any = None, **kwargs: Any) -> str:
        """Deprecated 0.x spelling: ``url(parts={...}, query=...)``, a str (use url_for)."""
        from ..legacy.web import resource_url

        return resource_url(self, parts, query, kwargs)

    def match(self, path: str) -> dict[str, str] | None:
        """Deprecated 0.x: the match dict for ``path``, or None (use router.resolve)."""
        from ..legacy.web import resource_match

        return resource_match(self, path)

    async def handle_expect_header(self, request: Request) -> StreamResponse | None:
        """Run the route's expect handler."""
        return await self._expect_handler(request)


class ResourceRoute(AbstractRoute):
    """A route attached to a resource."""

    def __init__(
        self,
        method: str,
        handler: Any,
        resource: AbstractResource,
        *,
        expect_handler: ExpectHandler | None = None,
    ) -> None:
        super().__init__(method, handler, expect_handler=expect_handler, resource=resource)
        self._owner = resource

    def __repr__(self) -> str:
        return f"<ResourceRoute [{self.method}] {self._owner} -> {self._original_handler!r}>"

    @property
    def name(self) -> str | None:
        return self._owner.name

    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL through the owning resource."""
        return self._owner.url_for(*args, **kwargs)

    def get_info(self) -> dict[str, Any]:
        return self._owner.get_info()


class SystemRoute(AbstractRoute):
    """The route of a failed resolution: its handler raises the 404/405 error."""

    def __init__(self, http_exception: HTTPException) -> None:
        super().__init__(hdrs.METH_ANY, self._handle)
        self._http_exception = http_exception

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not allowed for SystemRoute")

    def url(self, **kwargs: Any) -> str:
        """Legacy spelling of :meth:`url_for`; always raises :class:`RuntimeError`."""
        raise RuntimeError(".url() is not allowed for SystemRoute")

    @property
    def name(self) -> str | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return {"http_exception": self._http_exception}

    async def _handle(self, request: Request) -> StreamResponse:
        raise self._http_exception

    @property
    def status(self) -> int:
        """Status code of the error."""
        return self._http_exception.status

    @property
    def reason(self) -> str:
        """Reason phrase of the error."""
        return self._http_exception.reason

    def __repr__(self) -> str:
        return f"<SystemRoute {self.status}: {self.reason}>"


# ----------------------------------------------------------------------- match infos


class UrlMappingMatchInfo(dict[str, str], AbstractMatchInfo):
    """The result of routing: a dict of decoded match parts plus the route."""

    __slots__ = ("_apps", "_current_app", "_frozen", "_route")

    def __init__(self, match_dict: dict[str, str], route: AbstractRoute) -> None:
        super().__init__(match_dict)
        self._route = route
        self._apps: tuple[Application, ...] = ()
        self._current_app: Application | None = None
        self._frozen = False

    @property
    def handler(self) -> Handler:
        return self._route.handler

    @property
    def route(self) -> AbstractRoute:
        """The matched route."""
        return self._route

    @property
    def expect_handler(self) -> ExpectHandler:
        return self._route.handle_expect_header

    @property
    def http_exception(self) -> HTTPException | None:
        return None

    def get_info(self) -> dict[str, Any]:
        return self._route.get_info()

    @property
    def apps(self) -> tuple[Application, ...]:
        return self._apps

    def add_app(self, app: Application) -> None:
        if self._frozen:
            raise RuntimeError("Cannot change apps stack after .freeze() call")
        if self._current_app is None:
            self._current_app = app
        self._apps = (app, *self._apps)

    @property
    def current_app(self) -> Application:
        app = self._current_app
        assert app is not None, "no application recorded yet"
        return app

    @current_app.setter
    def current_app(self, app: Application) -> None:
        if app not in self._apps:
            raise RuntimeError(f"Expected one of the following apps {self._apps!r}, got {app!r}")
        self._current_app = app

    def freeze(self) -> None:
        self._frozen = True

    def _bind(self, app: Application) -> None:
        """``add_app(app)`` then ``freeze()`` for a fresh match info, in one call."""
        if self._frozen or self._apps:
            self.add_app(app)
        else:
            self._current_app = app
            self._apps = (app,)
        self._frozen = True

    def __repr__(self) -> str:
        return f"<MatchInfo {super().__repr__()}: {self._route}>"

    __eq__ = dict.__eq__
    __hash__ = None  # type: ignore[assignment]


class MatchInfoError(UrlMappingMatchInfo):
    """Match info of a request no route accepts; its handler raises the error."""

    __slots__ = ("_exception",)

    def __init__(self, http_exception: HTTPException) -> None:
        self._exception = http_exception
        super().__init__({}, SystemRoute(http_exception))

    @property
    def http_exception(self) -> HTTPException:
        return self._exception

    def __repr__(self) -> str:
        return f"<MatchInfoError {self._exception.status}: {self._exception.reason}>"


# ------------------------------------------------------------------------ resources

_Resolved = tuple[UrlMappingMatchInfo | None, frozenset[str] | set[str]]


class AbstractResource(Sized):
    """A URL pattern with routes; subclasses decide how a path matches.

    ``resolve(request)`` returns ``(match_info, allowed_methods)``: a match info when
    both path and method match, else None plus the methods the path would accept.
    """

    def __init__(self, *, name: str | None = None) -> None:
        self._name = name

    @property
    def name(self) -> str | None:
        """The resource name used by ``router[name]`` and ``url_for``."""
        return self._name

    @property
    @abstractmethod
    def canonical(self) -> str:
        """The pattern as registered, e.g. ``/users/{id}``."""

    @abstractmethod
    def url_for(self, *args: str, **kwargs: str) -> URL:
        """Build a URL for this resource."""

    def url(self, *, parts: Any = None, query: Any = None, **kwargs: Any) -> str:
        """Deprecated 0.x spelling: ``url(parts={...}, query=...)``, a str (use url_for)."""
        from ..legacy.web import resource_url

        return resource_url(self, parts, query, kwargs)

    def match(self, path: str) -> dict[str, str] | None:
        """Deprecated 0.x: the match dict for ``path``, or None (use router.resolve)."""
        from ..legacy.web import resource_match

        return resource_match(self, path)

    @abstractmethod
    async def resolve(self, request: Request) -> _Resolved:
        """Match ``request``; see the class docstring."""

    @abstractmethod
    def add_prefix(self, prefix: str) -> None:
        """Prepend ``prefix`` (used when the owning app becomes a sub-application)."""

    @abstractmethod
    def get_info(self) -> dict[str, Any]:
        """Describe the resource."""

    def freeze(self) -> None:
        """Called when the router freezes."""

    @abstractmethod
    def raw_match(self, path: str) -> bool:
        """True if ``path`` is exactly this resource's registered pattern."""

    @abstractmethod
    def __iter__(self) -> Iterator[AbstractRoute]: ...

    # Hooks for the router's index. Built-in resources answer without awaiting.
    def _plain_path(self) -> str | None:
        """The exact path this resource matches, when it matches only one."""
        return None

    def _literal_segments(self) -> tuple[str, ...]:
        """Leading path segments every matching path must start with."""
        return ()

    def _resolve_sync(self, method: str, path: str) -> _Resolved | None:
        """Resolve without awaiting; None means "call resolve()" instead."""
        return None


class Resource(AbstractResource):
    """A resource holding routes, at most one per method (``"*"`` catches the rest)."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self._routes: list[ResourceRoute] = []
        self._by_method: dict[str, ResourceRoute] = {}
        self._any_route: ResourceRoute | None = None
        self._allowed: frozenset[str] = _EMPTY

    def add_route(
        self, method: str, handler: Any, *, expect_handler: ExpectHandler | None = None
    ) -> ResourceRoute:
        """Add a route for ``method``; a method already served is refused."""
        route = ResourceRoute(method, handler, self, expect_handler=expect_handler)
        if self._any_route is not None or route.method in self._by_method:
            raise RuntimeError(
                f"Added route will never be executed, method {route.method} is already registered"
            )
        self.register_route(route)
        return route

    def register_route(self, route: ResourceRoute) -> None:
        """Attach an already built route."""
        self._routes.append(route)
        if route.method == hdrs.METH_ANY:
            self._any_route = route
        else:
            self._by_method.setdefault(route.method, route)
        self._allowed = frozenset(r.method for r in self._routes)

    @abstractmethod
    def _match(self, path: str) -> dict[str, str] | None:
        """Variable values when ``path`` matches, else None."""

    def _resolve_sync(self, method: str, path: str) -> _Resolved:
        match_dict = self._match(path)
        if match_dict is None:
            return None, _EMPTY
        route = self._by_method.get(method) or self._any_route
        if route is None:
            return None, self._allowed
        return UrlMappingMatchInfo(match_dict, route), self._allowed

    async def resolve(self, request: Request) -> _Resolved:
        return self._resolve_sync(request.method, request._match_path())

    def __len__(self) -> int:
        return len(self._routes)

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._routes)


class PlainResource(Resource):
    """A fixed path such as ``/about``, matched by a dict lookup."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if path and not path.startswith("/"):
            raise ValueError(f"path should start with / or be empty: {path!r}")
        self._path = path

    @property
    def canonical(self) -> str:
        return self._path

    def add_prefix(self, prefix: str) -> None:
        _check_prefix(prefix)
        self._path = prefix + self._path

    def _match(self, path: str) -> dict[str, str] | None:
        return {} if path == self._path else None

    def _plain_path(self) -> str:
        return self._path

    def raw_match(self, path: str) -> bool:
        return self._path == path

    def get_info(self) -> dict[str, Any]:
        return {"path": self._path}

    def url_for(self) -> URL:  # type: ignore[override]
        """The resource path as a URL (add a query with ``.with_query()``)."""
        return URL.build(path=quote_path(self._path, keep_slash=True), encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<PlainResource {name} {self._path}>"


class _Var:
    """One ``{name}`` or ``{name:regex}`` part of a dynamic path."""

    __slots__ = ("custom", "name", "regex")

    def __init__(self, name: str, regex: str | None) -> None:
        self.name = name
        self.regex = regex if regex is not None else DEFAULT_VAR_RE
        self.custom = regex is not None


def _parse_pattern(path: str) -> list[str | _Var]:
    """Split ``path`` into literal strings and variables; braces may nest in a regex."""
    pieces: list[str | _Var] = []
    literal: list[str] = []
    i, n = 0, len(path)
    while i < n:
        char = path[i]
        if char == "}":
            raise ValueError(f"Invalid path {path!r}: unbalanced '}}'")
        if char != "{":
            literal.append(char)
            i += 1
            continue
        depth, j = 1, i + 1
        while j < n and depth:
            depth += {"{": 1, "}": -1}.get(path[j], 0)
            j += 1
        if depth:
            raise ValueError(f"Invalid path {path!r}: unbalanced '{{'")
        name, sep, regex = path[i + 1 : j - 1].partition(":")
        if not _VAR_NAME_RE.fullmatch(name) or (sep and not regex):
            raise ValueError(f"Invalid path {path!r}: bad variable {path[i:j]!r}")
        if literal:
            pieces.append("".join(literal))
            literal = []
        pieces.append(_Var(name, regex if sep else None))
        i = j
    if literal:
        pieces.append("".join(literal))
    return pieces


class DynamicResource(Resource):
    """A path with variables: ``/users/{id}``, ``/items/{id:\\d+}``, ``/files/{tail:.*}``."""

    def __init__(self, path: str, *, name: str | None = None) -> None:
        super().__init__(name=name)
        if path and not path.startswith("/"):
            raise ValueError(f"path should start with / or be empty: {path!r}")
        self._pieces = _parse_pattern(path)
        self._compile()

    def _compile(self) -> None:
        parts: list[str] = []
        names: set[str] = set()
        for piece in self._pieces:
            if isinstance(piece, str):
                parts.append(re.escape(piece))
                continue
            if piece.name in names:
                raise ValueError(f"Duplicate variable {piece.name!r} in {self.canonical!r}")
            names.add(piece.name)
            parts.append(f"(?P<{piece.name}>{piece.regex})")
        try:
            self._pattern = re.compile("".join(parts))
        except re.error as exc:
            raise ValueError(f"Bad pattern {self.canonical!r}: {exc}") from None

    @property
    def canonical(self) -> str:
        return "".join(
            p if isinstance(p, str) else "{" + p.name + (":" + p.regex if p.custom else "") + "}"
            for p in self._pieces
        )

    def add_prefix(self, prefix: str) -> None:
        _check_prefix(prefix)
        if self._pieces and isinstance(self._pieces[0], str):
            self._pieces[0] = prefix + self._pieces[0]
        else:
            self._pieces.insert(0, prefix)
        self._compile()

    def _match(self, path: str) -> dict[str, str] | None:
        match = self._pattern.fullmatch(path)
        if match is None:
            return None
        if "%" not in path:
            return match.groupdict()  # nothing left to decode
        return {key: unquote_safe(value) for key, value in match.groupdict().items()}

    def _literal_segments(self) -> tuple[str, ...]:
        head = self._pieces[0] if self._pieces else ""
        if not isinstance(head, str):
            return ()
        # Only segments closed by a "/" are fully literal.
        return tuple(head.split("/")[1:-1])

    def raw_match(self, path: str) -> bool:
        return self.canonical == path

    def get_info(self) -> dict[str, Any]:
        return {"formatter": self.canonical, "pattern": self._pattern}

    def url_for(self, **parts: str) -> URL:  # type: ignore[override]
        """Fill the variables from ``parts`` (values are percent-encoded)."""
        out: list[str] = []
        for piece in self._pieces:
            if isinstance(piece, str):
                out.append(quote_path(piece, keep_slash=True))
            else:
                # A default variable never spans "/", so a slash in its value is
                # encoded to keep the URL routable; custom patterns may allow it.
                out.append(quote_path(str(parts[piece.name]), keep_slash=piece.custom))
        return URL.build(path="".join(out), encoded=True)

    def __repr__(self) -> str:
        name = f"'{self.name}' " if self.name is not None else ""
        return f"<DynamicResource {name} {self.canonical}>"


def _check_prefix(prefix: str) -> None:
    if not prefix.startswith("/") or prefix.endswith("/"):
        raise ValueError(f"prefix must start with / and not end with /: {prefix!r}")


class PrefixResource(AbstractResource):
    """Base of resources that own every path under a prefix."""

    def __init__(self, prefix: str, *, name: str | None = None) -> None:
        if prefix and not prefix.startswith("/"):
            raise ValueError(f"prefix must start with /: {prefix!r}")
        super().__init__(name=name)
        self._prefix = prefix.rstrip("/")

    @property
    def canonical(self) -> str:
        return self._prefix

    def add_prefix(self, prefix: str) -> None:
        _check_prefix(prefix)
        self._prefix = prefix + self._prefix

    def raw_match(self, prefix: str) -> bool:
        return False

    def _literal_segments(self) -> tuple[str, ...]:
        return tuple(self._prefix.split("/")[1:])

    def _owns(self, path: str) -> bool:
        prefix = self._prefix
        return path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/")


class _SubAppResource(PrefixResource):
    """Shared code of sub-application resources."""

    def __init__(self, prefix: str, app: Application) -> None:
        super().__init__(prefix)
        self._app = app

    @property
    def app(self) -> Application:
        """The sub-application."""
        return self._app

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError(".url_for() is not supported by sub-application root")

    async def _resolve_in_app(self, request: Request) -> _Resolved:
        match_info = await self._app.router.resolve(request)
        match_info.add_app(self._app)
        exc = match_info.http_exception
        allowed: set[str] | frozenset[str] = _EMPTY
        if isinstance(exc, HTTPMethodNotAllowed):
            allowed = set(exc.allowed_methods)
        # A sub-application answers everything under its prefix, even with 404/405,
        # so its own middlewares see those errors.
        return match_info, allowed

    def __len__(self) -> int:
        return len(self._app.router.routes())

    def __iter__(self) -> Iterator[AbstractRoute]:
        return iter(self._app.router.routes())


class PrefixedSubAppResource(_SubAppResource):
    """Routes every path under ``prefix`` to a sub-application's router."""

    def __init__(self, prefix: str, app: Application) -> None:
        if not prefix.rstrip("/"):
            raise ValueError("Prefix cannot be empty")
        super().__init__(prefix, app)
        # Sub-applications need the default router (it knows how to take a prefix).
        app.router.add_prefix_to_all(self._prefix)

    def add_prefix(self, prefix: str) -> None:
        super().add_prefix(prefix)
        self._app.router.add_prefix_to_all(prefix)

    async def resolve(self, request: Request) -> _Resolved:
        if not self._owns(request._match_path()):
            return None, _EMPTY
        return await self._resolve_in_app(request)

    def get_info(self) -> dict[str, Any]:
        return {"app": self._app, "prefix": self._prefix}

    def __repr__(self) -> str:
        return f"<PrefixedSubAppResource {self._prefix} -> {self._app!r}>"


def _split_host(host: str) -> tuple[str, str | None]:
    """``"a.b:8080"`` -> ``("a.b", "8080")``; IPv6 literals keep their brackets."""
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and not name.endswith(":"):
        return name, port
    return host, None


class Domain:
    """A rule matching one host name, with or without a port."""

    def __init__(self, domain: str) -> None:
        self._host, self._port = self._validate(domain)

    @staticmethod
    def _validate(domain: str) -> tuple[str, str | None]:
        if not isinstance(domain, str):
            raise TypeError("Domain must be str")
        domain = domain.strip().rstrip(".").lower()
        if not domain:
            raise ValueError("Domain cannot be empty")
        if "://" in domain:
            raise ValueError("Scheme not supported")
        url = URL("http://" + domain.replace("*", "wildcard"))
        if url.raw_path not in ("", "/") or url.query_string or url.fragment or url.user:
            raise ValueError(f"Invalid domain {domain!r}")
        host, port = _split_host(domain)
        return host, port

    @property
    def canonical(self) -> str:
        """The domain as ``host`` or ``host:port``."""
        return self._host if self._port is None else f"{self._host}:{self._port}"

    def match_domain(self, host: str) -> bool:
        """True if the request's ``Host`` matches this rule."""
        name, port = _split_host(host.lower().rstrip("."))
        if self._port is not None and port != self._port:
            return False
        return self._match_name(name.rstrip("."))

    def _match_name(self, name: str) -> bool:
        return name == self._host


class MaskDomain(Domain):
    """A rule with ``*`` wildcards, e.g. ``*.example.com`` (any subdomain depth)."""

    def __init__(self, domain: str) -> None:
        super().__init__(domain)
        regex = re.escape(self._host).replace(r"\*", ".*")
        self._mask = re.compile(regex)

    def _match_name(self, name: str) -> bool:
        return self._mask.fullmatch(name) is not None


class MatchedSubAppResource(_SubAppResource):
    """Routes requests whose ``Host`` matches a :class:`Domain` to a sub-application."""

    def __init__(self, rule: Domain, app: Application) -> None:
        super().__init__("", app)
        self._rule = rule

    @property
    def canonical(self) -> str:
        return self._rule.canonical

    def add_prefix(self, prefix: str) -> None:
        raise RuntimeError("a domain sub-application cannot be nested under a prefix")

    def _literal_segments(self) -> tuple[str, ...]:
        return ()  # any path may match

    async def resolve(self, request: Request) -> _Resolved:
        if not self._rule.match_domain(request.host or ""):
            return None, _EMPTY
        return await self._resolve_in_app(request)

    def get_info(self) -> dict[str, Any]:
        return {"domain": self._rule.canonical, "app": self._app}

    def __repr__(self) -> str:
        return f"<MatchedSubAppResource {self._rule.canonical} -> {self._app!r}>"
