"""0.x ``aiohttp.protocol``: the low-level ``Request``/``Response`` message writers.

A writer is built over anything with a ``write(bytes)`` method: an asyncio transport,
or the ``writer`` of a :class:`heron.server.ServerHttpProtocol` (which also knows how
to wait for a slow peer). Typical 0.x use::

    response = heron.Response(self.writer, 200, http_version=message.version)
    response.add_header("Content-Type", "text/plain")
    response.add_header("Content-Length", "2")
    response.send_headers()
    response.write(b"OK")          # returns an awaitable drain; awaiting is optional
    await response.write_eof()

Headers go through heron's serializer, so CR/LF from user data never reaches the
wire (``ValueError``). The body is framed by ``Content-Length`` (writes past it are
cut), by chunked encoding (``Transfer-Encoding: chunked``,
:meth:`HttpMessage.enable_chunked_encoding` or :meth:`HttpMessage.add_chunking_filter`),
or else by closing the connection.

``RawRequestMessage`` is heron's parsed head; its fields are
``(method, path, version, headers, raw_headers, should_close, compression, upgrade,
chunked, url)``: 0.x code that unpacks the old 6-tuple ``(method, path, version,
headers, should_close, compression)`` positionally must use the names instead.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Generator
from typing import Any, Protocol

from multidict import CIMultiDict, istr

from .. import hdrs
from ..helpers import format_http_date
from ..http.compression import Compressor
from ..http.models import (
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawRequestMessage,
    RawResponseMessage,
)
from ..http.reasons import reason_phrase
from ..http.serializer import (
    serialize_chunk,
    serialize_last_chunk,
    serialize_request_head,
    serialize_response_head,
)
from .http_parsers import (
    HttpPayloadParser,
    HttpPrefixParser,
    HttpRequestParser,
    HttpResponseParser,
)

__all__ = (
    "HttpMessage",
    "HttpPayloadParser",
    "HttpPrefixParser",
    "HttpRequestParser",
    "HttpResponseParser",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RawRequestMessage",
    "RawResponseMessage",
    "Request",
    "Response",
)


class _Writable(Protocol):
    def write(self, data: bytes) -> Any: ...


class _Done:
    """An already finished drain: awaiting it returns at once (and ignoring it is fine)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator


_DONE = _Done()


def _retrieve(fut: asyncio.Future[Any]) -> None:
    # A drain nobody awaited must not log "exception was never retrieved".
    if not fut.cancelled():
        fut.exception()


