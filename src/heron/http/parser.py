"""Incremental HTTP/1.1 request and response parsers on top of llhttp (``httptools``).

Bytes go in through ``feed_data``; a list of events comes out: a head
(``RawRequestMessage`` / ``RawResponseMessage``), zero or more non-empty body
``bytes``, ``EndOfMessage(trailers)`` and, when the connection switches protocol,
``Upgrade(tail)``. Any malformed input raises a :class:`BadHttpMessage` subclass
whose ``code`` is the status to answer with and whose ``events`` are those the failing
feed completed before the error (earlier pipelined requests, a head before a bad
body); the parser then stays failed.

llhttp in its default (strict) mode already rejects: bare LF and bare CR, obs-fold,
control characters and NUL in names and values, spaces before the colon,
``Content-Length`` together with ``Transfer-Encoding``, duplicate or non-decimal
``Content-Length``, request ``Transfer-Encoding`` whose final coding is not
``chunked``, ``chunked`` applied twice, bad chunk sizes and extensions, a missing
CRLF after chunk data, unknown methods and invalid bytes in the request target.
This module adds, cheaply and only once per message head: the size limits (which
llhttp does not have), HTTP version policy, codings before ``chunked`` (501),
``Transfer-Encoding`` in HTTP/1.0, fragments and ill-formed request targets,
duplicate ``Host``, status code range and reason phrase characters, and the
message framing rules llhttp cannot know (responses to HEAD and CONNECT).

Upgrades. A request carrying ``Upgrade`` with ``Connection: upgrade``, and any
CONNECT request, ends with ``Upgrade(tail)`` after its ``EndOfMessage``; the head
has ``upgrade=True``. The parser then parses nothing more until the server either
hands ``tail`` to the new protocol, or declines the upgrade by answering normally,
calling :meth:`HttpRequestParser.continue_after_upgrade` and feeding ``tail`` again.
A ``Content-Length`` body of an upgrade request is delivered before
``EndOfMessage``; a chunked upgrade request is rejected (400) because its end
cannot be located without parsing past it.
"""

from __future__ import annotations

import importlib
import re
from typing import Any, Final, NoReturn, TypeAlias

import httptools
from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

from ..hdrs import METH_CONNECT, METH_HEAD, METH_OPTIONS
from .compression import Decompressor, normalize_encoding
from .errors import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadTooLarge,
    TooManyHeaders,
    TransferEncodingError,
    UnsupportedTransferEncoding,
    UnsupportedVersion,
)
from .models import (
    EndOfMessage,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawRequestMessage,
    RawResponseMessage,
    Upgrade,
)

__all__ = (
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "END_OF_CHUNK",
    "EndOfChunk",
    "Event",
    "HttpRequestParser",
    "HttpResponseParser",
    "RequestEvent",
    "ResponseEvent",
)


