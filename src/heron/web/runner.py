"""Runners and sites: start and stop a server without ``run_app``.

A runner owns the :class:`~heron.web.Server` (and, for :class:`AppRunner`, the
application's startup and cleanup); sites are the listening sockets::

    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 8080)
    await site.start()
    ...
    await runner.cleanup()

``cleanup()`` shuts down gracefully: the sites stop accepting, idle kept-alive
connections close at once, the application's ``on_shutdown`` runs, requests in
progress get up to ``shutdown_timeout`` seconds to finish, then ``on_cleanup`` runs.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
import warnings
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NoReturn, cast

from yarl import URL

from .log import AbstractAccessLogger, AccessLogger
from .server import Server

if TYPE_CHECKING:
    from .app import Application
    from .request import BaseRequest
    from .response import StreamResponse

__all__ = (
    "AppRunner",
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
)


class GracefulExit(SystemExit):
    """Raised by the SIGINT/SIGTERM handlers of a runner with ``handle_signals=True``."""

    code = 1


def _raise_graceful_exit() -> NoReturn:
    raise GracefulExit()


_DEFAULT_SHUTDOWN_TIMEOUT = 60.0


class BaseSite(ABC):
    """A listening endpoint of a runner; ``await start()`` opens it.

    ``shutdown_timeout`` is deprecated here (as in aiohttp 3.9+): set it on the runner,
    ``AppRunner(app, shutdown_timeout=...)``. A non-default value still applies, to the
    whole runner, with a :class:`DeprecationWarning`.
    """

    def __init__(
        self,
        runner: BaseRunner,
        *,
        shutdown_timeout: float = _DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        if runner.server is None:
            raise RuntimeError("Call runner.setup() before making a site")
        if shutdown_timeout != _DEFAULT_SHUTDOWN_TIMEOUT:
            warnings.warn(
                "shutdown_timeout should be set on the runner: AppRunner(app, "
                "shutdown_timeout=...) or ServerRunner(server, shutdown_timeout=...)",
                DeprecationWarning,
                stacklevel=_warn_level(type(self)),
            )
            runner._shutdown_timeout = shutdown_timeout
        self._runner = runner
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._server: asyncio.Server | None = None

    @property
    @abstractmethod
    def name(self) -> str:
        """A printable URL of the site."""

    @abstractmethod
    async def start(self) -> None:
        """Open the listening socket."""
        self._runner._reg_site(self)

    async def stop(self) -> None:
        """Stop accepting connections (open ones are the runner's to close)."""
        self._runner._check_site(self)
        if self._server is not None:
            self._server.close()
        self._runner._unreg_site(self)

    def _web_server(self) -> Server:
        server = self._runner.server
        if server is None:
            raise RuntimeError("The runner was cleaned up")
        return server


class TCPSite(BaseSite):
    """Listen on ``host``:``port`` (all interfaces and 8080, or 8443 with TLS, by default)."""

    def __init__(
        self,
        runner: BaseRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        shutdown_timeout: float = _DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._host = host
        if port is None:
            port = 8443 if ssl_context is not None else 8080
        self._port = port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def name(self) -> str:
        """``http://host:port`` (the bound port once started)."""
        scheme = "https" if self._ssl_context is not None else "http"
        host = "0.0.0.0" if not self._host else self._host
        port = self._port
        if self._server is not None and self._server.sockets:
            port = self._server.sockets[0].getsockname()[1]
        return str(URL.build(scheme=scheme, host=host, port=port))

    async def start(self) -> None:
        """Bind and listen."""
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._web_server(),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


class UnixSite(BaseSite):
    """Listen on a Unix domain socket at ``path``."""

    def __init__(
        self,
        runner: BaseRunner,
        path: str,
        *,
        shutdown_timeout: float = _DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._path = path

    @property
    def name(self) -> str:
        """``http://unix:<path>:``."""
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://unix:{self._path}:"

    async def start(self) -> None:
        """Bind and listen."""
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_unix_server(
            self._web_server(), self._path, ssl=self._ssl_context, backlog=self._backlog
        )


class SockSite(BaseSite):
    """Listen on an already bound socket (inherited from a supervisor, for example)."""

    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        shutdown_timeout: float = _DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._sock = sock
        scheme = "https" if ssl_context is not None else "http"
        if hasattr(socket, "AF_UNIX") and sock.family == socket.AF_UNIX:
            self._name = f"{scheme}://unix:{sock.getsockname()}:"
        else:
            host, port = sock.getsockname()[:2]
            self._name = str(URL.build(scheme=scheme, host=host, port=port))

    @property
    def name(self) -> str:
        """The socket's address as a URL."""
        return self._name

    async def start(self) -> None:
        """Listen on the socket."""
        await super().start()
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._web_server(), sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )


def _warn_level(site_class: type[BaseSite]) -> int:
    """The stack level of the user's call: subclasses in this module add a frame."""
    return 3 if site_class.__init__ is not BaseSite.__init__ else 2


class BaseRunner(ABC):
    """Owns a :class:`~heron.web.Server` and its sites; see the module docstring."""

    def __init__(
        self, *, handle_signals: bool = False, shutdown_timeout: float = 60.0, **kwargs: Any
    ) -> None:
        self._handle_signals = handle_signals
        self._shutdown_timeout = shutdown_timeout
        self._kwargs = kwargs
        self._server: Server | None = None
        self._sites: list[BaseSite] = []

    @property
    def server(self) -> Server | None:
        """The low-level server (None before ``setup()`` and after ``cleanup()``)."""
        return self._server

    @property
    def addresses(self) -> list[Any]:
        """The bound addresses of every started site (``(host, port)`` for TCP)."""
        result = []
        for site in self._sites:
            server = site._server
            if server is not None:
                for sock in server.sockets:
                    result.append(sock.getsockname())
        return result

    @property
    def sites(self) -> set[BaseSite]:
        """The registered sites."""
        return set(self._sites)

    async def setup(self) -> None:
        """Create the server (and start the application); install signal handlers."""
        loop = asyncio.get_running_loop()
        if self._handle_signals:
            try:
                loop.add_signal_handler(signal.SIGINT, _raise_graceful_exit)
                loop.add_signal_handler(signal.SIGTERM, _raise_graceful_exit)
            except NotImplementedError:  # pragma: no cover - Windows
                pass
        self._server = await self._make_server()

    @abstractmethod
    async def shutdown(self) -> None:
        """Called during ``cleanup()`` after the sites stopped accepting."""

    async def cleanup(self) -> None:
        """Stop the sites, finish requests in progress, close everything."""
        for site in list(self._sites):
            await site.stop()
        if self._server is not None:
            self._server.pre_shutdown()
        await self.shutdown()
        if self._server is not None:
            await self._server.shutdown(self._shutdown_timeout)
        await self._cleanup_server()
        self._server = None
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            try:
                loop.remove_signal_handler(signal.SIGINT)
                loop.remove_signal_handler(signal.SIGTERM)
            except NotImplementedError:  # pragma: no cover - Windows
                pass

    @abstractmethod
    async def _make_server(self) -> Server:
        """Build the low-level server."""

    @abstractmethod
    async def _cleanup_server(self) -> None:
        """Release what ``_make_server`` set up."""

    def _reg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"Site {site} is already registered in runner {self}")
        self._sites.append(site)

    def _check_site(self, site: BaseSite) -> None:
        if site not in self._sites:
            raise RuntimeError(f"Site {site} is not registered in runner {self}")

    def _unreg_site(self, site: BaseSite) -> None:
        if site not in self._sites:
            raise RuntimeError(f"Site {site} is not registered in runner {self}")
        self._sites.remove(site)


class ServerRunner(BaseRunner):
    """A runner for a low-level :class:`~heron.web.Server` (no application)."""

    def __init__(self, web_server: Server, *, handle_signals: bool = False, **kwargs: Any) -> None:
        super().__init__(handle_signals=handle_signals, **kwargs)
        self._web_server = web_server

    async def shutdown(self) -> None:
        """Nothing to do: a bare server has no shutdown hooks."""

    async def _make_server(self) -> Server:
        return self._web_server

    async def _cleanup_server(self) -> None:
        pass


class AppRunner(BaseRunner):
    """A runner for an :class:`~heron.web.Application`.

    Keyword arguments configure the server (see :class:`~heron.web.Server`), e.g.
    ``access_log_class``, ``access_log``, ``keepalive_timeout``, ``handler_cancellation``.
    """

    def __init__(
        self,
        app: Application,
        *,
        handle_signals: bool = False,
        access_log_class: type[AbstractAccessLogger] = AccessLogger,
        **kwargs: Any,
    ) -> None:
        from .app import Application

        if not isinstance(app, Application):
            raise TypeError(f"The app should be an Application instance, got {app!r}")
        if not (
            isinstance(access_log_class, type)
            and issubclass(access_log_class, AbstractAccessLogger)
        ):
            raise TypeError(
                "access_log_class must be a subclass of AbstractAccessLogger, "
                f"got {access_log_class!r}"
            )
        super().__init__(handle_signals=handle_signals, access_log_class=access_log_class, **kwargs)
        self._app = app

    @property
    def app(self) -> Application:
        """The application."""
        return self._app

    async def shutdown(self) -> None:
        """Send the application's ``on_shutdown``."""
        await self._app.shutdown()

    async def _make_server(self) -> Server:
        app = self._app
        app.pre_freeze()
        await app.startup()
        app.freeze()
        kwargs = dict(app._handler_args or {})
        kwargs.update(self._kwargs)
        if app.debug:
            kwargs.setdefault("debug", True)
        handler = cast("Callable[[BaseRequest], Awaitable[StreamResponse]]", app._handle)
        return Server(handler, request_factory=app._make_request, **kwargs)

    async def _cleanup_server(self) -> None:
        await self._app.cleanup()