class HttpMessage:
    """Base of the 0.x message writers: start line, headers, then the body.

    ``transport`` is anything with ``write(bytes)``; if it also has ``drain()`` and
    ``writing_paused`` (a server protocol's ``writer``), :meth:`write` returns a
    future that waits for the peer while it is slow to read.
    """

    SERVER_SOFTWARE = (
        f"Python/{sys.version_info[0]}.{sys.version_info[1]} heron/legacy"  # 0.x header
    )
    HOP_HEADERS: frozenset[str] | None = None

    def __init__(self, transport: _Writable, version: HttpVersion, close: bool) -> None:
        self.transport = transport
        self.version = version
        self.closing = close
        self.keepalive: bool | None = None
        self.chunked = False
        self.length: int | None = None
        self.upgrade = False
        self.websocket = False
        self.has_chunked_hdr = False
        self.headers: CIMultiDict[str] = CIMultiDict()
        self.headers_sent = False
        self.status_line = ""
        self.output_length = 0
        self.body_length = 0
        self._chunk_size: int | None = None
        self._compressor: Compressor | None = None
        self._eof = False
        self._framed_bytes = 0  # body bytes sent against Content-Length

    # -- state ---------------------------------------------------------------------

    @property
    def body_written(self) -> int:
        """Body bytes written so far (before compression and framing)."""
        return self.body_length

    def force_close(self) -> None:
        """Close the connection after this message."""
        self.closing = True
        self.keepalive = False

    def keep_alive(self) -> bool:
        """Whether the connection may carry another message after this one."""
        if self.keepalive is None:
            if self.version < HttpVersion10:
                return False
            if self.version == HttpVersion10:
                return False  # unless "Connection: keep-alive" set keepalive
            return not self.closing
        return self.keepalive

    def is_headers_sent(self) -> bool:
        """True once :meth:`send_headers` ran."""
        return self.headers_sent

    # -- headers ---------------------------------------------------------------------

    def add_header(self, name: str, value: str) -> None:
        """Queue one header; framing headers also set up the body. Not after sending."""
        if self.headers_sent:
            raise RuntimeError("Cannot add a header: headers are already sent")
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError(f"header name and value must be str, got {name!r}: {value!r}")
        name = istr(name.strip())
        value = value.strip()
        lowered = value.lower()
        if name == hdrs.CONTENT_LENGTH:
            self.length = int(value)
        elif name == hdrs.TRANSFER_ENCODING:
            self.has_chunked_hdr = lowered.split(",")[-1].strip() == "chunked"
        elif name == hdrs.CONNECTION:
            tokens = {t.strip() for t in lowered.split(",")}
            if "close" in tokens:
                self.keepalive = False
            elif "keep-alive" in tokens:
                self.keepalive = True
            if "upgrade" in tokens:
                self.upgrade = True
        elif name == hdrs.UPGRADE and "websocket" in lowered:
            self.websocket = True
        if self.HOP_HEADERS is None or name not in self.HOP_HEADERS:
            self.headers.add(name, value)

    def add_headers(self, *headers: tuple[str, str]) -> None:
        """Queue several ``(name, value)`` headers."""
        for name, value in headers:
            self.add_header(name, value)

    def _add_default_headers(self) -> None:
        """Connection handling; subclasses add their own defaults."""
        if hdrs.CONNECTION in self.headers:
            return
        if self.upgrade:
            self.headers[hdrs.CONNECTION] = "upgrade"
        elif not self.keep_alive():
            if self.version >= HttpVersion11:
                self.headers[hdrs.CONNECTION] = "close"
        elif self.version == HttpVersion10:
            self.headers[hdrs.CONNECTION] = "keep-alive"

    def _serialize_head(self) -> bytes:
        raise NotImplementedError

    def send_headers(self, _sep: str = ": ", _end: str = "\r\n") -> None:
        """Write the start line and the headers (``_sep``/``_end`` are 0.x leftovers)."""
        if self.headers_sent:
            raise RuntimeError("Headers are already sent")
        if self.chunked or self.has_chunked_hdr:
            self.chunked = True
            self.length = None
            self.headers.popall(hdrs.CONTENT_LENGTH, None)
            if not self.has_chunked_hdr:
                self.headers[hdrs.TRANSFER_ENCODING] = "chunked"
                self.has_chunked_hdr = True
        elif self.length is None and not self.upgrade:
            self.closing = True  # the body ends when the connection does
            self.keepalive = False
        self._add_default_headers()
        head = self._serialize_head()
        self.headers_sent = True
        self._send(head)

    # -- body ----------------------------------------------------------------------

    def enable_chunked_encoding(self) -> None:
        """Send the body with ``Transfer-Encoding: chunked``."""
        if self.headers_sent and not self.chunked:
            raise RuntimeError("Cannot enable chunking after the headers were sent")
        self.chunked = True

    def add_chunking_filter(self, chunk_size: int = 16 * 1024, **_: Any) -> None:
        """Chunked encoding, each written piece cut into chunks of ``chunk_size`` bytes."""
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self.enable_chunked_encoding()
        self._chunk_size = chunk_size

    def add_compression_filter(self, encoding: str = "deflate", **_: Any) -> None:
        """Compress the body with ``deflate`` or ``gzip``.

        Before the headers are sent this also sets ``Content-Encoding`` and drops a
        ``Content-Length`` (the compressed size is not known in advance).
        """
        if encoding not in ("deflate", "gzip"):
            raise ValueError(f"unsupported compression {encoding!r}")
        self._compressor = Compressor(encoding)
        if not self.headers_sent:
            self.headers.setdefault(hdrs.CONTENT_ENCODING, encoding)
            self.headers.popall(hdrs.CONTENT_LENGTH, None)
            self.length = None

    def write(self, chunk: bytes | bytearray | memoryview, *, drain: bool = False) -> Any:
        """Write a piece of the body (sending the headers first if needed).

        Returns an awaitable that waits while the peer is slow to read; it may be
        ignored. Not allowed after :meth:`write_eof`.
        """
        if self._eof:
            raise RuntimeError("Cannot write() after write_eof()")
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f"chunk must be bytes-like, not {type(chunk).__name__}")
        if not self.headers_sent:
            self.send_headers()
        data = bytes(chunk)
        self.body_length += len(data)
        if self._compressor is not None:
            data = self._compressor.compress(data)
        self._emit(data)
        return self._drain()

    def write_eof(self) -> Any:
        """Finish the message (last chunk, compressor tail); returns an awaitable drain."""
        if self._eof:
            return _DONE
        if not self.headers_sent:
            self.send_headers()
        if self._compressor is not None:
            self._emit(self._compressor.flush())
        if self.chunked:
            self._send(serialize_last_chunk())
        self._eof = True
        return self._drain()

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self.length is not None:
            budget = self.length - self._framed_bytes
            data = data[: max(budget, 0)]
            self._framed_bytes += len(data)
            if data:
                self._send(data)
        elif self.chunked:
            size = self._chunk_size or len(data)
            self._send(
                b"".join(serialize_chunk(data[i : i + size]) for i in range(0, len(data), size))
            )
        else:
            self._send(data)

    def _send(self, data: bytes) -> None:
        self.output_length += len(data)
        self.transport.write(data)

    def _drain(self) -> Any:
        writer = self.transport
        if not getattr(writer, "writing_paused", False):
            return _DONE
        fut = asyncio.ensure_future(writer.drain())  # type: ignore[attr-defined]
        fut.add_done_callback(_retrieve)
        return fut


