"""TestClient: a ClientSession bound to one test server."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from yarl import URL

from .. import hdrs
from .servers import BaseTestServer, _AsyncWithOnly

if TYPE_CHECKING:
    from ..client.abc import AbstractCookieJar
    from ..client.response import ClientResponse
    from ..client.session import ClientSession
    from ..web.app import Application

__all__ = ("TestClient",)

_T = TypeVar("_T")


class _PendingContext(Generic[_T]):
    """A coroutine's result, by ``await`` or as the target of ``async with``."""

    __slots__ = ("_coro", "_result")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self._result: Any = None  # set by __aenter__, for __aexit__

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        result = self._result = await self._coro
        return result


class _TestRequestContext(_PendingContext["ClientResponse"]):
    """What the request methods return: ``await`` it or use it with ``async with``.

    Unlike a session's own context manager, leaving ``async with`` does not release
    the response: the client keeps it and releases it at :meth:`TestClient.close`, so
    a test may still read the body (or inspect the response) after the block.
    """

    __slots__ = ()

    def close(self) -> None:
        """Discard the request without sending it (the coroutine is closed)."""
        self._coro.close()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class _TestWSContext(_PendingContext[Any]):
    """``await client.ws_connect(path)`` or ``async with client.ws_connect(path) as ws``."""

    __slots__ = ()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._result.close()


class TestClient(_AsyncWithOnly):
    """A :class:`~heron.ClientSession` whose relative URLs go to ``server``.

    ``get``/``post``/... take a path (``"/users?id=1"``) instead of a URL and return
    the same responses a session does. Cookies set by the server are kept across
    calls (the jar accepts cookies from IP addresses, as the server is on
    127.0.0.1). Every response and WebSocket is remembered and closed, with the
    session and the server, by :meth:`close`. Keyword arguments go to the session.
    """

    __test__ = False  # a class named Test* must not be collected by pytest

    def __init__(
        self,
        server: BaseTestServer,
        *,
        cookie_jar: AbstractCookieJar | None = None,
        loop: Any = None,  # accepted for aiohttp compatibility; the running loop is used
        **kwargs: Any,
    ) -> None:
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"server must be a TestServer or RawTestServer, got {server!r}")
        self._server = server
        self._cookie_jar = cookie_jar
        self._session_kwargs = kwargs
        self._session: ClientSession | None = None
        self._responses: list[ClientResponse] = []
        self._websockets: list[Any] = []
        self._closed = False
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # no loop yet: the session is made by start_server()
        else:
            self._make_session()

    def _make_session(self) -> ClientSession:
        from ..client.cookiejar import CookieJar
        from ..client.session import ClientSession

        if self._session is None:
            jar = self._cookie_jar if self._cookie_jar is not None else CookieJar(unsafe=True)
            self._session = ClientSession(cookie_jar=jar, **self._session_kwargs)
        return self._session

    async def start_server(self) -> None:
        """Start the server (if it is not running yet)."""
        self._make_session()
        await self._server.start_server()

    @property
    def scheme(self) -> str:
        """The server's scheme (``http`` or ``https``)."""
        return self._server.scheme

    @property
    def host(self) -> str:
        """The server's host."""
        return self._server.host

    @property
    def port(self) -> int | None:
        """The server's port."""
        return self._server.port

    @property
    def server(self) -> BaseTestServer:
        """The test server this client talks to."""
        return self._server

    @property
    def app(self) -> Application | None:
        """The application of a :class:`TestServer`; None for a raw server."""
        app: Application | None = getattr(self._server, "app", None)
        return app

    @property
    def session(self) -> ClientSession:
        """The underlying :class:`~heron.ClientSession` (for cookies, headers, ...)."""
        if self._session is None:
            raise RuntimeError("the client is not started: await client.start_server()")
        return self._session

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._closed

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on the server."""
        return self._server.make_url(path)

    async def _request(self, method: str, path: str | URL, **kwargs: Any) -> ClientResponse:
        resp = await self.session.request(method, self.make_url(path), **kwargs)
        # Kept so that close() releases it; a test need not release responses itself.
        self._responses.append(resp)
        return resp

    def request(self, method: str, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """Send a ``method`` request to ``path``; arguments as for the session's."""
        return _TestRequestContext(self._request(method, path, **kwargs))

    def get(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """GET ``path``."""
        return self.request(hdrs.METH_GET, path, **kwargs)

    def post(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """POST to ``path``."""
        return self.request(hdrs.METH_POST, path, **kwargs)

    def put(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """PUT to ``path``."""
        return self.request(hdrs.METH_PUT, path, **kwargs)

    def patch(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """PATCH ``path``."""
        return self.request(hdrs.METH_PATCH, path, **kwargs)

    def delete(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """DELETE ``path``."""
        return self.request(hdrs.METH_DELETE, path, **kwargs)

    def head(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """HEAD ``path``."""
        return self.request(hdrs.METH_HEAD, path, **kwargs)

    def options(self, path: str | URL, **kwargs: Any) -> _TestRequestContext:
        """OPTIONS ``path``."""
        return self.request(hdrs.METH_OPTIONS, path, **kwargs)

    async def _ws_connect(self, path: str | URL, **kwargs: Any) -> Any:
        ws = await self.session.ws_connect(self.make_url(path), **kwargs)
        self._websockets.append(ws)
        return ws

    def ws_connect(self, path: str | URL, **kwargs: Any) -> _TestWSContext:
        """Open a WebSocket to ``path``; arguments as for the session's ``ws_connect``."""
        return _TestWSContext(self._ws_connect(path, **kwargs))

    async def close(self) -> None:
        """Close every response and WebSocket, the session, then the server."""
        if self._closed:
            return
        self._closed = True
        for resp in self._responses:
            resp.close()
        for ws in self._websockets:
            await ws.close()
        if self._session is not None:
            await self._session.close()
        await self._server.close()
