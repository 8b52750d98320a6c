"""Building and sending one request: :class:`ClientRequest`, :class:`RequestInfo`.

A :class:`ClientRequest` is made by the session for every hop of a request (a redirect
makes a new one). Its constructor prepares everything in small named steps (URL,
headers, cookies, auth, body, framing); :meth:`ClientRequest.send` arms the connection's
protocol for the answer and writes the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
from collections.abc import Iterable, Mapping
from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

from .. import hdrs
from ..helpers import BasicAuth
from ..http.compression import SUPPORTED_ENCODINGS
from ..http.models import HttpVersion, HttpVersion10, HttpVersion11
from ..http.serializer import serialize_headers, serialize_request_head
from ..payload import BytesPayload, JsonPayload, Payload, StringPayload, get_payload
from ..typedefs import LooseCookies, LooseHeaders
from ..writer import StreamWriter
from .exceptions import ClientConnectionResetError, ClientOSError, InvalidURL
from .tls import SSLSetting

if TYPE_CHECKING:
    from .connector import Connection
    from .response import ClientResponse
    from .tracing import Trace

__all__ = ("ClientRequest", "ConnectionKey", "RequestInfo")

_VERSION = "0.1.0"
_PY_VERSION = "{}.{}".format(*sys.version_info[:2])
USER_AGENT = f"Python/{_PY_VERSION} heron/{_VERSION}"

_ACCEPT_ENCODING = ", ".join(
    e for e in ("gzip", "deflate", "br", "zstd") if e in SUPPORTED_ENCODINGS
)
# Bodies up to this size are written together with the head in one transport.write().
_INLINE_BODY_LIMIT = 2**16
# Validated, serialised header blocks by their (name, value) pairs: most requests of a
# program repeat the same few header sets, and validating them is the costly part.
_HEADER_BLOCKS: dict[tuple[tuple[str, str], ...], bytes] = {}
_HEADER_BLOCKS_MAX = 512
_SAFE_METHODS: set[str] = set()


def _serialize_head(
    method: str, target: str, version: HttpVersion, headers: CIMultiDict[str]
) -> bytes:
    """The request head, with the header block validated once per distinct header set."""
    pairs = tuple(headers.items())
    block = _HEADER_BLOCKS.get(pairs)
    if block is None or method not in _SAFE_METHODS or not _plain_target(target):
        head = serialize_request_head(method, target, version, pairs)  # validates all
        _SAFE_METHODS.add(method)
        if len(_HEADER_BLOCKS) >= _HEADER_BLOCKS_MAX:
            _HEADER_BLOCKS.clear()
        _HEADER_BLOCKS[pairs] = serialize_headers(pairs)
        return head
    if version == HttpVersion11:
        start = f"{method} {target} HTTP/1.1\r\n"
    else:
        start = f"{method} {target} HTTP/{version[0]}.{version[1]}\r\n"
    return start.encode("utf-8", "surrogateescape") + block + b"\r\n"


def _plain_target(target: str) -> bool:
    """True for targets without spaces or control characters (yarl encodes those)."""
    return target.isprintable() and " " not in target


# Payload types whose write() is exactly "write the bytes" (subclasses may differ).
_INLINE_TYPES = frozenset({BytesPayload, StringPayload, JsonPayload})

_DEFAULT_HEADERS: Mapping[str, str] = {
    hdrs.ACCEPT: "*/*",
    hdrs.ACCEPT_ENCODING: _ACCEPT_ENCODING,
}
_BASE_MAX = 256


class _Base:
    """The headers of a request that adds none (Host, then the automatic ones), and
    the heads serialised with exactly these headers by ``(method, target)``.

    Copying a ready multidict is much cheaper than building it field by field, and
    a repeated request's head needs no serialising at all.
    """

    __slots__ = ("headers", "heads")

    def __init__(self, host: str) -> None:
        headers: CIMultiDict[str] = CIMultiDict({hdrs.HOST: host})
        headers.extend(_DEFAULT_HEADERS)
        headers[hdrs.USER_AGENT] = USER_AGENT
        self.headers = headers
        self.heads: dict[tuple[str, str], bytes] = {}

    def head(self, method: str, target: str) -> bytes:
        head = self.heads.get((method, target))
        if head is None:
            head = _serialize_head(method, target, HttpVersion11, self.headers)
            if len(self.heads) >= _BASE_MAX:
                self.heads.clear()
            self.heads[(method, target)] = head
        return head


_BASES: dict[str, _Base] = {}  # by Host value


def _base_for(host: str) -> _Base:
    base = _BASES.get(host)
    if base is None:
        if len(_BASES) >= _BASE_MAX:
            _BASES.clear()
        base = _BASES[host] = _Base(host)
    return base


_NO_URL = URL()  # RequestInfo's "real_url not given" marker


@dataclasses.dataclass(frozen=True, slots=True)
class RequestInfo:
    """What was sent: ``url``, ``method``, ``headers`` and ``real_url`` (with fragment)."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL = _NO_URL

    def __post_init__(self) -> None:
        if self.real_url is _NO_URL:
            object.__setattr__(self, "real_url", self.url)