class Response(HttpMessage):
    """0.x server response writer: ``Response(writer, status, http_version=..., close=...)``."""

    HOP_HEADERS: frozenset[str] | None = None

    @staticmethod
    def calc_reason(status: int) -> str:
        """The standard reason phrase of ``status`` (``"Not Found"`` for 404)."""
        return reason_phrase(status)

    def __init__(
        self,
        transport: _Writable,
        status: int,
        http_version: HttpVersion = HttpVersion11,
        close: bool = False,
        reason: str | None = None,
    ) -> None:
        super().__init__(transport, http_version, close)
        self.status = status
        self.reason = reason if reason is not None else self.calc_reason(status)

    def _add_default_headers(self) -> None:
        super()._add_default_headers()
        self.headers.setdefault(hdrs.DATE, format_http_date(None))
        self.headers.setdefault(hdrs.SERVER, self.SERVER_SOFTWARE)

    def _serialize_head(self) -> bytes:
        head = serialize_response_head(self.version, self.status, self.reason, self.headers)
        self.status_line = head.split(b"\r\n", 1)[0].decode("latin-1") + "\r\n"
        return head


class Request(HttpMessage):
    """0.x client request writer: ``Request(transport, method, path, http_version=...)``."""

    HOP_HEADERS: frozenset[str] | None = None

    def __init__(
        self,
        transport: _Writable,
        method: str,
        path: str,
        http_version: HttpVersion = HttpVersion11,
        close: bool = False,
    ) -> None:
        super().__init__(transport, http_version, close)
        self.method = method
        self.path = path

    def _add_default_headers(self) -> None:
        super()._add_default_headers()

    def _serialize_head(self) -> bytes:
        head = serialize_request_head(self.method, self.path, self.version, self.headers)
        self.status_line = head.split(b"\r\n", 1)[0].decode("latin-1") + "\r\n"
        return head
