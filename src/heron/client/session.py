"""The client session: :class:`ClientSession` and the module-level :func:`request`."""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import traceback
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
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
from .abc import AbstractCookieJar
from .connector import BaseConnector, Connection
from .contexts import RequestContextManager, SessionRequestContextManager
from .cookiejar import CookieJar
from .exceptions import ConnectionTimeoutError, InvalidUrlClientError, NonHttpUrlClientError
from .proto import BadResponseHead
from .proxy import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from .redirects import REDIRECT_STATUSES, Hop, follow_redirect
from .reqrep import _DEFAULT_HEADERS as _PLAIN_DEFAULT_HEADERS
from .reqrep import ClientRequest, ConnectionKey
from .response import ClientResponse, default_charset_resolver
from .tcp import TCPConnector
from .timeouts import DEFAULT_TIMEOUT, ClientTimeout, deadline_of, earliest
from .tls import legacy_request_ssl
from .tracing import Trace, TraceConfig

__all__ = ("ClientSession", "request")

_HTTP_SCHEMES = frozenset({"http", "https"})
_WS_SCHEMES = frozenset({"ws", "wss"})
_ALLOWED_SCHEMES = _HTTP_SCHEMES | _WS_SCHEMES
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_UPPER_METHODS = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"}
)
_SENTINEL: Any = object()

RaiseForStatus = bool | Callable[[ClientResponse], Awaitable[None]]
# What a request's connection is armed with: the protocol's response parameters and
# the total deadline (see ResponseHandler._prepare).
_Arm = tuple[tuple[Any, ...], float | None]


@dataclasses.dataclass(frozen=True, slots=True)
class _RequestOptions:
    """The settings of one ``request()`` call that stay the same across redirect hops."""

    skip_auto_headers: frozenset[istr]
    compress: str | bool | None
    chunked: bool | None
    expect100: bool
    proxy: StrOrURL | None
    proxy_auth: BasicAuth | None
    proxy_headers: LooseHeaders | None
    ssl: Any
    server_hostname: str | None
    allow_redirects: bool
    max_redirects: int
    timeout: ClientTimeout
    read_until_eof: bool
    auto_decompress: bool
    max_line_size: int
    max_field_size: int
    read_bufsize: int
    plain: bool = False  # only the session's defaults: requests may take the fast path

    def response_params(self) -> tuple[bool, bool, int, int, int, float | None]:
        """What the connection's protocol needs to parse the answer (see ``_prepare``)."""
        return (
            self.read_until_eof,
            self.auto_decompress,
            self.max_line_size,
            self.max_field_size,
            self.read_bufsize,
            self.timeout.sock_read,
        )


# Most requests pass no options: their settings are built once per session and shared.
_NO_TRACES: list[Trace] = []
_NOTHING = (None, None, None, None, None)  # no data, headers, auth, cookies or params
_URL_CACHE_MAX = 256