class EndOfChunk:
    """Event: an HTTP chunk of a chunked body ended here (only with ``chunk_ends=True``).

    There is one instance, :data:`END_OF_CHUNK`; compare with ``is``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_CHUNK"


END_OF_CHUNK: Final = EndOfChunk()

RequestEvent: TypeAlias = RawRequestMessage | bytes | EndOfMessage | Upgrade | EndOfChunk
ResponseEvent: TypeAlias = RawResponseMessage | bytes | EndOfMessage | Upgrade | EndOfChunk
Event: TypeAlias = RequestEvent | ResponseEvent

DEFAULT_MAX_DECOMPRESSED_SIZE: Final = 64 * 2**20
"""Default limit on the decoded size of one body (64 MiB); ``None`` disables it."""

_VERSIONS: Final = {"1.1": HttpVersion11, "1.0": HttpVersion10}
_METHODS: dict[bytes, str] = {}
_OWS: Final = b" \t"
# RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
_BAD_REASON: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_END: Final = EndOfMessage(None)
# istr keys: a multidict looks them up without case-folding them first.
_HOST: Final = istr("Host")
_CONTENT_LENGTH: Final = istr("Content-Length")
_TRANSFER_ENCODING: Final = istr("Transfer-Encoding")
_CONTENT_ENCODING: Final = istr("Content-Encoding")
_new_tuple: Final = tuple.__new__
# Request URLs of recent origin-form targets, by target (bounded; cleared when full).
_ORIGIN_URLS: dict[str, URL] = {}
_ORIGIN_URLS_MAX: Final = 512

# The exception classes exactly as the compiled parser raises them. Under some import
# hooks (coverage's tracer) ``httptools.HttpParserError`` ends up a different class
# object from the one the extension module bound at its own import time.
_llhttp = importlib.import_module("httptools.parser.parser")
_ParserError: type[Exception] = getattr(_llhttp, "HttpParserError", httptools.HttpParserError)
_CallbackError: type[Exception] = getattr(
    _llhttp, "HttpParserCallbackError", httptools.HttpParserCallbackError
)
_MethodError: type[Exception] = getattr(
    _llhttp, "HttpParserInvalidMethodError", httptools.HttpParserInvalidMethodError
)
_URLError: type[Exception] = getattr(
    _llhttp, "HttpParserInvalidURLError", httptools.HttpParserInvalidURLError
)
_StatusError: type[Exception] = getattr(
    _llhttp, "HttpParserInvalidStatusError", httptools.HttpParserInvalidStatusError
)
_UpgradeSignal: type[Exception] = getattr(_llhttp, "HttpParserUpgrade", httptools.HttpParserUpgrade)

_CHUNKED: Final = 2
_LENGTH: Final = 1
_UNTIL_CLOSE: Final = 3


def _translate(exc: Exception) -> HttpProcessingError:
    """Map an llhttp error onto the BadHttpMessage family."""
    if isinstance(exc, _CallbackError):
        cause = exc.__context__
        if isinstance(cause, HttpProcessingError):
            return cause
        return BadHttpMessage(str(exc))  # pragma: no cover - our callbacks raise only ours
    reason = str(exc)
    text = reason.lower()
    if isinstance(exc, _MethodError):
        return BadHttpMethod(message=f"Invalid method: {reason}")
    if isinstance(exc, _URLError):
        return InvalidURLError(reason)
    if isinstance(exc, _StatusError):
        return BadStatusLine(message=reason)
    # httptools reports llhttp's error reason, not its code: match on the wording.
    if "content-length" in text:
        return ContentLengthError(reason)
    if "transfer-encoding" in text or "chunk" in text:
        return TransferEncodingError(reason)
    if "header" in text:
        return InvalidHeader(message=reason)
    if "version" in text or "http/" in text or "dot" in text:
        return BadStatusLine(message=reason)
    return BadHttpMessage(reason)


class _ParserBase:
    """State and callbacks shared by the request and response parsers."""

    def __init__(
        self,
        *,
        max_line_size: int,
        max_field_size: int,
        max_headers: int,
        max_body_size: int | None,
        auto_decompress: bool,
        max_decompressed_size: int | None,
        chunk_ends: bool,
    ) -> None:
        self._chunk_has_data = False
        if chunk_ends:
            # httptools looks callbacks up once, when the C parser is created: a parser
            # that was not asked for chunk ends pays nothing per chunk or body piece.
            self.on_chunk_complete = self._on_chunk_end
            self.on_body = self._on_chunk_body  # type: ignore[method-assign]
        self.max_line_size = max_line_size
        self.max_field_size = max_field_size
        self.max_headers = max_headers
        self.max_body_size = max_body_size
        self.auto_decompress = auto_decompress
        self.max_decompressed_size = max_decompressed_size
        self._events: list[Any] = []
        self._raw: list[tuple[bytes, bytes]] = []
        self._trailers: list[tuple[str, str]] | None = None
        self._in_head = False
        self._in_body = False
        self._framing = 0
        self._body_size = 0
        self._decomp: Decompressor | None = None
        self._failed: HttpProcessingError | None = None
        # Guard against one header growing without bound inside httptools, which
        # buffers a field until it is complete: bytes fed while no callback fired.
        self._touched = False
        self._pending = 0

    # -- callbacks (called by llhttp) -------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        # Hot path: one call per field. Decoding happens once per head in _headers().
        self._touched = True
        raw = self._raw
        if (
            len(name) + len(value) > self.max_field_size
            or len(raw) >= self.max_headers
            or self._in_body
        ):
            self._unusual_field(name, value)
            return
        raw.append((name, value))

    def _unusual_field(self, name: bytes, value: bytes) -> None:
        """A field that is too long, one too many, or a trailer."""
        if len(name) + len(value) > self.max_field_size:
            raise LineTooLong("header field", self.max_field_size, len(name) + len(value), code=431)
        if not self._in_body:
            raise TooManyHeaders(f"More than {self.max_headers} header fields")
        if self._trailers is None:
            self._trailers = []
        if len(self._trailers) >= self.max_headers:
            raise TooManyHeaders(f"More than {self.max_headers} trailer fields")
        self._trailers.append(
            (name.decode("latin-1"), value.rstrip(_OWS).decode("utf-8", "surrogateescape"))
        )

    def on_body(self, body: bytes) -> None:
        if self.max_body_size is not None:
            self._body_size += len(body)
            if self._body_size > self.max_body_size:
                raise PayloadTooLarge(f"Body exceeds {self.max_body_size} bytes")
        if self._decomp is not None:
            body = self._decomp.decompress(body)
            if not body:
                return
        self._events.append(body)

    def _on_chunk_body(self, body: bytes) -> None:
        self._chunk_has_data = True
        type(self).on_body(self, body)

    def _on_chunk_end(self) -> None:
        # The last chunk (size 0) carries no data: it ends the body, not a chunk.
        if self._chunk_has_data and self._in_body:
            self._chunk_has_data = False
            self._events.append(END_OF_CHUNK)

    def _end_message(self) -> None:
        """Emit the end of the current body and reset the per-message state."""
        if self._decomp is not None:
            rest = self._decomp.flush()
            self._decomp = None
            if rest:
                self._events.append(rest)
        trailers = self._trailers
        self._events.append(
            EndOfMessage(CIMultiDictProxy(CIMultiDict(trailers))) if trailers else _END
        )
        self._reset()

    def _reset(self) -> None:
        self._raw = []
        self._trailers = None
        self._in_head = self._in_body = False
        self._framing = 0
        self._body_size = 0

    # -- shared head processing -------------------------------------------------

    def _headers(self) -> tuple[CIMultiDictProxy[str], tuple[tuple[bytes, bytes], ...]]:
        """Build the header multidict once, from the raw fields.

        llhttp keeps trailing whitespace in values; RFC 9110 §5.5 excludes it from
        the field value, so it is stripped from the decoded value (``raw_headers``
        keep the bytes as received). Names are tokens (ASCII, checked by llhttp);
        values are decoded as UTF-8 with ``surrogateescape`` so that obs-text bytes
        survive and re-encode to the same bytes.
        """
        self._in_head = False
        self._in_body = True
        raw = self._raw
        pairs = [
            (n.decode("latin-1"), v.rstrip(_OWS).decode("utf-8", "surrogateescape")) for n, v in raw
        ]
        return CIMultiDictProxy(CIMultiDict(pairs)), tuple(raw)

    def _framing_of(
        self, headers: CIMultiDictProxy[str], version: HttpVersion, is_request: bool
    ) -> bool:
        """Validate Transfer-Encoding (llhttp checked the rest); return ``chunked``."""
        te = headers.get(_TRANSFER_ENCODING)
        if te is None:
            if _CONTENT_LENGTH in headers:
                self._framing = _LENGTH
            return False
        if version == HttpVersion10:
            # RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
            raise TransferEncodingError("Transfer-Encoding is not allowed in HTTP/1.0")
        codings = [
            c.strip().lower() for v in headers.getall("Transfer-Encoding") for c in v.split(",")
        ]
        codings = [c for c in codings if c]
        if not codings or codings[-1] != "chunked":
            if is_request:  # pragma: no cover - llhttp rejects these first
                raise TransferEncodingError("Transfer-Encoding must end with chunked")
            # RFC 9112 §6.3: a response without a final chunked is read until close.
            self._framing = _UNTIL_CLOSE
            return False
        if len(codings) > 1:
            raise UnsupportedTransferEncoding(f"Unsupported transfer coding: {te!r}")
        self._framing = _CHUNKED
        return True

    def _setup_body(self, headers: CIMultiDictProxy[str]) -> str | None:
        """Check the declared length and prepare decoding; return the compression."""
        if self.max_body_size is not None and self._framing == _LENGTH:
            length = int(headers["Content-Length"])
            if length > self.max_body_size:
                raise PayloadTooLarge(f"Body of {length} bytes exceeds {self.max_body_size}")
        encoding = headers.get(_CONTENT_ENCODING)
        if encoding is None:
            return None
        compression = normalize_encoding(encoding)
        if compression is not None and self.auto_decompress and self._framing:
            self._decomp = Decompressor(compression, self.max_decompressed_size)
        return compression

    # -- feeding ----------------------------------------------------------------

    def _check_pending(self, size: int) -> None:
        """After a feed that ended inside a head, bound what httptools buffers."""
        if self._touched:
            self._touched = False
            self._pending = 0
            return
        self._pending += size
        if self._pending > self.max_field_size:
            raise LineTooLong("header field", self.max_field_size, self._pending, code=431)

    def _fail(self, exc: HttpProcessingError) -> HttpProcessingError:
        """Remember ``exc`` and hand it what the failing feed completed before it."""
        self._failed = exc
        exc.events = self._events
        self._events = []
        return exc

    def _raise_failed(self, exc: HttpProcessingError) -> NoReturn:
        """A later feed into a failed parser: the same error, with no new events."""
        exc.events = []
        raise exc

    def _eof_error(self, what: str) -> HttpProcessingError | None:
        """The error for a connection closed in the middle of a message, if any."""
        if self._in_head:
            return BadHttpMessage(f"Connection closed in the middle of the {what} head")
        if not self._in_body:
            return None
        if self._framing == _CHUNKED:
            return TransferEncodingError("Not enough data to satisfy transfer length header")
        if self._framing == _LENGTH:
            return ContentLengthError("Not enough data to satisfy content length header")
        return None


class HttpRequestParser(_ParserBase):
    """Server-side parser: feed request bytes, get request events.

    ``max_line_size`` bounds the request line (414), ``max_field_size`` one header
    field's name plus value (431), ``max_headers`` the number of fields (431) and
    ``max_body_size`` the body (413, unlimited when ``None``). With
    ``auto_decompress`` a gzip/deflate/br/zstd body is decoded, at most
    ``max_decompressed_size`` bytes of it (413). With ``chunk_ends`` an
    :data:`END_OF_CHUNK` event follows the bytes of each chunk of a chunked body.
    """

    def __init__(
        self,
        *,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_body_size: int | None = None,
        auto_decompress: bool = True,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
        chunk_ends: bool = False,
    ) -> None:
        super().__init__(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            max_body_size=max_body_size,
            auto_decompress=auto_decompress,
            max_decompressed_size=max_decompressed_size,
            chunk_ends=chunk_ends,
        )
        self._url = b""
        self._upgraded = False
        self._upgrade_body_left = 0
        self._c = httptools.HttpRequestParser(self)
        # Any 1.x version is HTTP/1.1-compatible (RFC 9110 §2.5); others are refused
        # with 505 below instead of a generic llhttp error.
        self._c.set_dangerous_leniencies(lenient_version=True, lenient_data_after_close=True)

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[RequestEvent]:
        """Parse ``data`` and return the events it completes, in order."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        if self._upgraded:
            raise RuntimeError("The connection was upgraded; HTTP parsing has stopped")
        events: list[RequestEvent] = []
        self._events = events
        try:
            if self._upgrade_body_left:
                self._after_upgrade(bytes(data))
                return events
            try:
                self._c.feed_data(data)
            except _UpgradeSignal as exc:
                self._after_upgrade(bytes(data[exc.args[0] :]))
            except _ParserError as exc:
                raise _translate(exc) from None
            if self._in_head:
                self._check_pending(len(data))
        except HttpProcessingError as exc:
            raise self._fail(exc) from None
        return events

    def feed_eof(self) -> list[RequestEvent]:
        """Signal that the peer closed; raise if a request was cut short."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        if self._upgrade_body_left:
            raise self._fail(ContentLengthError("Not enough data to satisfy content length"))
        exc = self._eof_error("request")
        if exc is not None:
            raise self._fail(exc)
        return []

    def continue_after_upgrade(self) -> None:
        """Resume HTTP/1.1 parsing after the server declined an upgrade.

        Feed the ``tail`` of the :class:`Upgrade` event again afterwards: it holds
        the next request, if the client sent one.
        """
        if not self._upgraded:
            raise RuntimeError("No upgrade to decline")
        self._upgraded = False

    # -- callbacks ----------------------------------------------------------------

    def on_url(self, url: bytes) -> None:
        # The first callback of a request (no on_message_begin: one call fewer per
        # request); the method before it is bounded by llhttp's list of methods.
        self._touched = self._in_head = True
        url = self._url + url if self._url else url
        if len(url) > self.max_line_size:
            raise LineTooLong("request line", self.max_line_size, len(url), code=414)
        self._url = url

    def on_headers_complete(self) -> None:
        c = self._c
        raw_method = c.get_method()
        method = _METHODS.get(raw_method)
        if method is None:
            method = _METHODS.setdefault(raw_method, raw_method.decode("ascii"))
        version = _VERSIONS.get(c.get_http_version()) or _parse_version(c.get_http_version())
        headers, raw_headers = self._headers()
        target = self._url.decode("ascii")
        self._url = b""
        url = _build_url(method, target)
        # Most requests have no body: then framing and codings need no checks.
        framed = (
            _TRANSFER_ENCODING in headers
            or _CONTENT_LENGTH in headers
            or _CONTENT_ENCODING in headers
        )
        chunked = self._framing_of(headers, version, True) if framed else False
        if len(raw_headers) > 1 and len(headers.getall(_HOST, ())) > 1:
            raise InvalidHeader("Host", "Duplicate Host header")
        compression = self._setup_body(headers) if framed else None
        upgrade = c.should_upgrade()
        if upgrade and method != METH_CONNECT and self._framing:
            if chunked:
                raise BadHttpMessage("Upgrade request with a chunked body is not supported")
            self._upgrade_body_left = int(headers[_CONTENT_LENGTH])
        # tuple.__new__ skips the named tuple's Python-level __new__ (same object).
        message = (
            method,
            target,
            version,
            headers,
            raw_headers,
            not c.should_keep_alive(),
            compression,
            upgrade,
            chunked,
            url,
        )
        self._events.append(_new_tuple(RawRequestMessage, message))

    def on_message_complete(self) -> None:
        if self._upgrade_body_left:
            return  # llhttp skipped the body of an upgrade request; _after_upgrade reads it
        self._end_message()

    def _after_upgrade(self, tail: bytes) -> None:
        left = self._upgrade_body_left
        if left:
            chunk, tail = tail[:left], tail[left:]
            self._upgrade_body_left = left = left - len(chunk)
            if chunk:
                self.on_body(chunk)
            if left:
                return
            self._end_message()
        self._upgraded = True
        self._events.append(Upgrade(tail))


def _parse_version(text: str) -> HttpVersion:
    major, _, minor = text.partition(".")
    if major != "1":
        raise UnsupportedVersion(f"HTTP version {text} is not supported")
    return HttpVersion(1, int(minor))


def _build_url(method: str, target: str) -> URL:
    """Build the request URL from the request target (RFC 9112 §3.2)."""
    if "#" in target:
        raise InvalidURLError(f"Fragment in request target: {target!r}")
    if target[0] == "/":
        if method == METH_CONNECT:
            raise InvalidURLError("CONNECT needs an authority-form target")
        # URLs are immutable: the origin-form ones of recent requests are shared.
        url = _ORIGIN_URLS.get(target)
        if url is None:
            # Building from parts keeps "//host/x" a path, never an authority.
            path, _, query = target.partition("?")
            url = URL.build(path=path, query_string=query, encoded=True)
            if len(_ORIGIN_URLS) >= _ORIGIN_URLS_MAX:
                _ORIGIN_URLS.clear()
            _ORIGIN_URLS[target] = url
        return url
    try:
        if method == METH_CONNECT:
            url = URL.build(authority=target, encoded=True)
            if url.host and url.port is not None and not url.path.strip("/"):
                return url
        elif target == "*":
            if method == METH_OPTIONS:
                return URL.build(path="*", encoded=True)
        else:
            url = URL(target, encoded=True)
            if url.absolute and url.host:
                return url
    except (ValueError, TypeError):
        pass
    raise InvalidURLError(f"Invalid request target: {target!r}")


class HttpResponseParser(_ParserBase):
    """Client-side parser for one response to a request made with ``method``.

    Interim 1xx responses (other than 101) are skipped. A response to HEAD has no
    body; a 2xx response to CONNECT and a 101 end with ``Upgrade(tail)``. When
    ``read_until_eof`` is false a response without Content-Length or chunked
    framing has an empty body instead of lasting until the connection closes.
    Bytes after the final response are not parsed; :attr:`trailing_data` tells
    the client that some arrived, so the connection must not be reused. Limits and
    ``chunk_ends`` are as for :class:`HttpRequestParser`.
    """

    def __init__(
        self,
        *,
        method: str = "GET",
        read_until_eof: bool = True,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_body_size: int | None = None,
        auto_decompress: bool = True,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
        chunk_ends: bool = False,
    ) -> None:
        super().__init__(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            max_body_size=max_body_size,
            auto_decompress=auto_decompress,
            max_decompressed_size=max_decompressed_size,
            chunk_ends=chunk_ends,
        )
        self.method = method.upper()
        self.read_until_eof = read_until_eof
        self._reason = b""
        self._interim = False
        self._done = False
        self._trailing = False
        self._tunnel = False
        # llhttp cannot be told the request method, so for HEAD and CONNECT the
        # head is cut out here and only it is fed to llhttp.
        self._head_mode = self.method in (METH_HEAD, METH_CONNECT)
        self._head_buf = b""
        self._c = httptools.HttpResponseParser(self)
        self._c.set_dangerous_leniencies(lenient_version=True)
        self._c_idle = True  # llhttp sits between two messages (see reset())

    def reset(self, method: str = "GET", read_until_eof: bool = True) -> bool:
        """Expect the next response on the same kept-alive connection.

        Reuses the llhttp parser (cheaper than a new parser, and no reference cycle
        left for the garbage collector per response). Only possible once the final
        response is complete, llhttp saw its end itself (not after a HEAD or
        CONNECT head cut out here) and nothing followed it, no upgrade, no error:
        returns False otherwise, changing nothing; make a new parser then. Limits
        stay as they are. Only for a connection that stays open: after a response
        that asked to close (``should_close``), llhttp refuses further bytes.
        """
        if (
            not self._done
            or not self._c_idle
            or self._trailing
            or self._tunnel
            or self._failed is not None
            or self._c.should_upgrade()
        ):
            return False
        method = method.upper()
        self.method = method
        self.read_until_eof = read_until_eof
        self._head_mode = method in (METH_HEAD, METH_CONNECT)
        self._done = self._interim = self._chunk_has_data = self._touched = False
        self._pending = 0
        self._reason = self._head_buf = b""
        self._events = []
        self._reset()
        return True

    @property
    def done(self) -> bool:
        """True once the final response is complete (or the connection upgraded)."""
        return self._done

    @property
    def trailing_data(self) -> bool:
        """True if bytes arrived after the final response (do not reuse the connection)."""
        return self._trailing

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[ResponseEvent]:
        """Parse ``data`` and return the events it completes, in order."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        events: list[ResponseEvent] = []
        self._events = events
        if self._done:
            self._trailing = self._trailing or bool(data)
            return events
        try:
            if self._head_mode:
                self._feed_heads(bytes(data))
            else:
                self._feed(data)
        except HttpProcessingError as exc:
            raise self._fail(exc) from None
        return events

    def _feed(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._c.feed_data(data)
        except _UpgradeSignal as exc:
            self._done = True
            self._events.append(Upgrade(bytes(data[exc.args[0] :])))
        except _ParserError as exc:
            if not self._done:
                raise _translate(exc) from None
            self._trailing = True  # garbage after a complete response
        if self._in_head:
            self._check_pending(len(data))

    def _feed_heads(self, data: bytes) -> None:
        """Feed llhttp one complete head at a time (HEAD and CONNECT responses)."""
        buf = self._head_buf + data if self._head_buf else data
        while self._head_mode and not self._done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                limit = self.max_line_size + self.max_headers * (self.max_field_size + 4)
                if len(buf) > limit:
                    raise LineTooLong("response head", limit, len(buf), code=431)
                self._head_buf = buf
                return
            self._feed(buf[: end + 4])
            buf = buf[end + 4 :]
        self._head_buf = b""
        if self._tunnel:
            self._events.append(Upgrade(buf))
        elif self._done:
            self._trailing = bool(buf)
        elif buf:
            self._feed(buf)  # a CONNECT refused with a normal response body

    def feed_eof(self) -> list[ResponseEvent]:
        """Signal that the server closed; completes a read-until-close body."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        events: list[ResponseEvent] = []
        self._events = events
        if self._done:
            return events
        if self._in_body and self._framing == _UNTIL_CLOSE:
            try:
                self._finish()
            except HttpProcessingError as exc:
                raise self._fail(exc) from None
            return events
        error = self._eof_error("response")
        if error is not None:
            raise self._fail(error)
        return events

    # -- callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._c_idle = False
        if self._done:
            self._trailing = True
            return
        self._in_head = True
        self._touched = True

    def on_status(self, reason: bytes) -> None:
        self._touched = True
        reason = self._reason + reason if self._reason else reason
        if len(reason) > self.max_line_size:
            raise LineTooLong("status line", self.max_line_size, len(reason), code=400)
        self._reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._done:
            super().on_header(name, value)

    def on_body(self, body: bytes) -> None:
        if self._done:
            self._trailing = True
            return
        super().on_body(body)

    def on_headers_complete(self) -> None:
        if self._done:
            return
        c = self._c
        status = c.get_status_code()
        if not 100 <= status <= 599:
            raise BadStatusLine(message=f"Invalid status code {status}")
        reason = self._reason
        self._reason = b""
        if _BAD_REASON.search(reason):
            raise BadStatusLine(message=f"Invalid reason phrase {reason!r}")
        if status < 200 and status != 101:
            self._interim = True  # skipped; llhttp knows 1xx has no body
            return
        version = _VERSIONS.get(c.get_http_version()) or _parse_version(c.get_http_version())
        headers, raw_headers = self._headers()
        chunked = self._framing_of(headers, version, False)
        upgrade = c.should_upgrade()
        if status == 101 and not upgrade:
            raise BadHttpMessage("101 Switching Protocols without Upgrade")
        should_close = not c.should_keep_alive()
        no_body = self.method == METH_HEAD or status in (204, 304)
        if self.method == METH_CONNECT:
            if 200 <= status < 300:
                upgrade = self._tunnel = no_body = True
            else:
                self._head_mode = False  # an ordinary response: framing as usual
        elif not no_body and not self._framing and status != 101:
            self._framing = _UNTIL_CLOSE
        if no_body:
            self._framing = 0
            should_close = _close_wanted(headers, version)
        elif self._framing == _UNTIL_CLOSE and not self.read_until_eof:
            no_body = True
        compression = self._setup_body(headers)
        self._events.append(
            RawResponseMessage(
                version,
                status,
                reason.decode("utf-8", "surrogateescape"),
                headers,
                raw_headers,
                should_close,
                compression,
                upgrade,
                chunked,
            )
        )
        if no_body:
            self._finish()

    def on_message_complete(self) -> None:
        self._c_idle = True
        if self._done:
            return
        if self._interim:
            self._interim = False
            self._reset()
            return
        self._finish()

    def _finish(self) -> None:
        self._end_message()
        self._done = True


def _close_wanted(headers: CIMultiDictProxy[str], version: HttpVersion) -> bool:
    """Whether the Connection header and version ask to close (RFC 9112 §9.3)."""
    tokens = {t.strip().lower() for v in headers.getall("Connection", ()) for t in v.split(",")}
    if version >= HttpVersion11:
        return "close" in tokens
    return "keep-alive" not in tokens
