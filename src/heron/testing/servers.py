"""Test servers: run an application or a bare handler on a loopback port."""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from yarl import URL

from ..web.runner import AppRunner, BaseRunner, ServerRunner, SockSite
from ..web.server import Server

if TYPE_CHECKING:
    import ssl

    from ..web.app import Application
    from ..web.request import BaseRequest
    from ..web.response import StreamResponse

__all__ = ("BaseTestServer", "RawTestServer", "TestServer", "get_port_socket", "unused_port")

SocketFactory = Callable[[str, int, socket.AddressFamily], socket.socket]


def get_port_socket(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
    """A socket bound to ``(host, port)``, ready for a site to listen on."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Let a test restart a server on the port it just closed (TIME_WAIT).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (another process may take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _AsyncWithOnly:
    """``async with`` runs ``start_server()`` and then ``close()``; ``with`` is refused.

    Shared by the test servers and :class:`~heron.test_utils.TestClient`.
    """

    if TYPE_CHECKING:

        async def start_server(self) -> None: ...

        async def close(self) -> None: ...

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(self, *args: object) -> None:  # pragma: no cover
        """Never reached: ``__enter__`` raises."""

    async def __aenter__(self) -> Self:
        await self.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class BaseTestServer(_AsyncWithOnly, ABC):
    """A server on a loopback port for the length of a test.

    ``await server.start_server()`` (or ``async with server:``) starts it on ``host``
    and ``port`` (0 or None: a free port chosen by the OS); ``make_url(path)`` builds
    URLs to it; ``await server.close()`` stops it. Keyword arguments other than the
    ones named here go to the runner (and through it to :class:`~heron.web.Server`).
    """

    __test__ = False  # a class named Test* must not be collected by pytest

    def __init__(
        self,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        skip_url_asserts: bool = True,
        socket_factory: SocketFactory = get_port_socket,
        loop: Any = None,  # accepted for aiohttp compatibility; the running loop is used
        **kwargs: Any,
    ) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.runner: BaseRunner | None = None
        self._root: URL | None = None
        self._ssl: ssl.SSLContext | None = None
        self._skip_url_asserts = skip_url_asserts
        self._socket_factory = socket_factory
        self._closed = False
        self._runner_kwargs = kwargs

    @abstractmethod
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        """Build the (not yet set up) runner serving this server's handler."""

    async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
        """Start listening; a no-op when already started.

        ``ssl=`` (an :class:`ssl.SSLContext`) serves HTTPS; other keyword arguments go
        to the runner, added to those given to the constructor.
        """
        if self.runner is not None:
            return
        self._ssl = kwargs.pop("ssl", None)
        settings = {"handler_cancellation": True, **self._runner_kwargs, **kwargs}
        runner = await self._make_runner(**settings)
        await runner.setup()
        self.runner = runner
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = self._socket_factory(self.host, self.port or 0, family)
        self.host, self.port = sock.getsockname()[:2]
        site = SockSite(runner, sock, ssl_context=self._ssl)
        await site.start()
        if not self.scheme:
            self.scheme = "https" if self._ssl is not None else "http"
        authority = f"[{self.host}]" if ":" in self.host else self.host
        self._root = URL(f"{self.scheme}://{authority}:{self.port}")

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on this server.

        A path starting with ``/`` (query string included) is appended to the root;
        other relative references are resolved against it. With
        ``skip_url_asserts=False`` an absolute URL raises ``AssertionError``.
        """
        assert self._root is not None, "the server is not started"
        url = URL(path)
        if not self._skip_url_asserts:
            assert not url.absolute, f"expected a relative URL, got {path!r}"
        text = str(path)
        if text.startswith("/"):
            return URL(str(self._root) + text)
        return self._root.join(url)

    @property
    def started(self) -> bool:
        """True between a successful :meth:`start_server` and :meth:`close`."""
        return self.runner is not None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    @property
    def handler(self) -> Server:
        """The low-level :class:`~heron.web.Server` of the running server."""
        runner = self.runner
        if runner is None or runner.server is None:
            raise RuntimeError("the server is not started")
        return runner.server

    @property
    def server(self) -> Server:
        """Same as :attr:`handler`."""
        return self.handler

    async def close(self) -> None:
        """Stop listening and close every connection; safe to call twice."""
        runner = self.runner
        if runner is not None and not self._closed:
            await runner.cleanup()
            self._root = None
            self.port = None
        self._closed = True


class TestServer(BaseTestServer):
    """Serve a :class:`~heron.web.Application` (through an ``AppRunner``)."""

    def __init__(
        self,
        app: Application,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return AppRunner(self.app, **kwargs)


class RawTestServer(BaseTestServer):
    """Serve a bare ``handler(request) -> response`` coroutine (a low-level server)."""

    def __init__(
        self,
        handler: Callable[[BaseRequest], Awaitable[StreamResponse]],
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._handler = handler
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return ServerRunner(Server(self._handler, **kwargs))
