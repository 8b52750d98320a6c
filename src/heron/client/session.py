"""The client session: :class:`ClientSession` and the module-level :func:`request`."""

from __future__ import annotations

import asyncio
import sys
import traceback
import warnings
from collections.abc import Callable, Coroutine, Iterable
from http.cookies import SimpleCookie
from types import TracebackType
from typing import Any

from multidict import CIMultiDict, istr
from yarl import URL

from .. import hdrs
from ..helpers import BasicAuth
from ..http.models import HttpVersion, HttpVersion11
from ..payload import JsonPayload
from ..typedefs import DEFAULT_JSON_ENCODER, JSONEncoder, LooseCookies, LooseHeaders, StrOrURL
from ._options import SENTINEL as _SENTINEL
from ._options import OptionsMixin, RaiseForStatus, RequestOptions, check_base_url, session_timeout
from ._short import NO_TRACES as _NO_TRACES
from ._short import NOTHING as _NOTHING
from ._short import ShortPathMixin
from .abc import AbstractCookieJar
from .connector import BaseConnector
from .contexts import RequestContextManager, SessionRequestContextManager
from .cookiejar import CookieJar
from .redirects import REDIRECT_STATUSES, Hop
from .reqrep import _DEFAULT_HEADERS as _PLAIN_DEFAULT_HEADERS
from .reqrep import ClientRequest
from .response import ClientResponse, default_charset_resolver
from .tcp import TCPConnector
from .timeouts import ClientTimeout, deadline_of
from .tls import legacy_request_ssl
from .tracing import Trace, TraceConfig

__all__ = ("ClientSession", "request")

_UPPER_METHODS = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"}
)


