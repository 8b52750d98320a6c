"""0.x client API: module-level ``heron.get()``/``post()``/... and ``ProxyConnector``.

``await heron.get(url, **kwargs)`` makes one request in a session of its own and
returns the response; that response owns the session: releasing it (``release()``,
``close()``, reading the whole body with ``read()``/``text()``/``json()``, or leaving
``async with``) also closes the session and its connector. Both 0.x forms work::

    resp = await heron.get(url)          # 0.x: resp = yield from aiohttp.get(url)
    text = await resp.text()             # reads, then releases: session closed

    async with heron.get(url) as resp:   # released and closed on exit
        ...

The keyword arguments are those of ``ClientSession.request()``, plus the session's
(``cookies``, ``version``, ``timeout``, ...), plus ``connector`` (kept open when given,
as the session does not own it). Modern code: ``async with ClientSession() as s:``.

``ProxyConnector(proxy, *, proxy_auth=None, ...)`` is a :class:`heron.TCPConnector`
that sends every request through ``proxy`` (credentials may be in the URL); like 0.x
it closes connections after each request by default (``force_close=True``). Modern
code passes ``proxy=`` to the session or the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from http.cookies import SimpleCookie
from types import TracebackType
from typing import TYPE_CHECKING, Any

from yarl import URL

from .. import hdrs
from ..client.abc import AbstractCookieJar
from ..client.connector import BaseConnector, Connection
from ..client.response import ClientResponse
from ..client.session import ClientSession
from ..client.tcp import TCPConnector
from ..helpers import BasicAuth
from ._deprecation import warn_deprecated, warn_deprecated_by_caller

if TYPE_CHECKING:
    from ..client.reqrep import ClientRequest
    from ..client.timeouts import ClientTimeout
    from ..client.tracing import Trace

__all__ = (
    "OneShotResponse",
    "ProxyConnector",
    "SessionCookies",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "request",
)

_SESSION_KEYS = (
    "cookies",
    "version",
    "timeout",
    "raise_for_status",
    "auto_decompress",
    "read_bufsize",
    "cookie_jar",
    "json_serialize",
    "conn_timeout",
    "read_timeout",
)


class OneShotResponse(ClientResponse):
    """A response that owns its session: releasing it closes the session too."""

    _closing: asyncio.Future[None] | None = None

    def _close_session(self) -> Any:
        session = self._session
        if self._closing is None and isinstance(session, ClientSession):
            self._closing = asyncio.ensure_future(session.close())
        return self._closing

    def release(self) -> Any:
        """Release the connection and close the session; may be awaited."""
        done = super().release()
        closing = self._close_session()
        return closing if closing is not None else done

    def close(self) -> None:
        """Close the connection and the session."""
        super().close()
        self._close_session()

    async def read(self) -> bytes:
        """The whole body; the response is released (and the session closed) after it."""
        try:
            return await super().read()
        finally:
            await self.release()


class _OneShotRequest:
    """What ``heron.get()`` returns: awaitable (the response) and an async context manager."""

    __slots__ = ("_args", "_resp")

    def __init__(self, method: str, url: Any, kwargs: dict[str, Any]) -> None:
        self._args = (method, url, kwargs)
        self._resp: OneShotResponse | None = None

    async def _send(self) -> OneShotResponse:
        method, url, kwargs = self._args
        connector: BaseConnector | None = kwargs.pop("connector", None)
        loop = kwargs.pop("loop", None)
        session_kwargs = {key: kwargs.pop(key) for key in _SESSION_KEYS if key in kwargs}
        owner = connector is None
        if connector is None:
            connector = TCPConnector(force_close=True, loop=loop)
        session = ClientSession(
            connector=connector,
            connector_owner=owner,
            response_class=OneShotResponse,
            **session_kwargs,
        )
        try:
            resp = await session.request(method, url, **kwargs)
        except BaseException:
            await session.close()
            raise
        assert isinstance(resp, OneShotResponse)
        self._resp = resp
        return resp

    def __await__(self) -> Generator[Any, None, OneShotResponse]:
        return self._send().__await__()

    async def __aenter__(self) -> OneShotResponse:
        return await self._send()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            await self._resp.release()


def request(method: str, url: Any, **kwargs: Any) -> _OneShotRequest:
    """0.x ``heron.request(method, url)`` as ``await``-able; see the module docstring."""
    return _OneShotRequest(method, url, kwargs)


def _one_shot(method: str, url: Any, kwargs: dict[str, Any]) -> _OneShotRequest:
    modern = f"ClientSession().{method.lower()}()"
    warn_deprecated(f"heron.{method.lower()}()", modern, stacklevel=4)
    return _OneShotRequest(method, url, kwargs)


def get(url: Any, *, allow_redirects: bool = True, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot GET (deprecated)."""
    return _one_shot(hdrs.METH_GET, url, {"allow_redirects": allow_redirects, **kwargs})


