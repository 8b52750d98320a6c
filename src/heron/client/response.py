"""The answer to a client request: :class:`ClientResponse`."""

from __future__ import annotations

import asyncio
import codecs
import sys
import traceback
import warnings
from collections.abc import Callable, Generator
from http.cookies import CookieError, SimpleCookie
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import hdrs
from ..contentdisposition import content_disposition_filename, parse_content_disposition
from ..helpers import parse_mimetype
from ..http._response_fast import LazyResponseHead
from ..http.models import HttpVersion, RawHeaders, RawResponseMessage
from ..streams import StreamReader
from ..typedefs import DEFAULT_JSON_DECODER, JSONDecoder
from .exceptions import ClientConnectionError, ClientResponseError, ContentTypeError
from .proto import BadResponseHead, HeadResult
from .reqrep import RequestInfo

if TYPE_CHECKING:
    from .connector import Connection
    from .tracing import Trace

__all__ = ("ClientResponse", "ContentDisposition", "default_charset_resolver")


class ContentDisposition(NamedTuple):
    """A parsed ``Content-Disposition`` header (:attr:`ClientResponse.content_disposition`).

    ``type`` is the disposition type in lower case (``"attachment"``, ``"inline"``), or
    None when the header is malformed; ``parameters`` a read-only mapping of its
    parameters; ``filename`` the file name (``filename*`` preferred), or None.
    """

    type: str | None
    parameters: MappingProxyType[str, str]
    filename: str | None


def default_charset_resolver(response: ClientResponse, body: bytes) -> str:
    """The charset used when the server names none: UTF-8."""
    return "utf-8"


