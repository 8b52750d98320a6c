"""0.x generator HTTP parsers of ``aiohttp.protocol``, for :class:`heron.parsers.StreamParser`.

A 0.x program parsed HTTP by handing generator parsers to a ``StreamParser``::

    stream = StreamParser()
    method = await stream.set_parser(HttpPrefixParser(("GET", "POST"))).read()
    message = await stream.set_parser(HttpRequestParser()).read()
    body = stream.set_parser(HttpPayloadParser(message))   # DataQueue of body chunks

* :class:`HttpPrefixParser` peeks at the method (nothing is consumed).
* :class:`HttpRequestParser` / :class:`HttpResponseParser` are heron's sans-IO parsers
  (``feed_data(bytes) -> events``, unchanged) that are *also* generator parsers: called
  as ``parser(out, buf)`` they take one head from the buffer, parse it with a fresh
  sans-IO parser of the same limits (so the same strict rules apply) and emit its
  ``RawRequestMessage`` / ``RawResponseMessage``. The body stays in the buffer.
* :class:`HttpPayloadParser` reads the body that follows: chunked, ``Content-Length``
  framed or (``readall=True``) up to the end of the input, decoded per
  ``Content-Encoding`` when ``compression`` is true.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from typing import Any

from ..http.compression import Decompressor, normalize_encoding
from ..http.errors import (
    BadStatusLine,
    ContentLengthError,
    InvalidHeader,
    LineTooLong,
    TransferEncodingError,
)
from ..http.models import RawRequestMessage, RawResponseMessage
from ..http.parser import HttpRequestParser as _SansIORequestParser
from ..http.parser import HttpResponseParser as _SansIOResponseParser
from ..streams import DataQueue, EofStream
from .errors import HttpMethodNotAllowed
from .parsers import ParserBuffer

__all__ = ("HttpPayloadParser", "HttpPrefixParser", "HttpRequestParser", "HttpResponseParser")

_Gen = Generator[None, bytes, Any]
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_LINE_LIMIT = 8192  # a chunk-size line with extensions; more is an attack
_TRAILERS_LIMIT = 65536


def _emit(out: Any, data: Any) -> None:
    """``out.feed_data`` for a DataQueue (with a size, for flow control) or a reader."""
    if isinstance(out, DataQueue):
        out.feed_data(data, len(data) if isinstance(data, (bytes, str)) else 0)
    else:
        out.feed_data(data)


class HttpPrefixParser:
    """Waits for the method of a request without consuming it (0.x).

    Emits the method (upper-cased ``str``) and ends. A method that is not a token
    raises :class:`~heron.http.BadStatusLine`; one outside ``allowed_methods`` (when
    given) raises :class:`~heron.errors.HttpMethodNotAllowed` (405).
    """

    def __init__(self, allowed_methods: Any = ()) -> None:
        self.allowed_methods = [m.upper() for m in allowed_methods]

    def __call__(self, out: Any, buf: ParserBuffer) -> _Gen:
        raw = yield from buf.waituntil(b" ", 24)
        token = raw[:-1]
        if not _TOKEN.fullmatch(token):
            raise BadStatusLine(token.decode("latin-1"))
        method = token.decode("ascii").upper()
        if self.allowed_methods and method not in self.allowed_methods:
            raise HttpMethodNotAllowed(method)
        _emit(out, method)
        out.feed_eof()


class _HeadGenerator:
    """Makes a sans-IO parser class usable as a 0.x generator parser (see the module)."""

    _settings: dict[str, Any]

    def _fresh(self) -> Any:
        raise NotImplementedError

    def _head_limit(self) -> int:
        s = self._settings
        fields: int = s.get("max_headers", 128) * (s.get("max_field_size", 8190) + 2)
        line: int = s.get("max_line_size", 8190)
        return line + 2 + fields + 2

    def __call__(self, out: Any, buf: ParserBuffer) -> _Gen:
        try:
            head = yield from buf.readuntil(b"\r\n\r\n", self._head_limit())
        except LineTooLong:
            raise LineTooLong("the message head", self._head_limit()) from None
        for event in self._fresh().feed_data(head):
            if isinstance(event, (RawRequestMessage, RawResponseMessage)):
                _emit(out, event)
                break
        out.feed_eof()


class HttpRequestParser(_HeadGenerator, _SansIORequestParser):
    """heron's request parser; also a 0.x generator parser emitting the head."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._settings = settings

    def _fresh(self) -> _SansIORequestParser:
        return _SansIORequestParser(**self._settings)