def options(url: Any, *, allow_redirects: bool = True, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot OPTIONS (deprecated)."""
    return _one_shot(hdrs.METH_OPTIONS, url, {"allow_redirects": allow_redirects, **kwargs})


def head(url: Any, *, allow_redirects: bool = False, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot HEAD (deprecated; redirects are not followed by default)."""
    return _one_shot(hdrs.METH_HEAD, url, {"allow_redirects": allow_redirects, **kwargs})


def post(url: Any, *, data: Any = None, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot POST (deprecated)."""
    return _one_shot(hdrs.METH_POST, url, {"data": data, **kwargs})


def put(url: Any, *, data: Any = None, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot PUT (deprecated)."""
    return _one_shot(hdrs.METH_PUT, url, {"data": data, **kwargs})


def patch(url: Any, *, data: Any = None, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot PATCH (deprecated)."""
    return _one_shot(hdrs.METH_PATCH, url, {"data": data, **kwargs})


def delete(url: Any, **kwargs: Any) -> _OneShotRequest:
    """0.x one-shot DELETE (deprecated)."""
    return _one_shot(hdrs.METH_DELETE, url, kwargs)


class ProxyConnector(TCPConnector):
    """0.x connector sending every request through ``proxy`` (see the module docstring)."""

    def __init__(
        self,
        proxy: str | URL,
        *,
        proxy_auth: BasicAuth | None = None,
        force_close: bool = True,
        **kwargs: Any,
    ) -> None:
        warn_deprecated("heron.ProxyConnector", "ClientSession(proxy=...)")
        proxy = URL(proxy)
        if proxy.scheme not in ("http", "https"):
            raise ValueError(f"only http(s) proxies are supported, got {proxy}")
        if proxy_auth is None and proxy.raw_user is not None:
            proxy_auth = BasicAuth.from_url(proxy)
        if proxy_auth is not None and not isinstance(proxy_auth, BasicAuth):
            raise ValueError("proxy_auth must be None or BasicAuth() tuple")
        super().__init__(force_close=force_close, **kwargs)
        self._proxy = proxy.with_user(None)
        self._proxy_auth = proxy_auth

    @property
    def proxy(self) -> URL:
        """The proxy URL (without credentials)."""
        return self._proxy

    @property
    def proxy_auth(self) -> BasicAuth | None:
        """The proxy's credentials, if any."""
        return self._proxy_auth

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> Connection:
        """Route ``req`` through the proxy (unless it names one), then connect."""
        if req.proxy is None:
            req.update_proxy(self._proxy, self._proxy_auth, req.proxy_headers)
            req._connection_key = None  # the pool key includes the proxy
        return await super().connect(req, traces, timeout)


# -- ClientSession.cookies (0.x): a SimpleCookie view of the jar ---------------------------


class SessionCookies(SimpleCookie):
    """``session.cookies`` (0.x): the jar's cookies as a :class:`http.cookies.SimpleCookie`.

    A snapshot built from ``session.cookie_jar`` when the property is read (a name held
    by several domains shows one of them). Setting or deleting a name writes through to
    the jar: ``session.cookies["a"] = "b"`` stores a cookie sent to every host, as 0.x
    session cookies were; ``del session.cookies["a"]`` removes every cookie named
    ``a``. Changing a morsel's attributes in place does not reach the jar.
    """

    def __init__(self, jar: AbstractCookieJar) -> None:
        super().__init__()
        self._jar = jar
        for morsel in jar:
            dict.__setitem__(self, morsel.key, morsel.copy())

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._jar.update_cookies({key: self[key].copy()})

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._jar.clear(lambda morsel: morsel.key == key)


def session_cookies(session: ClientSession) -> SessionCookies:
    """``session.cookies`` (deprecated): see :class:`SessionCookies`."""
    warn_deprecated_by_caller("ClientSession.cookies", "session.cookie_jar")
    return SessionCookies(session.cookie_jar)


# -- connector arguments and methods of 0.x -----------------------------------------------


def share_cookies_given() -> None:
    """``BaseConnector(share_cookies=...)``: accepted and ignored, with a warning."""
    warn_deprecated_by_caller(
        "BaseConnector(share_cookies=...)",
        "one CookieJar passed to each ClientSession(cookie_jar=...)",
    )


def conn_timeout_given() -> None:
    """``BaseConnector(conn_timeout=...)``: the socket connect timeout of new connections."""
    warn_deprecated_by_caller(
        "BaseConnector(conn_timeout=...)", "ClientTimeout(sock_connect=...) on the session"
    )


def resolve_given(resolve: bool) -> bool:
    """``TCPConnector(resolve=...)``: the old name of ``use_dns_cache``."""
    warn_deprecated_by_caller("TCPConnector(resolve=...)", "TCPConnector(use_dns_cache=...)")
    return resolve


def connector_alias(connector: TCPConnector, old: str, new: str) -> None:
    """Warn that ``connector.<old>`` is deprecated in favour of ``connector.<new>``."""
    name = type(connector).__name__
    warn_deprecated_by_caller(f"{name}.{old}", f"{name}.{new}")
