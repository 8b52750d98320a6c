"""``web.Application``: routes, middlewares, signals, state and sub-applications.

An application is a mutable mapping for app-wide state (prefer typed :class:`AppKey`
keys), a router, a list of middlewares and four signals. When a runner starts it, the
application freezes: routes, middlewares, signals and state can no longer change, so a
running server never sees them move.

Request flow (:meth:`Application._handle`): resolve the route, run the route's expect
handler for ``Expect:`` requests, then the middlewares of every application from the
outermost to the one owning the route, then the handler. 404 and 405 are raised by the
handler of the match info, inside the middleware chain, so middlewares see them.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast, overload

from .. import hdrs
from ..signals import FrozenList, Signal
from .abc import AbstractMatchInfo, AbstractRouter, Handler
from .request import PLAIN_HEAD, Request
from .resources import (
    AbstractResource,
    Domain,
    MaskDomain,
    MatchedSubAppResource,
    PrefixedSubAppResource,
    ResourceRoute,
    UrlMappingMatchInfo,
)
from .urldispatcher import UrlDispatcher

if TYPE_CHECKING:
    from ..http.models import RawRequestMessage
    from ..streams import StreamReader
    from ..writer import AbstractStreamWriter
    from .protocol import RequestHandler
    from .resources import AbstractRoute
    from .response import StreamResponse
    from .routedef import AbstractRouteDef
    from .server import Server

__all__ = ("AppKey", "Application", "CleanupError")

_object_new: Final = object.__new__

_T = TypeVar("_T")
_Middleware = Callable[..., Awaitable[Any]]
_CleanupCtx = Callable[["Application"], AsyncIterator[None]]

web_logger = logging.getLogger("aiohttp.web")


class AppKey(Generic[_T]):
    """A typed key for application state: ``KEY = web.AppKey("db", Database)``.

    Two keys never collide even with the same name, and type checkers know the type
    of ``app[KEY]``.
    """

    __slots__ = ("_name", "_t")

    def __init__(self, name: str, t: type[_T] | None = None) -> None:
        # Qualify the name with the defining module, for readable reprs.
        module = sys._getframe(1).f_globals.get("__name__", "")
        self._name = f"{module}.{name}" if module and module != "__main__" else name
        self._t = t

    @property
    def name(self) -> str:
        """The key's (module-qualified) name."""
        return self._name

    def __lt__(self, other: object) -> bool:
        if isinstance(other, AppKey):
            return self._name < other._name
        return True  # AppKeys sort before plain strings

    def __repr__(self) -> str:
        t = self._t
        type_name = "<<Unknown>>" if t is None else getattr(t, "__qualname__", repr(t))
        return f"<AppKey({self._name}, type={type_name})>"


class CleanupError(RuntimeError):
    """Several cleanup steps failed; ``exceptions`` holds them all."""

    @property
    def exceptions(self) -> list[BaseException]:
        """The errors, in the order they happened."""
        return cast(list[BaseException], self.args[1])


class CleanupContext(FrozenList[_CleanupCtx]):
    """``app.cleanup_ctx``: async generators run to their ``yield`` at startup and
    resumed, in reverse order, at cleanup; every one is resumed even if some fail."""

    def __init__(self) -> None:
        super().__init__()
        self._exits: list[AsyncIterator[None]] = []

    async def _on_startup(self, app: Application) -> None:
        for factory in self:
            iterator = factory(app).__aiter__()
            await iterator.__anext__()
            self._exits.append(iterator)

    async def _on_cleanup(self, app: Application) -> None:
        errors: list[BaseException] = []
        while self._exits:
            iterator = self._exits.pop()
            try:
                await iterator.__anext__()
            except StopAsyncIteration:
                continue
            except (Exception, asyncio.CancelledError) as exc:
                errors.append(exc)
            else:
                errors.append(RuntimeError(f"{iterator!r} has more than one 'yield'"))
        _raise_collected(errors)