class HttpResponseParser(_HeadGenerator, _SansIOResponseParser):
    """heron's response parser; also a 0.x generator parser emitting the head."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        self._settings = settings

    def _fresh(self) -> _SansIOResponseParser:
        return _SansIOResponseParser(**self._settings)


class _Decoding:
    """Wraps ``out``: body bytes are decoded before they reach it."""

    def __init__(self, out: Any, encoding: str) -> None:
        self.out = out
        self.decoder = Decompressor(encoding)

    def feed_data(self, data: bytes, size: int = 0) -> None:
        decoded = self.decoder.decompress(data)
        if decoded:
            _emit(self.out, decoded)

    def flush(self) -> None:
        rest = self.decoder.flush()
        if rest:
            _emit(self.out, rest)


class HttpPayloadParser:
    """Generator parser for the body that follows ``message``'s head (0.x).

    The framing comes from ``message`` (``Transfer-Encoding: chunked``, else
    ``Content-Length``, else ``length``); without either the body is empty, unless
    ``readall`` (a response delimited by the end of the connection). With
    ``response_with_body=False`` (a response to HEAD, a 204/304) there is no body.
    ``compression`` decodes gzip/deflate/br/zstd per ``Content-Encoding``. Broken
    framing raises :class:`~heron.http.TransferEncodingError` or
    :class:`~heron.http.ContentLengthError` (also for input that ends too early).
    """

    def __init__(
        self,
        message: RawRequestMessage | RawResponseMessage,
        length: int | None = None,
        compression: bool = True,
        readall: bool = False,
        response_with_body: bool = True,
    ) -> None:
        self.message = message
        self.length = length
        self.compression = compression
        self.readall = readall
        self.response_with_body = response_with_body

    def _content_length(self) -> int | None:
        value = self.message.headers.get("Content-Length")
        if value is None:
            return self.length
        if not value.isascii() or not value.isdigit():
            raise InvalidHeader("Content-Length")
        return int(value)

    def __call__(self, out: Any, buf: ParserBuffer) -> _Gen:
        if not self.response_with_body:
            out.feed_eof()
            return
        sink: Any = out
        encoding = self.message.compression
        if self.compression and encoding and normalize_encoding(encoding) is not None:
            sink = _Decoding(out, encoding)
        te = self.message.headers.get("Transfer-Encoding", "")
        if self.message.chunked or te.lower().endswith("chunked"):
            yield from self.parse_chunked_payload(sink, buf)
        else:
            length = self._content_length()
            if length is not None:
                yield from self.parse_length_payload(sink, buf, length)
            elif self.readall:
                yield from self.parse_eof_payload(sink, buf)
        if isinstance(sink, _Decoding):
            sink.flush()
        out.feed_eof()

    def parse_chunked_payload(self, out: Any, buf: ParserBuffer) -> _Gen:
        """Chunked transfer coding: chunks until the last one, then the trailers."""
        try:
            while True:
                line = yield from buf.readuntil(b"\r\n", _CHUNK_LINE_LIMIT)
                size_text, _, ext = line[:-2].partition(b";")
                size_text = size_text.rstrip(b" \t")
                if not size_text or len(size_text) > 16 or not _is_hex(size_text):
                    raise TransferEncodingError(f"Bad chunk size {size_text!r}")
                if any((c < 0x20 and c != 0x09) or c == 0x7F for c in ext):
                    raise TransferEncodingError("Bad chunk extension")
                size = int(size_text, 16)
                if size == 0:
                    break
                data = yield from buf.read(size)
                _emit(out, data)
                if (yield from buf.read(2)) != b"\r\n":
                    raise TransferEncodingError("Chunk not followed by CRLF")
            # Trailers (ignored, as 0.x did) end with an empty line.
            seen = 0
            while (line := (yield from buf.readuntil(b"\r\n", _TRAILERS_LIMIT))) != b"\r\n":
                seen += len(line)
                if seen > _TRAILERS_LIMIT:
                    raise LineTooLong("trailers", _TRAILERS_LIMIT)
        except EofStream:
            raise TransferEncodingError("Not enough data for the chunked body") from None

    def parse_length_payload(self, out: Any, buf: ParserBuffer, length: int = 0) -> _Gen:
        """Exactly ``length`` bytes, emitted as they arrive."""
        remaining = length
        try:
            while remaining:
                data = yield from buf.readsome(remaining)
                remaining -= len(data)
                _emit(out, data)
        except EofStream:
            raise ContentLengthError(
                f"Not enough data: {remaining} of {length} bytes missing"
            ) from None

    def parse_eof_payload(self, out: Any, buf: ParserBuffer) -> _Gen:
        """Everything up to the end of the input."""
        try:
            while True:
                _emit(out, (yield from buf.readsome()))
        except EofStream:
            pass


def _is_hex(text: bytes) -> bool:
    return all(c in b"0123456789abcdefABCDEF" for c in text)