class _Noop:
    """What ``release()`` returns: can be awaited, or ignored (both are aiohttp usage)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator


_NOOP = _Noop()
_NO_TRACES: list[Trace] = []  # never mutated


class _ResponseLink:
    """What the connection's protocol keeps of a response: enough to give the
    connection back when the message is complete.

    The protocol must not hold the response itself, or a response dropped
    half-read would stay alive (and never warn) as long as its connection.
    """

    __slots__ = ("complete", "connection", "writer")

    def __init__(self, writer: asyncio.Task[None] | None = None) -> None:
        self.connection: Connection | None = None
        self.writer = writer
        self.complete = False

    def __call__(self) -> None:
        """The whole message arrived: the connection may be reused."""
        self.complete = True
        writer = self.writer
        if writer is not None and not writer.done():
            # The server answered before we finished sending: reuse only once done.
            writer.add_done_callback(self._writer_done)
            return
        conn, self.connection = self.connection, None
        if conn is not None:
            conn.release()

    def _writer_done(self, task: asyncio.Task[None]) -> None:
        self.release()

    def release(self) -> None:
        conn, self.connection = self.connection, None
        if conn is not None:
            conn.release()


class ClientResponse:
    """An HTTP response: status, headers and a body stream (:attr:`content`).

    Returned by the session's request methods; never created by users. The body can be
    read once as a whole (:meth:`read`, :meth:`text`, :meth:`json`, which cache it) or
    streamed from :attr:`content`. The connection goes back to the pool as soon as the
    whole message arrived; :meth:`release` (or leaving ``async with``) before that
    closes it instead.
    """

    version: HttpVersion | None = None
    status: int = None  # type: ignore[assignment]
    reason: str | None = None
    _content: StreamReader | None = None
    _whole: bytes | None = None  # the body, when it arrived with the head
    _headers: CIMultiDictProxy[str] | None = None
    _raw_headers: RawHeaders = ()
    # A head from the parser's short path: headers are built from it on first use.
    _lazy: LazyResponseHead | None = None
    _source_traceback: traceback.StackSummary | None = None
    _head_future: asyncio.Future[HeadResult] | None = None
    _cookies: SimpleCookie | None = None
    _content_type_cache: tuple[str, dict[str, str]] | None = None
    _disposition_cache: tuple[ContentDisposition | None] | None = None
    _body: bytes | None = None
    _history: tuple[ClientResponse, ...] = ()
    _released = False

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        writer: asyncio.Task[None] | None,
        continue100: asyncio.Future[bool] | None,
        timer: Any,
        request_info: RequestInfo | Any,
        traces: list[Trace],
        loop: asyncio.AbstractEventLoop,
        session: Any,
    ) -> None:
        self.method = method
        self._real_url = url
        self._url = url.with_fragment(None) if url.raw_fragment else url
        self._link = _ResponseLink(writer)
        self._continue = continue100
        self._request_info = request_info
        self._traces = traces
        self._loop = loop
        self._session = session
        if loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))

    @classmethod
    def _plain(
        cls,
        method: str,
        url: URL,
        request_info: RequestInfo,
        loop: asyncio.AbstractEventLoop,
        session: Any,
    ) -> ClientResponse:
        """What ``__init__`` makes for a request without body or traces to a URL
        without fragment (the session's short path; no keyword arguments to sort)."""
        self = cls.__new__(cls)
        self.method = method
        self._real_url = self._url = url
        self._link = _ResponseLink()
        self._continue = None
        self._request_info = request_info
        self._traces = _NO_TRACES
        self._loop = loop
        self._session = session
        if loop.get_debug():
            self._source_traceback = traceback.extract_stack(sys._getframe(1))
        return self

    # -- attributes --------------------------------------------------------------------

    @property
    def url(self) -> URL:
        """The URL of the request (without fragment)."""
        return self._url

    @property
    def real_url(self) -> URL:
        """The URL of the request, fragment included."""
        return self._real_url

    @property
    def host(self) -> str:
        """The host of the URL."""
        return self._url.raw_host or ""

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The response headers (case-insensitive)."""
        headers = self._headers
        if headers is None:
            lazy = self._lazy
            if lazy is None:
                return None  # type: ignore[return-value]  # (no head yet)
            headers = self._headers = lazy.headers
        return headers

    @property
    def raw_headers(self) -> RawHeaders:
        """The response headers as received: ``(name, value)`` byte pairs."""
        lazy = self._lazy
        return self._raw_headers if lazy is None else lazy.raw_headers

    def _sets_cookie(self) -> bool:
        """Whether the head has a ``Set-Cookie`` field (without building the headers)."""
        headers = self._headers
        if headers is None:
            lazy = self._lazy
            return lazy is not None and lazy.sets_cookie
        return hdrs.SET_COOKIE in headers

    @property
    def request_info(self) -> RequestInfo:
        """The request this answers."""
        info = self._request_info
        if not isinstance(info, RequestInfo):
            # Built on first use: most responses are never asked.
            info = self._request_info = info.request_info
        return info

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        """The redirect responses that led here, earliest first."""
        return self._history

    @property
    def connection(self) -> Connection | None:
        """The connection while the response holds it (None once released)."""
        return self._connection

    @property
    def ok(self) -> bool:
        """True when the status is below 400."""
        return self.status < 400

    @property
    def closed(self) -> bool:
        """True once released or closed."""
        return self._released

    @property
    def cookies(self) -> SimpleCookie:
        """Cookies from this response's ``Set-Cookie`` headers."""
        if self._cookies is None:
            cookies = SimpleCookie()
            for header in self.headers.getall(hdrs.SET_COOKIE, ()):
                try:
                    cookies.load(header)
                except CookieError:
                    continue  # one malformed cookie must not hide the others
            self._cookies = cookies
        return self._cookies

    def _parsed_content_type(self) -> tuple[str, dict[str, str]]:
        if self._content_type_cache is None:
            headers = self.headers
            raw = headers.get(hdrs.CONTENT_TYPE) if headers is not None else None
            if raw is None:
                self._content_type_cache = ("application/octet-stream", {})
            else:
                mime = parse_mimetype(raw)
                ctype = f"{mime.type}/{mime.subtype}" if mime.type else ""
                if mime.suffix:
                    ctype += f"+{mime.suffix}"
                self._content_type_cache = (ctype, dict(mime.parameters))
        return self._content_type_cache

    @property
    def content_type(self) -> str:
        """The media type of ``Content-Type`` (``application/octet-stream`` when absent)."""
        return self._parsed_content_type()[0]

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, or None."""
        return self._parsed_content_type()[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` as an int, or None."""
        value = self.headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None and value.isdigit() else None

    @property
    def content_disposition(self) -> ContentDisposition | None:
        """The ``Content-Disposition`` header parsed, or None when there is none.

        A malformed header gives ``ContentDisposition(None, {}, None)`` and a
        :class:`~heron.BadContentDispositionHeader` warning.
        """
        cached = self._disposition_cache
        if cached is None:
            raw = self.headers.get(hdrs.CONTENT_DISPOSITION)
            value = None
            if raw is not None:
                disptype, params = parse_content_disposition(raw)
                value = ContentDisposition(
                    disptype, MappingProxyType(params), content_disposition_filename(params)
                )
            cached = self._disposition_cache = (value,)
        return cached[0]

    @property
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        """The ``Link`` header (RFC 8288) keyed by ``rel`` (or by URL without one)."""
        return _parse_links(self.headers.getall(hdrs.LINK, ()), self._url)

    # -- receiving ---------------------------------------------------------------------

    async def start(self, connection: Connection) -> ClientResponse:
        """Wait for the response head (the session calls this)."""
        link = self._link
        if link.connection is None and not link.complete:
            link.connection = connection
        assert self._head_future is not None
        try:
            message, payload = await self._head_future
        except BadResponseHead as exc:
            raise self._bad_head(exc) from exc.error
        return self._head_received(message, payload)

    def _bad_head(self, exc: BadResponseHead) -> ClientResponseError:
        err = exc.error
        return ClientResponseError(
            self.request_info,
            self.history,
            status=err.code,
            message=err.message,
            headers=getattr(err, "headers", None),
        )

    def _head_received(
        self, message: RawResponseMessage | LazyResponseHead, payload: StreamReader | bytes
    ) -> ClientResponse:
        """Take the head in (the end of :meth:`start`; the session calls it directly)."""
        link = self._link
        self.version = message.version
        self.status = message.code
        self.reason = message.reason
        if type(message) is LazyResponseHead:
            self._lazy = message  # headers built when first asked for
        else:
            self._headers = message.headers
            self._raw_headers = message.raw_headers
        if isinstance(payload, bytes):
            self._whole = payload
        else:
            self._content = payload
        if message.upgrade and link.connection is not None:
            link.complete = True  # the connection now belongs to the new protocol
        return self

    # The protocol-facing state lives in the link (see _ResponseLink).

    @property
    def _connection(self) -> Connection | None:
        return self._link.connection

    @_connection.setter
    def _connection(self, value: Connection | None) -> None:
        self._link.connection = value

    @property
    def _complete(self) -> bool:
        return self._link.complete

    @_complete.setter
    def _complete(self, value: bool) -> None:
        self._link.complete = value

    @property
    def _writer(self) -> asyncio.Task[None] | None:
        return self._link.writer

    @_writer.setter
    def _writer(self, value: asyncio.Task[None] | None) -> None:
        self._link.writer = value

    @property
    def content(self) -> StreamReader:
        """The body as a stream (:class:`~heron.StreamReader`)."""
        content = self._content
        if content is None:
            # A body that came whole with the head gets its reader only when asked
            # (already read through read() if that came first, as with a reader).
            content = StreamReader(None, loop=self._loop)
            if self._whole and self._body is None:
                content.feed_data(self._whole)
            if self._whole is not None:
                content.feed_eof()
            self._content = content
        return content

    async def read(self) -> bytes:
        """The whole body (decoded from gzip/deflate/br/zstd); cached after the first call."""
        if self._body is None and self._content is None and self._whole is not None:
            self._body = self._whole  # it came whole with the head: no reader needed
            for trace in self._traces:
                await trace.send_response_chunk_received(self.method, self.url, self._body)
        elif self._body is None:
            content = self.content
            try:
                if content.is_eof() and content.exception() is None:
                    self._body = content.read_nowait()  # all here already: no waiting
                else:
                    self._body = await content.read()
            except BaseException:
                self.close()
                raise
            for trace in self._traces:
                await trace.send_response_chunk_received(self.method, self.url, self._body)
        elif self._released and not self._link.complete:
            raise ClientConnectionError("Connection closed")
        return self._body

    def get_encoding(self) -> str:
        """The charset to decode the body with: the header's, else the fallback's."""
        ctype, params = self._parsed_content_type()
        charset = params.get("charset")
        if charset:
            try:
                codecs.lookup(charset)
            except LookupError:
                charset = None
            else:
                return charset
        if ctype == "application/json" or ctype.endswith("+json"):
            return "utf-8"  # RFC 8259: JSON is UTF-8
        resolve: Callable[[ClientResponse, bytes], str] = (
            getattr(self._session, "_resolve_charset", None) or default_charset_resolver
        )
        return resolve(self, self._body or b"")

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded with ``encoding`` (default: :meth:`get_encoding`)."""
        body = await self.read()
        if encoding is None:
            encoding = self.get_encoding()
        return body.decode(encoding, errors=errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: JSONDecoder = DEFAULT_JSON_DECODER,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON; None when it is empty or only whitespace.

        Raises :class:`~heron.ContentTypeError` when the response's media type is not
        ``content_type`` (any ``+json`` type is accepted for ``application/json``);
        ``content_type=None`` skips the check.
        """
        body = await self.read()
        if content_type:
            ctype = self.content_type
            if not _expected_type(ctype, content_type):
                raise ContentTypeError(
                    self.request_info,
                    self.history,
                    status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {ctype}",
                    headers=self.headers,
                )
        stripped = body.strip()
        if not stripped:
            return None
        if encoding is None:
            encoding = self.get_encoding()
        return loads(stripped.decode(encoding))

    # -- finishing ---------------------------------------------------------------------

    def release(self) -> Any:
        """Done with the response: the connection returns to the pool if the body was
        fully received, and is closed otherwise. Can be awaited (a no-op then)."""
        self._released = True
        link = self._link
        conn, link.connection = link.connection, None
        if conn is not None:
            if not link.complete:
                conn.close()
                self._cancel_writer()
            else:
                conn.release()
        return _NOOP

    def close(self) -> None:
        """Close the connection unless the message already came in whole."""
        self._released = True
        conn, self._connection = self._connection, None
        if conn is not None:
            conn.close()
        self._cancel_writer()

    def _cancel_writer(self) -> None:
        writer = self._writer
        if writer is not None and not writer.done():
            writer.cancel()

    async def wait_for_close(self) -> None:
        """Wait until the request body was sent, then release."""
        writer = self._writer
        if writer is not None and not writer.done():
            try:
                await writer
            except asyncio.CancelledError:
                if asyncio.current_task() is not None and asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    raise
        self.release()

    def raise_for_status(self) -> None:
        """Raise :class:`~heron.ClientResponseError` when the status is 400 or more."""
        if self.status >= 400:
            self.release()
            raise ClientResponseError(
                self.request_info,
                self.history,
                status=self.status,
                message=self.reason or "",
                headers=self.headers,
            )

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
        await self.wait_for_close()

    def __del__(self, _warnings: Any = warnings) -> None:
        link = self.__dict__.get("_link")
        if link is None or link.connection is None:
            return
        link.connection.close()
        link.connection = None
        kwargs = {"source": self}
        _warnings.warn(f"Unclosed response {self!r}", ResourceWarning, **kwargs)
        context: dict[str, Any] = {"client_response": self, "message": "Unclosed response"}
        if self._source_traceback is not None:
            context["source_traceback"] = self._source_traceback
        try:
            self._loop.call_exception_handler(context)
        except Exception:  # the loop may be closed at interpreter exit
            pass

    def __repr__(self) -> str:
        reason = f" {self.reason}" if self.reason else ""
        return f"<ClientResponse({self._real_url}) [{self.status}{reason}]>"


def _expected_type(ctype: str, expected: str) -> bool:
    if expected == "application/json":
        return ctype == "application/json" or (ctype.endswith("+json") and "/" in ctype)
    return expected in ctype


def _parse_links(values: Any, base: URL) -> MultiDictProxy[MultiDictProxy[str | URL]]:
    """Parse ``Link`` header values into ``{rel: {"url": URL, param: value}}``."""
    links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
    for value in values:
        for item in _split_link_values(value):
            target, _, params_text = item.partition(">")
            target = target.strip().lstrip("<")
            link: MultiDict[str | URL] = MultiDict()
            for param in params_text.split(";"):
                key, sep, val = param.partition("=")
                key = key.strip().lower()
                if key and sep:
                    link.add(key, val.strip().strip('"'))
            link.add("url", base.join(URL(target)))
            rel = link.get("rel")
            key_name = str(rel) if rel is not None else target
            links.add(key_name, MultiDictProxy(link))
    return MultiDictProxy(links)


def _split_link_values(value: str) -> list[str]:
    """Split a Link header on the commas that separate links (not those inside <> or "")."""
    items: list[str] = []
    depth_angle = False
    in_quote = False
    start = 0
    for i, ch in enumerate(value):
        if ch == '"' and not depth_angle:
            in_quote = not in_quote
        elif ch == "<" and not in_quote:
            depth_angle = True
        elif ch == ">" and not in_quote:
            depth_angle = False
        elif ch == "," and not in_quote and not depth_angle:
            items.append(value[start:i])
            start = i + 1
    items.append(value[start:])
    return [item.strip() for item in items if item.strip()]
