"""What the HTTP/1.1 request and response parsers share (see :mod:`heron.http.parser`).

:class:`_ParserBase` holds the per-message state and the llhttp callbacks both
parsers use (header fields with their limits, body bytes with decoding and the body
limit, chunk ends, the end of a message), the checks made once per head (framing by
``Transfer-Encoding``/``Content-Length``, the declared body size, content coding),
the bound on what llhttp buffers inside one header field, and failing for good.
:func:`_translate` maps llhttp's errors onto the :class:`BadHttpMessage` family.
"""

from __future__ import annotations

import importlib
from typing import Any, Final, NoReturn

import httptools
from multidict import CIMultiDict, CIMultiDictProxy, istr

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
from .models import EndOfMessage, HttpVersion, HttpVersion10, HttpVersion11

__all__ = ("DEFAULT_MAX_DECOMPRESSED_SIZE", "END_OF_CHUNK", "EndOfChunk")


class EndOfChunk:
    """Event: an HTTP chunk of a chunked body ended here (only with ``chunk_ends=True``).

    There is one instance, :data:`END_OF_CHUNK`; compare with ``is``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "END_OF_CHUNK"


END_OF_CHUNK: Final = EndOfChunk()

DEFAULT_MAX_DECOMPRESSED_SIZE: Final = 64 * 2**20
"""Default limit on the decoded size of one body (64 MiB); ``None`` disables it."""

_VERSIONS: Final = {"1.1": HttpVersion11, "1.0": HttpVersion10}
_OWS: Final = b" \t"
_END: Final = EndOfMessage(None)
# istr keys: a multidict looks them up without case-folding them first.
_CONTENT_LENGTH: Final = istr("Content-Length")
_TRANSFER_ENCODING: Final = istr("Transfer-Encoding")
_CONTENT_ENCODING: Final = istr("Content-Encoding")

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


def _parse_version(text: str) -> HttpVersion:
    major, _, minor = text.partition(".")
    if major != "1":
        raise UnsupportedVersion(f"HTTP version {text} is not supported")
    return HttpVersion(1, int(minor))