class ConnectionKey(NamedTuple):
    """What makes two requests able to share a pooled connection."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: SSLSetting
    proxy: URL | None
    proxy_auth: BasicAuth | None
    proxy_headers_hash: int | None


class ClientRequest:
    """One HTTP request, ready to be written to a connection.

    Subclass and pass ``request_class=`` to the session to change how requests are
    prepared; every step is a method.
    """

    GET_METHODS = frozenset({hdrs.METH_GET, hdrs.METH_HEAD, hdrs.METH_OPTIONS, hdrs.METH_TRACE})
    POST_METHODS = frozenset({hdrs.METH_PATCH, hdrs.METH_POST, hdrs.METH_PUT})
    ALL_METHODS = GET_METHODS | POST_METHODS | {hdrs.METH_DELETE}

    DEFAULT_HEADERS: Mapping[str, str] = _DEFAULT_HEADERS

    body: Payload | bytes = b""
    auth: BasicAuth | None = None
    response: ClientResponse | None = None
    proxy: URL | None = None
    proxy_auth: BasicAuth | None = None
    proxy_headers: CIMultiDictProxy[str] | None = None
    _expect100 = False
    # Defaults for requests made by _plain(), which sets only what differs.
    version: HttpVersion = HttpVersion11
    compress: str | bool | None = None
    chunked: bool | None = None
    ssl: SSLSetting = True
    server_hostname: str | None = None
    skip_auto_headers: frozenset[istr] = frozenset()
    _force_close = False
    _traces: list[Trace] = []  # never mutated: requests get their own list when traced
    _writer: asyncio.Task[None] | None = None
    _continue: asyncio.Future[bool] | None = None
    _connection_key: ConnectionKey | None = None
    _base: _Base | None = None  # set while the headers are a _Base's
    headers: CIMultiDict[str]

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        params: Any = None,
        headers: LooseHeaders | None = None,
        skip_auto_headers: Iterable[str] | None = None,
        data: Any = None,
        cookies: LooseCookies | None = None,
        auth: BasicAuth | None = None,
        version: HttpVersion = HttpVersion11,
        compress: str | bool | None = None,
        chunked: bool | None = None,
        expect100: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        response_class: type[ClientResponse] | None = None,
        proxy: URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timer: Any = None,
        session: Any = None,
        ssl: SSLSetting = True,
        proxy_headers: LooseHeaders | None = None,
        traces: list[Trace] | None = None,
        trust_env: bool = False,
        server_hostname: str | None = None,
        force_close: bool = False,
    ) -> None:
        if params:
            url = url.extend_query(params)
        if url.raw_host is None or not url.absolute:
            raise InvalidURL(url)
        self.original_url = url
        self.url = url.with_fragment(None) if url.raw_fragment else url
        self.method = method.upper()
        self.loop = loop or asyncio.get_running_loop()
        if response_class is None:
            from .response import ClientResponse

            response_class = ClientResponse
        self.response_class = response_class
        self._session = session
        self._traces: list[Trace] = traces or []
        self.version = version
        self.compress = compress
        self.chunked = chunked
        self.ssl = ssl
        self.server_hostname = server_hostname
        self._force_close = force_close
        self._writer: asyncio.Task[None] | None = None
        self._continue: asyncio.Future[bool] | None = None
        self._connection_key: ConnectionKey | None = None

        if (
            type(self) is ClientRequest
            and not headers
            and not skip_auto_headers
            and data is None
            and not cookies
            and auth is None
            and proxy is None
            and proxy_auth is None
            and not proxy_headers
            and not expect100
            and self.DEFAULT_HEADERS is _DEFAULT_HEADERS
            and self.method not in self.POST_METHODS
            and url.raw_user is None
            and url.raw_password is None
        ):
            # A plain bodiless request: each step below would find nothing to do
            # but add the usual headers, which come ready-made instead.
            host = self.url.host_port_subcomponent
            if host is None:
                raise InvalidURL(self.original_url)
            base = self._base = _base_for(host)
            self.headers = base.headers.copy()
            self.skip_auto_headers = frozenset()
            self.compress = None
            return
        self.update_headers(headers)
        self.update_auto_headers(skip_auto_headers)
        self.update_cookies(cookies)
        self.update_content_encoding(data)
        self.update_auth(auth)
        self.update_proxy(proxy, proxy_auth, proxy_headers)
        self.update_body_from_data(data)
        if data is not None or self.method in self.POST_METHODS:
            self.update_transfer_encoding()
        self.update_expect_continue(expect100)

    @classmethod
    def _plain(
        cls,
        method: str,
        url: URL,
        loop: asyncio.AbstractEventLoop,
        response_class: type[ClientResponse],
        session: Any,
    ) -> ClientRequest:
        """What ``__init__`` builds for a bodiless request with nothing but an
        absolute URL without credentials (the session checked all that), minus the
        steps that would find nothing to do. Only for ``ClientRequest`` itself.
        """
        self = cls.__new__(cls)
        self.original_url = url
        self.url = url.with_fragment(None) if url.raw_fragment else url
        self.method = method
        self.loop = loop
        self.response_class = response_class
        self._session = session
        host = self.url.host_port_subcomponent
        if host is None:
            raise InvalidURL(url)
        base = self._base = _base_for(host)
        self.headers = base.headers.copy()
        return self

    # -- identity ----------------------------------------------------------------------

    def is_ssl(self) -> bool:
        """True for https:// and wss:// URLs."""
        return self.url.scheme in ("https", "wss")

    @property
    def host(self) -> str:
        """The URL's host."""
        return self.url.raw_host or ""

    @property
    def port(self) -> int | None:
        """The URL's port (the scheme default when not explicit)."""
        return self.url.port

    @property
    def connection_key(self) -> ConnectionKey:
        """The pool key of this request."""
        key = self._connection_key
        if key is None:
            key = self._connection_key = self._make_connection_key()
        return key

    def _make_connection_key(self) -> ConnectionKey:
        headers_hash = hash(tuple(self.proxy_headers.items())) if self.proxy_headers else None
        return ConnectionKey(
            self.host,
            self.port,
            self.is_ssl(),
            self.ssl,
            self.proxy,
            self.proxy_auth,
            headers_hash,
        )

    @property
    def request_info(self) -> RequestInfo:
        """A snapshot of what was sent."""
        return RequestInfo(self.url, self.method, CIMultiDictProxy(self.headers), self.original_url)

    # -- preparation steps ---------------------------------------------------------------

    def update_headers(self, headers: LooseHeaders | None) -> None:
        """Start the headers with ``Host`` then add the caller's."""
        self.headers = CIMultiDict()
        host = self.url.host_port_subcomponent
        if host is None:
            raise InvalidURL(self.original_url)
        self.headers[hdrs.HOST] = host
        if not headers:
            return
        items = headers.items() if isinstance(headers, Mapping) else headers
        for key, value in items:
            if key in (hdrs.HOST, "Host", "host") or istr(key) == hdrs.HOST:
                self.headers[key] = value
            else:
                self.headers.add(key, value)

    def update_auto_headers(self, skip_auto_headers: Iterable[str] | None) -> None:
        """Add ``Accept``, ``Accept-Encoding`` and ``User-Agent`` unless given or skipped."""
        if isinstance(skip_auto_headers, frozenset):
            skip = skip_auto_headers or None  # already istr (the session prepares it)
        else:
            skip = frozenset(istr(h) for h in skip_auto_headers) if skip_auto_headers else None
        self.skip_auto_headers = skip or frozenset()
        headers = self.headers
        for name, value in self.DEFAULT_HEADERS.items():
            if name not in headers and (skip is None or name not in skip):
                headers[name] = value
        if hdrs.USER_AGENT not in headers and (skip is None or hdrs.USER_AGENT not in skip):
            headers[hdrs.USER_AGENT] = USER_AGENT

    def update_cookies(self, cookies: LooseCookies | None) -> None:
        """Add ``cookies`` to the ``Cookie`` header (after any given explicitly)."""
        if not cookies:
            return
        parts: list[str] = []
        existing = self.headers.get(hdrs.COOKIE, "")
        if existing:
            parts.append(existing)
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        tmp: SimpleCookie = SimpleCookie()
        for name, value in items:
            if isinstance(value, Morsel):
                parts.append(f"{value.key}={value.coded_value}")
            else:
                tmp[name] = value
                parts.append(f"{name}={tmp[name].coded_value}")
        self.headers[hdrs.COOKIE] = "; ".join(parts)

    def update_content_encoding(self, data: Any) -> None:
        """Turn ``compress=`` into a ``Content-Encoding`` (pre-encoded bodies pass as is)."""
        if data is None:
            self.compress = None
            return
        if self.headers.get(hdrs.CONTENT_ENCODING):
            if self.compress:
                raise ValueError("compress can not be set if Content-Encoding header is set")
            self.compress = None
        elif self.compress:
            encoding = self.compress if isinstance(self.compress, str) else "deflate"
            self.compress = encoding
            self.headers[hdrs.CONTENT_ENCODING] = encoding
            self.chunked = True  # the compressed size is unknown up front
        else:
            self.compress = None

    def update_auth(self, auth: BasicAuth | None) -> None:
        """Set ``Authorization`` from ``auth`` or from credentials in the URL."""
        if auth is None and self.url.raw_user is not None:
            auth = BasicAuth.from_url(self.url)
        if self.url.raw_user is not None or self.url.raw_password is not None:
            self.url = self.url.with_user(None)
        if auth is None:
            return
        if not isinstance(auth, BasicAuth):
            raise TypeError("BasicAuth() tuple is required instead")
        self.auth = auth
        self.headers[hdrs.AUTHORIZATION] = auth.encode()

    def update_proxy(
        self, proxy: URL | None, proxy_auth: BasicAuth | None, proxy_headers: LooseHeaders | None
    ) -> None:
        """Remember the proxy; its credentials may come from its URL."""
        if proxy is not None and proxy_auth is None and proxy.raw_user is not None:
            proxy_auth = BasicAuth.from_url(proxy)
        if proxy is not None and proxy.raw_user is not None:
            proxy = proxy.with_user(None)
        if proxy_auth is not None and not isinstance(proxy_auth, BasicAuth):
            raise ValueError("proxy_auth must be None or BasicAuth() tuple")
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        self.proxy_headers: CIMultiDictProxy[str] | None = (
            CIMultiDictProxy(CIMultiDict(proxy_headers)) if proxy_headers else None
        )

    def update_body_from_data(self, data: Any) -> None:
        """Wrap ``data`` in a payload and derive ``Content-Type``/``Content-Length``."""
        if data is None:
            return
        body = self._make_payload(data)
        self.body = body
        if (
            hdrs.CONTENT_TYPE not in self.headers
            and hdrs.CONTENT_TYPE not in self.skip_auto_headers
        ):
            self.headers[hdrs.CONTENT_TYPE] = body.content_type
        for key, value in body.headers.items():
            if key not in self.headers and key not in self.skip_auto_headers:
                self.headers[key] = value

    @staticmethod
    def _make_payload(data: Any) -> Payload:
        from ..formdata import FormData

        if isinstance(data, FormData):
            return data()
        if isinstance(data, Payload):
            return data
        try:
            return get_payload(data, disposition=None)
        except LookupError:
            return FormData(data)()

    def update_transfer_encoding(self) -> None:
        """Choose between ``Content-Length`` and chunked framing for the body."""
        headers = self.headers
        te = headers.get(hdrs.TRANSFER_ENCODING, "").lower()
        if "chunked" in te:
            if self.chunked:
                raise ValueError(
                    "chunked can not be set if 'Transfer-Encoding: chunked' header is set"
                )
            self.chunked = True
        elif self.chunked:
            if hdrs.CONTENT_LENGTH in headers:
                raise ValueError("chunked can not be set if Content-Length header is set")
            headers[hdrs.TRANSFER_ENCODING] = "chunked"
        elif hdrs.CONTENT_LENGTH not in headers:
            size = self.body.size if isinstance(self.body, Payload) else len(self.body)
            if size is None:
                self.chunked = True
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
            else:
                headers[hdrs.CONTENT_LENGTH] = str(size)
        if self.chunked and self.version < HttpVersion11:
            raise ValueError("chunked transfer encoding needs HTTP/1.1")

    def update_expect_continue(self, expect: bool = False) -> None:
        """Send ``Expect: 100-continue`` and hold the body until the server agrees."""
        if expect:
            self.headers[hdrs.EXPECT] = "100-continue"
        elif self.headers.get(hdrs.EXPECT, "").lower() == "100-continue":
            expect = True
        self._expect100 = expect

    # -- sending ---------------------------------------------------------------------------

    def _request_target(self) -> str:
        if self.method == hdrs.METH_CONNECT:
            return f"{self.url.raw_host}:{self.url.port}"
        if self.proxy is not None and not self.is_ssl():
            return str(self.url)
        return self.url.raw_path_qs

    def _connection_header(self, conn: Connection) -> None:
        headers = self.headers
        if hdrs.CONNECTION in headers:
            return
        if self.version == HttpVersion10:
            if not self._force_close:
                headers[hdrs.CONNECTION] = "keep-alive"
        elif self._force_close:
            headers[hdrs.CONNECTION] = "close"

    async def send(self, conn: Connection) -> ClientResponse:
        """Write the request to ``conn`` and return the (not yet started) response."""
        return self._send(conn)

    def _send(self, conn: Connection) -> ClientResponse:
        # send() never waits: the session calls this directly unless send is overridden.
        protocol = conn.protocol
        transport = protocol.transport if protocol is not None else None
        if protocol is None or transport is None:
            raise ClientConnectionResetError("Connection lost before the request was sent")
        base = self._base
        if (
            base is not None
            and self.proxy is None
            and not self._force_close
            and self.version == HttpVersion11
            and self.headers == base.headers
        ):
            # The usual headers, unchanged: the head was serialised before (and
            # neither a proxy nor the Connection header has anything to add).
            head = base.head(self.method, self._request_target())
        else:
            if self.proxy is not None and not self.is_ssl() and self.proxy_auth is not None:
                self.headers.setdefault(hdrs.PROXY_AUTHORIZATION, self.proxy_auth.encode())
            self._connection_header(conn)
            head = _serialize_head(self.method, self._request_target(), self.version, self.headers)
        body = self.body
        bodiless = (
            type(body) is bytes
            and not body
            and not (self._expect100 or self._traces or self.chunked or self.compress)
        )
        if bodiless:
            # Written before the response is set up: the server works on it meanwhile
            # (nothing can be read before the caller waits, so arming the protocol
            # after the write is as safe as before it).
            transport.write(head)
        response = self.response_class(
            self.method,
            self.original_url,
            writer=None,
            continue100=None,
            timer=None,
            request_info=self,  # the response builds the RequestInfo lazily
            traces=self._traces,
            loop=self.loop,
            session=self._session,
        )
        # (not kept on self: the response refers to us, a cycle would delay its cleanup)
        # Armed before the caller waits: the whole answer may come in one read.
        link = response._link
        link.connection = conn
        response._head_future = protocol.start_response(self.method, link)
        if bodiless:
            return response  # no task, no writer
        if self._expect100:
            self._continue = protocol.expect_continue()
        if not self._traces and self._write_inline(transport, head, body):
            return response
        self._writer = self.loop.create_task(self._write_bytes(conn, head))
        response._writer = self._writer
        return response

    def _write_inline(self, transport: asyncio.Transport, head: bytes, body: Any) -> bool:
        """Write small requests at once, without a task; False when that is not possible."""
        if self._continue is not None or self.chunked or self.compress:
            return False
        if isinstance(body, bytes):
            data = head + body if body else head
        elif type(body) in _INLINE_TYPES and (body.size or 0) <= _INLINE_BODY_LIMIT:
            data = head + bytes(body._value)
        else:
            return False
        transport.write(data)
        return True

    async def _write_bytes(self, conn: Connection, head: bytes) -> None:
        """Write the head and the body (a task: the answer may come while we write)."""
        protocol = conn.protocol
        assert protocol is not None
        writer = StreamWriter(protocol, self.loop, on_chunk_sent=self._on_chunk_sent())
        if self.compress:
            writer.enable_compression(str(self.compress))
        if self.chunked:
            writer.enable_chunking()
        try:
            await writer.write_headers(head)
            for trace in self._traces:
                await trace.send_request_headers(self.method, self.url, self.headers)
            if self._continue is not None:
                writer.send_headers()
                if not await self._continue:
                    protocol.force_close()  # the unsent body makes the socket unusable
                    return
            body = self.body
            if isinstance(body, Payload):
                await body.write(writer)
                await writer.write_eof()
            else:
                await writer.write_eof(body)
        except OSError as exc:
            if exc.errno is None and isinstance(exc, asyncio.TimeoutError):
                protocol.set_exception(exc)
            else:
                err = ClientOSError(exc.errno, f"Can not write request body for {self.url}")
                err.__cause__ = exc
                protocol.set_exception(err)
        except asyncio.CancelledError:
            protocol.force_close()
            raise
        except Exception as exc:  # a failing payload must fail the request, not hang it
            protocol.set_exception(exc)

    def _on_chunk_sent(self) -> Any:
        if not self._traces:
            return None

        async def on_chunk_sent(chunk: bytes) -> None:
            for trace in self._traces:
                await trace.send_request_chunk_sent(self.method, self.url, chunk)

        return on_chunk_sent

    async def close(self) -> None:
        """Wait for the body writer to finish (the session calls this on errors)."""
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    def terminate(self) -> None:
        """Stop writing the body."""
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.method} {self.original_url}>"