class ClientSession(ShortPathMixin, OptionsMixin):
    """A connection pool, cookie jar and request defaults shared by many requests.

    Create one per application (``async with heron.ClientSession() as session:``)
    and make requests with :meth:`get`, :meth:`post`, ... or :meth:`request`.
    """

    # The request pipeline's steps are in the mixins: option building in _options.py,
    # request building in _building.py, connecting/sending/redirects in _sending.py.

    _source_traceback: traceback.StackSummary | None = None
    _connector: BaseConnector | None = None

    def __init__(
        self,
        base_url: StrOrURL | None = None,
        *,
        connector: BaseConnector | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        cookies: LooseCookies | None = None,
        headers: LooseHeaders | None = None,
        proxy: StrOrURL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        json_serialize: JSONEncoder = DEFAULT_JSON_ENCODER,
        request_class: type[ClientRequest] = ClientRequest,
        response_class: type[ClientResponse] = ClientResponse,
        ws_response_class: Any = None,
        version: HttpVersion = HttpVersion11,
        cookie_jar: AbstractCookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: RaiseForStatus = False,
        read_timeout: float | object | None = _SENTINEL,
        conn_timeout: float | None = None,
        timeout: ClientTimeout | object = _SENTINEL,
        auto_decompress: bool = True,
        trust_env: bool = False,
        requote_redirect_url: bool = True,
        trace_configs: list[TraceConfig] | None = None,
        read_bufsize: int = 2**16,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        fallback_charset_resolver: Callable[[ClientResponse, bytes], str] = (
            default_charset_resolver
        ),
    ) -> None:
        self._loop = loop or asyncio.get_running_loop()
        if connector is None:
            connector = TCPConnector(loop=self._loop)
        elif connector._loop is not self._loop:
            raise RuntimeError("Session and connector has to use same event loop")
        if self._loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))
        self._base_url = check_base_url(base_url)
        self._connector = connector
        self._connector_owner = connector_owner
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar(loop=self._loop)
        if cookies:
            self._cookie_jar.update_cookies(cookies)
        self._default_headers = CIMultiDict(headers or {})
        self._skip_auto_headers = frozenset(istr(h) for h in skip_auto_headers or ())
        self._default_auth = auth
        self._default_proxy = URL(proxy) if proxy is not None else None
        self._default_proxy_auth = proxy_auth
        self._json_serialize = json_serialize
        self._request_class = request_class
        self._response_class = response_class
        self._ws_response_class = ws_response_class
        self._version = version
        self._raise_for_status = raise_for_status
        self._timeout = session_timeout(timeout, read_timeout, conn_timeout)
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._requote_redirect_url = requote_redirect_url
        self._trace_configs = list(trace_configs or ())
        for trace_config in self._trace_configs:
            trace_config.freeze()
        self._read_bufsize = read_bufsize
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._resolve_charset = fallback_charset_resolver
        # Per-session caches of the request fast path (see _request).
        self._plain_options = {}
        self._urls = {}
        self._plain_keys = {}
        self._short_targets = {}
        self._sync_send = request_class.send is ClientRequest.send
        self._sync_start = response_class.start is ClientResponse.start
        # Whether requests without options may skip the general request building
        # (none of these settings can change after the session is made).
        self._plain_requests = (
            request_class is ClientRequest
            and version == HttpVersion11
            and ClientRequest.DEFAULT_HEADERS is _PLAIN_DEFAULT_HEADERS
            and not trust_env
            and auth is None
            and proxy is None
            and not connector.force_close
        )
        # Whether plain GETs may take the short path (_short.py) too.
        self._short_ok = (
            self._plain_requests
            and self._sync_send
            and response_class is ClientResponse
            and not self._skip_auto_headers
        )

    def __init_subclass__(cls) -> None:
        warnings.warn(
            f"Inheritance class {cls.__name__} from ClientSession is discouraged",
            DeprecationWarning,
            stacklevel=2,
        )

    def __del__(self, _warnings: Any = warnings) -> None:
        if self.closed:
            return
        _warnings.warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)
        context: dict[str, Any] = {"client_session": self, "message": "Unclosed client session"}
        if self._source_traceback is not None:
            context["source_traceback"] = self._source_traceback
        if not self._loop.is_closed():
            self._loop.call_exception_handler(context)

    # -- the request pipeline -------------------------------------------------------------

    def request(self, method: str, url: StrOrURL, **kwargs: Any) -> RequestContextManager:
        """Make a request; ``await`` the result or use it with ``async with``."""
        if not kwargs:
            return RequestContextManager(self._run_plain(method, url, True))
        return RequestContextManager(self._request(method, url, **kwargs))

    async def _request(
        self,
        method: str,
        str_or_url: StrOrURL,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = _SENTINEL,
        cookies: LooseCookies | None = None,
        headers: LooseHeaders | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int = 10,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        raise_for_status: RaiseForStatus | None = None,
        read_until_eof: bool = True,
        proxy: StrOrURL | None = None,
        proxy_auth: BasicAuth | None = None,
        timeout: ClientTimeout | object = _SENTINEL,
        ssl: Any = True,
        server_hostname: str | None = None,
        proxy_headers: LooseHeaders | None = None,
        trace_request_ctx: Any = None,
        read_bufsize: int | None = None,
        auto_decompress: bool | None = None,
        max_line_size: int | None = None,
        max_field_size: int | None = None,
        verify_ssl: bool | None = None,
        fingerprint: bytes | None = None,
        ssl_context: Any = None,
    ) -> ClientResponse:
        """A request with options (``request()`` without them takes ``_run_plain``)."""
        if self.closed:
            raise RuntimeError("Session is closed")
        if json is not _SENTINEL:
            if data is not None:
                raise ValueError("data and json parameters can not be used at the same time")
            data = JsonPayload(json, dumps=self._json_serialize)
        if (
            skip_auto_headers is None
            and compress is None
            and chunked is None
            and not expect100
            and proxy is None
            and proxy_auth is None
            and proxy_headers is None
            and ssl is True
            and server_hostname is None
            and max_redirects == 10
            and timeout is _SENTINEL
            and read_until_eof is True
            and read_bufsize is None
            and auto_decompress is None
            and max_line_size is None
            and max_field_size is None
            and verify_ssl is None
            and fingerprint is None
            and ssl_context is None
        ):
            # The common case: nothing but the session's settings, built once.
            opts, params_tuple = self._plain_options.get(allow_redirects) or self._plain(
                allow_redirects
            )
        else:
            if ssl is not True or verify_ssl is not None or fingerprint or ssl_context is not None:
                ssl = legacy_request_ssl(ssl, verify_ssl, fingerprint, ssl_context)
            opts, params_tuple = self._options(
                skip_auto_headers,
                compress,
                chunked,
                expect100,
                (proxy, proxy_auth, proxy_headers),
                ssl,
                server_hostname,
                allow_redirects,
                max_redirects,
                timeout,
                read_until_eof,
                auto_decompress,
                (max_line_size, max_field_size, read_bufsize),
            )
        return await self._run(
            method,
            str_or_url,
            opts,
            params_tuple,
            (data, headers, auth, cookies, params),
            trace_request_ctx,
            raise_for_status,
        )

    async def _run(
        self,
        method: str,
        str_or_url: StrOrURL,
        opts: RequestOptions,
        params_tuple: tuple[Any, ...],
        what: tuple[Any, LooseHeaders | None, BasicAuth | None, LooseCookies | None, Any],
        trace_request_ctx: Any,
        raise_for_status: RaiseForStatus | None,
    ) -> ClientResponse:
        """The request itself, once its options are known (``what`` is ``(data,
        headers, auth, cookies, params)``)."""
        connector = self._connector
        if connector is None or connector.closed:
            raise RuntimeError("Session is closed")
        tm = opts.timeout
        # The total timeout as a loop time (None without one).
        deadline = deadline_of(self._loop.time(), tm.total, tm.ceil_threshold) if tm.total else None
        data, headers, auth, cookies, params = what
        try:
            url = self._urls.get(str_or_url)
        except TypeError:  # unhashable: no URL at all, _build_url says so
            url = None
        hop = Hop(
            method if method in _UPPER_METHODS else method.upper(),
            # "is not None", not "or": a URL's truth test is a Python call.
            url if url is not None else self._build_url(str_or_url),
            data,
            self._default_headers.copy() if headers is None else self._prepare_headers(headers),
            auth,
            cookies,
            params,
        )
        arm = (params_tuple, deadline)
        if self._trace_configs:
            traces = [
                Trace(self, tc, tc.trace_config_ctx(trace_request_ctx))
                for tc in self._trace_configs
            ]
            return await self._traced_request(hop, opts, arm, traces, raise_for_status)
        # Inlined _send_following_redirects: one coroutine less per request.
        resp = await self._send_hop(hop, opts, arm, _NO_TRACES)
        if resp._sets_cookie() or (opts.allow_redirects and resp.status in REDIRECT_STATUSES):
            resp = await self._follow_redirects(hop, resp, opts, arm, _NO_TRACES)
        if raise_for_status is not False and (
            raise_for_status is not None or self._raise_for_status is not False
        ):
            await self._check_status(resp, raise_for_status)
        return resp

    def _run_plain(
        self, method: str, url: StrOrURL, allow_redirects: bool
    ) -> Coroutine[Any, Any, ClientResponse]:
        """The coroutine of a request that passes no options (skips sorting them out)."""
        opts, params_tuple = self._plain_options.get(allow_redirects) or self._plain(
            allow_redirects
        )
        if method == hdrs.METH_GET and self._short_ok:
            return self._run_short(method, url, opts, params_tuple)
        return self._run(method, url, opts, params_tuple, _NOTHING, None, None)

    # -- verbs ---------------------------------------------------------------------------

    def get(
        self, url: StrOrURL, *, allow_redirects: bool = True, **kwargs: Any
    ) -> RequestContextManager:
        """GET ``url``."""
        if not kwargs:
            if self._short_ok:
                # _run_plain() without its call (the most common request of all)
                opts, params_tuple = self._plain_options.get(allow_redirects) or self._plain(
                    allow_redirects
                )
                return RequestContextManager(
                    self._run_short(hdrs.METH_GET, url, opts, params_tuple)
                )
            return RequestContextManager(self._run_plain(hdrs.METH_GET, url, allow_redirects))
        return RequestContextManager(
            self._request(hdrs.METH_GET, url, allow_redirects=allow_redirects, **kwargs)
        )

    def options(
        self, url: StrOrURL, *, allow_redirects: bool = True, **kwargs: Any
    ) -> RequestContextManager:
        """OPTIONS ``url``."""
        return self.request(hdrs.METH_OPTIONS, url, allow_redirects=allow_redirects, **kwargs)

    def head(
        self, url: StrOrURL, *, allow_redirects: bool = False, **kwargs: Any
    ) -> RequestContextManager:
        """HEAD ``url`` (redirects are not followed unless asked)."""
        return self.request(hdrs.METH_HEAD, url, allow_redirects=allow_redirects, **kwargs)

    def post(self, url: StrOrURL, *, data: Any = None, **kwargs: Any) -> RequestContextManager:
        """POST ``data`` to ``url``."""
        return self.request(hdrs.METH_POST, url, data=data, **kwargs)

    def put(self, url: StrOrURL, *, data: Any = None, **kwargs: Any) -> RequestContextManager:
        """PUT ``data`` to ``url``."""
        return self.request(hdrs.METH_PUT, url, data=data, **kwargs)

    def patch(self, url: StrOrURL, *, data: Any = None, **kwargs: Any) -> RequestContextManager:
        """PATCH ``url`` with ``data``."""
        return self.request(hdrs.METH_PATCH, url, data=data, **kwargs)

    def delete(self, url: StrOrURL, **kwargs: Any) -> RequestContextManager:
        """DELETE ``url``."""
        return self.request(hdrs.METH_DELETE, url, **kwargs)

    def ws_connect(self, url: StrOrURL, **kwargs: Any) -> Any:
        """Open a WebSocket (provided by :mod:`heron.client.websocket`)."""
        try:
            from . import websocket
        except ImportError as exc:  # pragma: no cover - until the WebSocket client lands
            raise NotImplementedError("WebSocket client is not available yet") from exc
        return websocket.ws_connect(self, url, **kwargs)

    # -- lifetime -----------------------------------------------------------------------

    async def close(self) -> None:
        """Close the connector (when the session owns it) and mark the session closed."""
        connector = self._connector
        if connector is not None and not connector.closed and self._connector_owner:
            await connector.close()
        self._connector = None

    def detach(self) -> None:
        """Forget the connector without closing it; the session counts as closed."""
        self._connector = None

    @property
    def closed(self) -> bool:
        """True once closed (or detached, or its connector closed)."""
        return self._connector is None or self._connector.closed

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(self, *args: object) -> None:  # pragma: no cover - __enter__ raises
        pass

    # -- read-only views ------------------------------------------------------------------

    @property
    def connector(self) -> BaseConnector | None:
        """The connector (None once closed)."""
        return self._connector

    @property
    def cookie_jar(self) -> AbstractCookieJar:
        """The cookie jar."""
        return self._cookie_jar

    @property
    def cookies(self) -> SimpleCookie:
        """Deprecated 0.x view of :attr:`cookie_jar` as a ``SimpleCookie`` (see legacy.md)."""
        from ..legacy.client import session_cookies

        return session_cookies(self)

    @property
    def version(self) -> HttpVersion:
        """The HTTP version of requests."""
        return self._version

    @property
    def requote_redirect_url(self) -> bool:
        """Whether redirect URLs are re-quoted."""
        return self._requote_redirect_url

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The session's event loop."""
        return self._loop

    @property
    def timeout(self) -> ClientTimeout:
        """The default timeouts."""
        return self._timeout

    @property
    def headers(self) -> CIMultiDict[str]:
        """The default headers."""
        return self._default_headers

    @property
    def skip_auto_headers(self) -> frozenset[istr]:
        """Headers not generated automatically."""
        return self._skip_auto_headers

    @property
    def auth(self) -> BasicAuth | None:
        """The default credentials."""
        return self._default_auth

    @property
    def json_serialize(self) -> JSONEncoder:
        """The JSON encoder of ``json=`` bodies."""
        return self._json_serialize

    @property
    def connector_owner(self) -> bool:
        """Whether closing the session closes the connector."""
        return self._connector_owner

    @property
    def raise_for_status(self) -> RaiseForStatus:
        """The default ``raise_for_status``."""
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        """Whether bodies are decompressed."""
        return self._auto_decompress

    @property
    def trust_env(self) -> bool:
        """Whether proxies and ``.netrc`` come from the environment."""
        return self._trust_env

    @property
    def trace_configs(self) -> list[TraceConfig]:
        """The tracing configurations."""
        return self._trace_configs

    @property
    def base_url(self) -> URL | None:
        """The base of relative request URLs."""
        return self._base_url


def request(
    method: str,
    url: StrOrURL,
    *,
    connector: BaseConnector | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    **kwargs: Any,
) -> SessionRequestContextManager:
    """One request in its own short-lived session: ``async with heron.request(...) as r``.

    Without a ``connector`` the connection is closed afterwards (no pooling).
    """
    session_kwargs = {
        key: kwargs.pop(key)
        for key in (
            "cookies",
            "version",
            "timeout",
            "raise_for_status",
            "trust_env",
            "auto_decompress",
            "read_bufsize",
            "max_line_size",
            "max_field_size",
            "cookie_jar",
            "json_serialize",
        )
        if key in kwargs
    }
    owner = connector is None
    if connector is None:
        connector = TCPConnector(force_close=True, loop=loop)
    session = ClientSession(loop=loop, connector=connector, connector_owner=owner, **session_kwargs)
    return SessionRequestContextManager(session._request(method, url, **kwargs), session)