def _raise_collected(errors: list[BaseException]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise CleanupError("Multiple errors on cleanup stage", errors)


class _Step:
    """One middleware layer: calling it runs ``middleware(request, next_handler)``."""

    __slots__ = ("_middleware", "_next")

    def __init__(self, middleware: _Middleware, next_handler: Handler) -> None:
        self._middleware = middleware
        self._next = next_handler

    def __call__(self, request: Request) -> Awaitable[StreamResponse]:
        return self._middleware(request, self._next)


class _SetCurrentApp:
    """Middleware wrapper making ``request.app`` the sub-application while its
    middlewares run (and the handler, for the innermost one)."""

    __slots__ = ("_app",)

    def __init__(self, app: Application) -> None:
        self._app = app

    async def __call__(self, request: Request, handler: Handler) -> StreamResponse:
        match_info = request.match_info
        previous = match_info.current_app
        match_info.current_app = self._app
        try:
            return await handler(request)
        finally:
            match_info.current_app = previous


class Application(MutableMapping[str | AppKey[Any], Any]):
    """A web application: state, router, middlewares, signals and sub-applications.

    Arguments: ``router`` (an :class:`AbstractRouter`, a new :class:`UrlDispatcher` by
    default), ``middlewares`` (new-style ``@web.middleware`` functions; 0.x-style
    ``async def factory(app, handler)`` still work with a DeprecationWarning),
    ``client_max_size`` (largest request body ``request.read()`` accepts, 1 MiB),
    ``handler_args`` (extra keyword arguments for the connection handler), ``logger``
    (``logging.getLogger("aiohttp.web")``), ``debug``.
    """

    def __init__(
        self,
        *,
        logger: logging.Logger = web_logger,
        router: AbstractRouter | None = None,
        middlewares: Iterable[_Middleware] = (),
        handler_args: dict[str, Any] | None = None,
        client_max_size: int = 1024**2,
        loop: asyncio.AbstractEventLoop | None = None,
        debug: bool = False,
    ) -> None:
        if loop is not None:
            warnings.warn("loop argument is deprecated", DeprecationWarning, stacklevel=2)
        if router is None:
            router = UrlDispatcher()
        elif not isinstance(router, AbstractRouter):
            raise TypeError(f"router must be an AbstractRouter, got {router!r}")
        self._router = router
        self._loop = loop
        self._debug = debug
        self._handler_args = handler_args
        self._client_max_size = client_max_size
        self.logger = logger
        self._state: dict[str | AppKey[Any], Any] = {}
        self._frozen = False
        self._pre_frozen = False
        self._subapps: list[Application] = []
        self._middlewares: FrozenList[_Middleware] = FrozenList(middlewares)
        # Filled by pre_freeze(): (middleware, new_style) innermost first.
        self._middlewares_handlers: tuple[tuple[_Middleware, bool], ...] = ()
        self._run_middlewares = False
        self._has_old_style = False
        self._chains: dict[object, Handler] = {}
        # Set by freeze() (see _handle): the one-call routing of the default router,
        # and whether on_response_prepare has receivers.
        self._fast_routing = False
        self._plain_routes: dict[str, dict[str, ResourceRoute]] = {}
        self._prepare_receivers = False
        self._apps_chain: tuple[Application, ...] = (self,)  # match_info.apps when routed here
        self._on_response_prepare = Signal(self)
        self._on_startup = Signal(self)
        self._on_shutdown = Signal(self)
        self._on_cleanup = Signal(self)
        self._cleanup_ctx = CleanupContext()
        # cleanup_ctx runs as the first startup and the first cleanup receiver.
        self._on_startup.append(self._cleanup_ctx._on_startup)
        self._on_cleanup.append(self._cleanup_ctx._on_cleanup)
        router.post_init(self)

    # ------------------------------------------------------------ state mapping

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError("Changing state of a started application is forbidden")

    @overload
    def __getitem__(self, key: AppKey[_T]) -> _T: ...

    @overload
    def __getitem__(self, key: str) -> Any: ...

    def __getitem__(self, key: str | AppKey[_T]) -> Any:
        return self._state[key]

    @overload
    def __setitem__(self, key: AppKey[_T], value: _T) -> None: ...

    @overload
    def __setitem__(self, key: str, value: Any) -> None: ...

    def __setitem__(self, key: str | AppKey[_T], value: Any) -> None:
        self._check_frozen()
        self._state[key] = value

    def __delitem__(self, key: str | AppKey[_T]) -> None:
        self._check_frozen()
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str | AppKey[Any]]:
        return iter(self._state)

    @overload  # type: ignore[override]
    def get(self, key: AppKey[_T], default: None = ...) -> _T | None: ...

    @overload
    def get(self, key: AppKey[_T], default: _T) -> _T: ...

    @overload
    def get(self, key: str, default: Any = ...) -> Any: ...

    def get(self, key: str | AppKey[_T], default: Any = None) -> Any:
        return self._state.get(key, default)

    def copy(self) -> Application:
        """Applications cannot be copied (their routes and signals belong to them)."""
        raise NotImplementedError("Application cannot be copied")

    # Identity semantics: two empty applications are not "equal" mappings.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"<Application 0x{id(self):x}>"

    def __call__(self) -> Application:
        """Return self, so an application can stand where a factory is expected."""
        return self

    # -------------------------------------------------------------- attributes

    @property
    def router(self) -> UrlDispatcher:
        """The router (typed as the default one; a custom router is returned as is)."""
        return cast(UrlDispatcher, self._router)

    @property
    def middlewares(self) -> FrozenList[_Middleware]:
        """Middlewares, outermost first; frozen once the application starts."""
        return self._middlewares

    @property
    def on_response_prepare(self) -> Signal:
        """Sent with ``(request, response)`` just before a response's headers go out."""
        return self._on_response_prepare

    @property
    def on_startup(self) -> Signal:
        """Sent with ``(app)`` when the application starts."""
        return self._on_startup

    @property
    def on_shutdown(self) -> Signal:
        """Sent with ``(app)`` when the server stops accepting connections."""
        return self._on_shutdown

    @property
    def on_cleanup(self) -> Signal:
        """Sent with ``(app)`` after the server stopped; every receiver runs."""
        return self._on_cleanup

    @property
    def cleanup_ctx(self) -> CleanupContext:
        """Async generators: setup before ``yield``, teardown after (reverse order)."""
        return self._cleanup_ctx

    @property
    def debug(self) -> bool:
        """Debug mode (tracebacks in 500 pages)."""
        return self._debug

    @property
    def frozen(self) -> bool:
        """True once the application started."""
        return self._frozen

    @property
    def pre_frozen(self) -> bool:
        """True once routes, middlewares and signals are fixed."""
        return self._pre_frozen

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """Deprecated: the running event loop."""
        warnings.warn("app.loop is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop if self._loop is not None else asyncio.get_running_loop()

    # ------------------------------------------------------------ sub-applications

    def add_subapp(self, prefix: str, subapp: Application) -> AbstractResource:
        """Serve ``subapp`` under ``prefix``; its routes get the prefix prepended."""
        if not isinstance(prefix, str):
            raise TypeError("Prefix must be str")
        prefix = prefix.rstrip("/")
        if not prefix:
            raise ValueError("Prefix cannot be empty")
        return self._add_subapp(lambda: PrefixedSubAppResource(prefix, subapp), subapp)

    def add_domain(self, domain: str, subapp: Application) -> AbstractResource:
        """Serve ``subapp`` for requests whose Host matches ``domain`` (``*`` allowed)."""
        rule = MaskDomain(domain) if "*" in domain else Domain(domain)
        return self._add_subapp(lambda: MatchedSubAppResource(rule, subapp), subapp)

    def _add_subapp(
        self, factory: Callable[[], AbstractResource], subapp: Application
    ) -> AbstractResource:
        if self._frozen:
            raise RuntimeError("Cannot add sub application to frozen application")
        if subapp._frozen:
            raise RuntimeError("Cannot add frozen application")
        if subapp is self or subapp._pre_frozen:
            raise RuntimeError(f"{subapp!r} is already in use as a sub-application")
        if not isinstance(subapp._router, UrlDispatcher):
            raise TypeError("sub-applications need the default router")
        resource = factory()
        self.router.register_resource(resource)
        self._register_subapp_signals(subapp)
        self._subapps.append(subapp)
        subapp.pre_freeze()
        return resource

    def _register_subapp_signals(self, subapp: Application) -> None:
        # A sub-application's lifecycle signals fire from the parent's, in place.
        async def startup(app: Application) -> None:
            await subapp.startup()

        async def shutdown(app: Application) -> None:
            await subapp.shutdown()

        async def cleanup(app: Application) -> None:
            await subapp.cleanup()

        self._on_startup.append(startup)
        self._on_shutdown.append(shutdown)
        self._on_cleanup.append(cleanup)

    def add_routes(self, routes: Iterable[AbstractRouteDef]) -> list[AbstractRoute]:
        """Shortcut for ``app.router.add_routes(routes)``."""
        return self.router.add_routes(routes)

    # ------------------------------------------------------------------ lifecycle

    def pre_freeze(self) -> None:
        """Fix routes, middlewares and signals (state may still change)."""
        if self._pre_frozen:
            return
        self._pre_frozen = True
        self._middlewares.freeze()
        self._router.freeze()
        for signal in (self._on_response_prepare, self._on_startup, self._on_shutdown):
            signal.freeze()
        self._on_cleanup.freeze()
        self._cleanup_ctx.freeze()
        self._middlewares_handlers = tuple(self._prepare_middlewares())
        self._run_middlewares = bool(self._middlewares_handlers)
        self._has_old_style = any(not new for _, new in self._middlewares_handlers)
        for subapp in self._subapps:
            subapp.pre_freeze()
            self._run_middlewares |= subapp._run_middlewares
            self._has_old_style |= subapp._has_old_style

    def freeze(self) -> None:
        """Freeze everything, state included (a runner calls this at start)."""
        if self._frozen:
            return
        self.pre_freeze()
        self._frozen = True
        for subapp in self._subapps:
            subapp.freeze()
        router = self._router
        if type(router) is UrlDispatcher:
            self._fast_routing = True
            self._plain_routes = router._plain_routes()
        self._prepare_receivers = bool(self._on_response_prepare)

    def _prepare_middlewares(self) -> Iterator[tuple[_Middleware, bool]]:
        for mw in reversed(self._middlewares):
            if getattr(mw, "__middleware_version__", None) == 1:
                yield mw, True
            else:
                warnings.warn(
                    f"old-style middleware {mw!r} is deprecated: use @web.middleware "
                    "async def mw(request, handler)",
                    DeprecationWarning,
                    stacklevel=3,
                )
                yield mw, False

    async def startup(self) -> None:
        """Send ``on_startup`` (runs ``cleanup_ctx`` setup first)."""
        await self._on_startup.send(self)

    async def shutdown(self) -> None:
        """Send ``on_shutdown``."""
        await self._on_shutdown.send(self)

    async def cleanup(self) -> None:
        """Send ``on_cleanup``; every receiver runs even if one fails.

        A single failure is re-raised; several raise :class:`CleanupError`.
        """
        errors: list[BaseException] = []
        for receiver in tuple(self._on_cleanup):
            try:
                await receiver(self)
            except Exception as exc:
                errors.append(exc)
        _raise_collected(errors)

    # 0.x aliases (deprecated; implemented in heron.legacy.web, see docs/legacy.md)

    def make_handler(self, **kwargs: Any) -> Server:
        """Deprecated: a protocol factory for ``loop.create_server`` (use AppRunner)."""
        from ..legacy.web import make_handler

        return make_handler(self, **kwargs)

    async def finish(self) -> None:
        """Deprecated: run ``register_on_finish`` callbacks, then ``on_cleanup``."""
        from ..legacy.web import finish

        await finish(self)

    def register_on_finish(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Deprecated: call ``func(app, *args, **kwargs)`` at :meth:`finish` (use on_cleanup)."""
        from ..legacy.web import register_on_finish

        register_on_finish(self, func, *args, **kwargs)

    # ------------------------------------------------------------ request handling

    def _make_request(
        self,
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
        _cls: type[Request] = Request,
    ) -> Request:
        """Build the request object for the server (carries ``client_max_size``)."""
        loop = protocol._loop if self._loop is None else self._loop
        if _cls is not Request:
            request = _cls(message, payload, protocol, writer, task, loop)
            # Set afterwards, not passed: a keyword argument to a class call costs a
            # dict (about 1,000 instructions per request).
            if self._client_max_size != request._client_max_size:
                request._client_max_size = self._client_max_size
            return request
        # _new_request(Request, ...) unrolled (one Python call less per request): must
        # set what it sets, with this app's client_max_size.
        request = _object_new(Request)
        request._message = message
        request._method = message.method
        request._version = message.version
        request._headers = message.headers
        request._payload = payload
        request._protocol = protocol
        request._payload_writer = writer
        request._task = task
        request._loop = loop
        request._client_max_size = self._client_max_size
        request._state = {}
        return request

    def _handle(self, request: Request) -> Awaitable[StreamResponse]:
        """Route ``request``; return the awaitable running the middlewares and handler.

        Not a coroutine function: for the common request (a frozen app with the
        default router, no ``Expect:``) it returns the handler's (or the middleware
        chain's) own awaitable, one coroutine less per request. Everything else goes
        through :meth:`_handle_slow`.
        """
        # The plain route of a frozen app is found inline with two dict lookups, and
        # its match info is only built if someone asks for it (request.match_info):
        # each Python call or object saved here is ~1,000 instructions per request.
        # PLAIN_HEAD: these headers were seen without Expect (an identity test).
        headers = request._headers
        routes = self._plain_routes.get(request._message.path)
        route = routes.get(request._method) if routes is not None else None
        if type(route) is ResourceRoute:
            if headers is not PLAIN_HEAD.headers and headers.get(hdrs.EXPECT):
                return self._handle_slow(request, None)
            request._route = route
            request._route_app = self
        else:
            info = self._router._resolve_bound(request, self) if self._fast_routing else None  # type: ignore[attr-defined]
            if info is None or (headers is not PLAIN_HEAD.headers and headers.get(hdrs.EXPECT)):
                return self._handle_slow(request, info)
            request._match_info = info
            route = info._route
        # Signals are frozen with the app: whether prepare() must send any is known.
        request._prepare_flag = self._prepare_receivers
        if not self._run_middlewares:
            return route._handler(request)
        if self._has_old_style:
            return self._handle_slow(request, request._routed())
        return self._chain(request._routed())(request)

    async def _handle_slow(
        self, request: Request, found: UrlMappingMatchInfo | None
    ) -> StreamResponse:
        """Route ``request`` (unless ``found``), run the expect handler and the chain."""
        if found is None:
            router = self._router
            found = router._resolve_now(request) if type(router) is UrlDispatcher else None
            if found is not None:
                found._bind(self)
        if found is not None:
            match_info: AbstractMatchInfo = found
        else:
            match_info = await self._router.resolve(request)
            match_info.add_app(self)
            match_info.freeze()
        request._match_info = match_info
        request._route = None  # (a request handled twice: no stale lazy route)
        if request._headers.get(hdrs.EXPECT):
            writer = request.writer
            sent = writer.output_size
            response = await match_info.expect_handler(request)
            if writer.output_size != sent:
                # A custom expect handler wrote its own "100 Continue" (as the seeds
                # tell it to): the connection must not send a second one.
                request._expect_continue = False
            await writer.drain()
            if response is not None:
                return response
        if not self._run_middlewares:
            return await match_info.handler(request)
        if self._has_old_style:
            handler = await self._old_style_chain(match_info)
        else:
            handler = self._chain(match_info)
        return await handler(request)

    def _chain(self, match_info: AbstractMatchInfo) -> Handler:
        """The handler wrapped in every middleware; cached per route."""
        cacheable = match_info.http_exception is None
        apps = match_info.apps
        key = (getattr(match_info, "route", None), apps)
        if cacheable:
            cached = self._chains.get(key)
            if cached is not None:
                return cached
        handler = match_info.handler
        nested = len(apps) > 1
        for app in reversed(apps):  # innermost first: its layers end up inside
            for mw, _ in app._middlewares_handlers:
                handler = _Step(mw, handler)
            if nested:
                handler = _Step(_SetCurrentApp(app), handler)
        if cacheable and key[0] is not None:
            self._chains[key] = handler
        return handler

    async def _old_style_chain(self, match_info: AbstractMatchInfo) -> Handler:
        """Build the chain calling 0.x-style ``factory(app, handler)`` middlewares."""
        handler = match_info.handler
        apps = match_info.apps
        for app in reversed(apps):
            for mw, new_style in app._middlewares_handlers:
                if new_style:
                    handler = _Step(mw, handler)
                else:
                    handler = await mw(app, handler)
            if len(apps) > 1:
                handler = _Step(_SetCurrentApp(app), handler)
        return handler