class ClientSession:
    """A connection pool, cookie jar and request defaults shared by many requests.

    Create one per application (``async with heron.ClientSession() as session:``)
    and make requests with :meth:`get`, :meth:`post`, ... or :meth:`request`.
    """

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
        self._loop: asyncio.AbstractEventLoop = loop or asyncio.get_running_loop()
        if connector is None:
            connector = TCPConnector(loop=self._loop)
        elif connector._loop is not self._loop:
            raise RuntimeError("Session and connector has to use same event loop")
        if self._loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))
        self._base_url = self._check_base_url(base_url)
        self._connector = connector
        self._connector_owner = connector_owner
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar(loop=self._loop)
        if cookies:
            self._cookie_jar.update_cookies(cookies)
        self._default_headers: CIMultiDict[str] = CIMultiDict(headers or {})
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
        self._timeout = self._resolve_session_timeout(timeout, read_timeout, conn_timeout)
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
        self._plain_options: dict[bool, tuple[_RequestOptions, tuple[Any, ...]]] = {}
        self._urls: dict[StrOrURL, URL] = {}
        self._plain_keys: dict[int, tuple[URL, ConnectionKey]] = {}
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

    @staticmethod
    def _check_base_url(base_url: StrOrURL | None) -> URL | None:
        if base_url is None:
            return None
        url = URL(base_url)
        if not url.absolute:
            raise ValueError("Only absolute URLs are supported as base_url")
        if url.raw_query_string or url.raw_fragment:
            raise ValueError("base_url must not have a query or a fragment")
        if not url.raw_path.endswith("/"):
            raise ValueError("base_url must end with '/' so relative paths join under it")
        return url

    @staticmethod
    def _resolve_session_timeout(
        timeout: Any, read_timeout: Any, conn_timeout: float | None
    ) -> ClientTimeout:
        if timeout is _SENTINEL or timeout is None:
            result = DEFAULT_TIMEOUT
            if read_timeout is not _SENTINEL or conn_timeout is not None:
                warnings.warn(
                    "read_timeout and conn_timeout are deprecated, use timeout=",
                    DeprecationWarning,
                    stacklevel=3,
                )
                total = None if read_timeout is _SENTINEL else read_timeout
                result = dataclasses.replace(result, total=total, connect=conn_timeout)
            return result
        if read_timeout is not _SENTINEL or conn_timeout is not None:
            raise ValueError("read_timeout and conn_timeout cannot be combined with timeout")
        if isinstance(timeout, ClientTimeout):
            return timeout
        return ClientTimeout(total=float(timeout))

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
            opts = self._options(
                skip_auto_headers,
                compress,
                chunked,
                expect100,
                proxy,
                proxy_auth,
                proxy_headers,
                ssl,
                server_hostname,
                allow_redirects,
                max_redirects,
                self._request_timeout(timeout),
                read_until_eof,
                auto_decompress,
                (max_line_size, max_field_size, read_bufsize),
            )
            params_tuple = opts.response_params()
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
        opts: _RequestOptions,
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
            url or self._build_url(str_or_url),
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
        if hdrs.SET_COOKIE in resp._headers or (
            opts.allow_redirects and resp.status in REDIRECT_STATUSES
        ):
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
        return self._run(method, url, opts, params_tuple, _NOTHING, None, None)

    def _options(
        self,
        skip_auto_headers: Iterable[str] | None,
        compress: str | bool | None,
        chunked: bool | None,
        expect100: bool,
        proxy: StrOrURL | None,
        proxy_auth: BasicAuth | None,
        proxy_headers: LooseHeaders | None,
        ssl: Any,
        server_hostname: str | None,
        allow_redirects: bool,
        max_redirects: int,
        timeout: ClientTimeout,
        read_until_eof: bool,
        auto_decompress: bool | None,
        sizes: tuple[int | None, int | None, int | None],
    ) -> _RequestOptions:
        """The options of a request that passes some, over the session's defaults."""
        max_line_size, max_field_size, read_bufsize = sizes
        return _RequestOptions(
            skip_auto_headers=self._skip_auto_headers
            if skip_auto_headers is None
            else self._skip_auto_headers | frozenset(istr(h) for h in skip_auto_headers),
            compress=compress,
            chunked=chunked,
            expect100=expect100,
            proxy=proxy,
            proxy_auth=proxy_auth,
            proxy_headers=proxy_headers,
            ssl=ssl,
            server_hostname=server_hostname,
            allow_redirects=allow_redirects,
            max_redirects=max_redirects,
            timeout=timeout,
            read_until_eof=read_until_eof,
            auto_decompress=self._auto_decompress if auto_decompress is None else auto_decompress,
            max_line_size=max_line_size or self._max_line_size,
            max_field_size=max_field_size or self._max_field_size,
            read_bufsize=read_bufsize or self._read_bufsize,
        )

    def _plain(self, allow_redirects: bool) -> tuple[_RequestOptions, tuple[Any, ...]]:
        """The options of a request that passes none (cached per ``allow_redirects``)."""
        opts = _RequestOptions(
            skip_auto_headers=self._skip_auto_headers,
            compress=None,
            chunked=None,
            expect100=False,
            proxy=None,
            proxy_auth=None,
            proxy_headers=None,
            ssl=True,
            server_hostname=None,
            allow_redirects=allow_redirects,
            max_redirects=10,
            timeout=self._timeout,
            read_until_eof=True,
            auto_decompress=self._auto_decompress,
            max_line_size=self._max_line_size,
            max_field_size=self._max_field_size,
            read_bufsize=self._read_bufsize,
            plain=not self._skip_auto_headers,
        )
        result = self._plain_options[allow_redirects] = (opts, opts.response_params())
        return result

    async def _traced_request(
        self,
        hop: Hop,
        opts: _RequestOptions,
        arm: _Arm,
        traces: list[Trace],
        raise_for_status: RaiseForStatus | None,
    ) -> ClientResponse:
        """The request with its redirects and status check, between the trace signals."""
        for trace in traces:
            await trace.send_request_start(hop.method, hop.url, hop.headers)
        try:
            resp = await self._send_following_redirects(hop, opts, arm, traces)
            await self._check_status(resp, raise_for_status)
            for trace in traces:
                await trace.send_request_end(hop.method, hop.url, hop.headers, resp)
            return resp
        except BaseException as exc:
            for trace in traces:
                await trace.send_request_exception(hop.method, hop.url, hop.headers, exc)
            raise

    async def _send_following_redirects(
        self, hop: Hop, opts: _RequestOptions, arm: _Arm, traces: list[Trace]
    ) -> ClientResponse:
        """Send ``hop``, then each redirect it leads to; return the final response."""
        resp = await self._send_hop(hop, opts, arm, traces)
        if hdrs.SET_COOKIE in resp._headers or (
            opts.allow_redirects and resp.status in REDIRECT_STATUSES
        ):
            resp = await self._follow_redirects(hop, resp, opts, arm, traces)
        return resp

    async def _follow_redirects(
        self,
        hop: Hop,
        resp: ClientResponse,
        opts: _RequestOptions,
        arm: _Arm,
        traces: list[Trace],
    ) -> ClientResponse:
        """Store the cookies of ``resp`` (the answer to ``hop``) and follow its redirects."""
        history: list[ClientResponse] = []
        while True:
            self._store_cookies(resp)
            if not opts.allow_redirects or resp.status not in REDIRECT_STATUSES:
                break
            if not await follow_redirect(
                hop, resp, history, opts.max_redirects, traces, requote=self._requote_redirect_url
            ):
                break
            resp = await self._send_hop(hop, opts, arm, traces)
        if history:
            resp._history = tuple(history)
        return resp

    async def _send_hop(
        self, hop: Hop, opts: _RequestOptions, arm: _Arm, traces: list[Trace]
    ) -> ClientResponse:
        """One request and its response head: build, connect, send, read the head."""
        req = self._make_request(hop, opts, traces)
        connector = self._connector
        # A kept-alive connection from the pool needs no waiting (traces want the
        # connection signals, so they take the long way).
        conn = None if traces or connector is None else connector._connect_from_pool(req)
        if conn is None:
            conn = await self._connect(req, traces, opts.timeout, arm[1])
        protocol = conn.protocol
        assert protocol is not None
        protocol._prepare(*arm)
        resp = None
        try:
            if self._sync_send:
                resp = req._send(conn)
                if self._sync_start:
                    # start() inlined (one coroutine less): _send already tied the
                    # response to conn.
                    head_future = resp._head_future
                    assert head_future is not None
                    try:
                        message, payload = await head_future
                    except BadResponseHead as exc:
                        raise resp._bad_head(exc) from exc.error
                    resp._head_received(message, payload)
                else:
                    await resp.start(conn)
            else:
                resp = await req.send(conn)
                await resp.start(conn)
        except BaseException:
            conn.close()
            if resp is not None:
                resp.close()
            req.terminate()
            raise
        return resp

    def _request_timeout(self, timeout: Any) -> ClientTimeout:
        if timeout is _SENTINEL:
            return self._timeout
        if timeout is None:
            return ClientTimeout()
        if isinstance(timeout, ClientTimeout):
            return timeout
        return ClientTimeout(total=float(timeout))

    def _build_url(self, str_or_url: StrOrURL) -> URL:
        """The absolute request URL (remembered per argument: programs repeat them)."""
        try:
            url = URL(str_or_url)
        except (ValueError, TypeError) as exc:
            raise InvalidUrlClientError(str_or_url) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        if not url.absolute or (url.scheme in _ALLOWED_SCHEMES and not url.raw_host):
            raise InvalidUrlClientError(url)
        if url.scheme not in _ALLOWED_SCHEMES:
            raise NonHttpUrlClientError(url)
        if isinstance(str_or_url, str | URL):
            if len(self._urls) >= _URL_CACHE_MAX:
                self._urls.clear()
            self._urls[str_or_url] = url
        return url

    def _prepare_headers(self, headers: LooseHeaders | None) -> CIMultiDict[str]:
        """Session headers, overridden (not added to) by the request's."""
        result = self._default_headers.copy()
        if not headers:
            return result
        items = headers.items() if isinstance(headers, Mapping) else headers
        added: set[str] = set()
        for key, value in items:
            if key in added:
                result.add(key, value)
            else:
                result[key] = value
                added.add(key)
        return result

    def _make_request(self, hop: Hop, opts: _RequestOptions, traces: list[Trace]) -> ClientRequest:
        url = hop.url
        if (
            opts.plain
            and self._plain_requests
            and not traces
            and hop.data is None
            and hop.params is None
            and hop.auth is None
            and hop.cookies is None
            and not hop.headers
            and hop.method not in ClientRequest.POST_METHODS
            and url.raw_user is None
            and url.raw_password is None
            and not len(self._cookie_jar)
        ):
            return self._plain_request(hop.method, url)
        auth = self._auth_for(hop)
        url = hop.url
        proxy_url, proxy_auth = self._proxy_for(url, opts.proxy, opts.proxy_auth)
        cookies = self._cookies_for(url, hop.cookies)
        connector = self._connector
        assert connector is not None
        return self._request_class(
            hop.method,
            url,
            params=hop.params,
            headers=hop.headers,
            skip_auto_headers=opts.skip_auto_headers,
            data=hop.data,
            cookies=cookies,
            auth=auth,
            version=self._version,
            compress=opts.compress,
            chunked=opts.chunked,
            expect100=opts.expect100,
            loop=self._loop,
            response_class=self._response_class,
            proxy=proxy_url,
            proxy_auth=proxy_auth,
            session=self,
            ssl=opts.ssl,
            server_hostname=opts.server_hostname,
            proxy_headers=opts.proxy_headers,
            traces=traces,
            trust_env=self._trust_env,
            force_close=connector.force_close,
        )

    def _plain_request(self, method: str, url: URL) -> ClientRequest:
        """A request without body, options, credentials, cookies or proxy: nothing to
        work out but the pool key, which is remembered per URL."""
        req = ClientRequest._plain(method, url, self._loop, self._response_class, self)
        # By id (hashing a URL costs more): the entry keeps the URL, so its id stays its.
        entry = self._plain_keys.get(id(url))
        if entry is not None and entry[0] is url:
            req._connection_key = entry[1]
        else:
            if len(self._plain_keys) >= _URL_CACHE_MAX:
                self._plain_keys.clear()
            self._plain_keys[id(url)] = (url, req.connection_key)
        return req

    def _auth_for(self, hop: Hop) -> BasicAuth | None:
        if (
            hop.auth is None
            and self._default_auth is None
            and not self._trust_env
            and hop.url.raw_user is None
            and hop.url.raw_password is None
        ):
            return None  # no credentials anywhere: nothing to check either
        url_auth = BasicAuth.from_url(hop.url)
        if url_auth is not None:
            hop.url = hop.url.with_user(None)  # credentials go in a header, never in resp.url
        auth = hop.auth
        if auth is not None and url_auth is not None:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        auth = auth or url_auth
        if (
            auth is None
            and self._default_auth is not None
            and not hop.crossed
            and (self._base_url is None or hop.url.origin() == self._base_url.origin())
        ):
            auth = self._default_auth
        if (
            auth is None
            and self._trust_env
            and hop.url.host
            and hdrs.AUTHORIZATION not in hop.headers
        ):
            auth = basicauth_from_netrc(netrc_from_env(), hop.url.host)
        if auth is not None and hdrs.AUTHORIZATION in hop.headers:
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL"
            )
        return auth

    def _proxy_for(
        self, url: URL, proxy: StrOrURL | None, proxy_auth: BasicAuth | None
    ) -> tuple[URL | None, BasicAuth | None]:
        if proxy is not None:
            return URL(proxy), proxy_auth
        if self._default_proxy is not None:
            return self._default_proxy, proxy_auth or self._default_proxy_auth
        if self._trust_env:
            try:
                info = get_env_proxy_for_url(url)
            except LookupError:
                return None, None
            return info.proxy, proxy_auth or info.proxy_auth
        return None, None

    def _cookies_for(self, url: URL, request_cookies: LooseCookies | None) -> Any:
        jar = self._cookie_jar
        if not len(jar) and not request_cookies:
            return None
        cookies = jar.filter_cookies(url)
        if request_cookies:
            tmp = CookieJar(quote_cookie=jar.quote_cookie)
            tmp.update_cookies(request_cookies)
            for name, morsel in tmp.filter_cookies(url).items():
                cookies[name] = morsel.value
                dict.__setitem__(cookies, name, morsel)
        return cookies

    async def _connect(
        self, req: ClientRequest, traces: list[Trace], tm: ClientTimeout, deadline: float | None
    ) -> Connection:
        connector = self._connector
        if connector is None:
            raise RuntimeError("Session is closed")
        loop = self._loop
        connect_deadline = earliest(
            deadline, deadline_of(loop.time(), tm.connect, tm.ceil_threshold)
        )
        if connect_deadline is None:
            return await connector.connect(req, traces, tm)
        try:
            async with asyncio.timeout_at(connect_deadline) as cm:
                return await connector.connect(req, traces, tm)
        except TimeoutError as exc:
            if cm.expired():
                raise ConnectionTimeoutError(f"Connection timeout to host {req.url}") from exc
            raise

    def _store_cookies(self, resp: ClientResponse) -> None:
        set_cookies = resp.headers.getall(hdrs.SET_COOKIE, ())
        if set_cookies:
            self._cookie_jar.update_cookies_from_headers(set_cookies, resp.url)

    async def _check_status(
        self, resp: ClientResponse, raise_for_status: RaiseForStatus | None
    ) -> None:
        check = self._raise_for_status if raise_for_status is None else raise_for_status
        if check is True:
            resp.raise_for_status()
        elif check is not False and callable(check):
            await check(resp)

    # -- verbs ---------------------------------------------------------------------------

    def get(
        self, url: StrOrURL, *, allow_redirects: bool = True, **kwargs: Any
    ) -> RequestContextManager:
        """GET ``url``."""
        if not kwargs:
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
