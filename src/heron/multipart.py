"""Multipart bodies (RFC 2046, RFC 7578): streaming reader and payload writer.

Reading: :class:`MultipartReader` walks the parts of a body stream one at a time and
hands out :class:`BodyPartReader` objects (or nested readers for ``multipart/*``
parts). Nothing is read before it is asked for, and skipping a part reads it to the
void, so a body of any size is processed in bounded memory. Limits on the number of
parts, the size of each part's header section and the nesting depth guard against
hostile input; malformed bodies raise :class:`MultipartError` (a ``BadHttpMessage``,
so a server answers 400 or 413).

Writing: :class:`MultipartWriter` is a :class:`~heron.payload.Payload` made of other
payloads; see :mod:`heron.multipart_writer`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy

from . import hdrs
from ._multipart_codecs import PartDecoder
from ._multipart_source import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_HEADERS_SIZE,
    DEFAULT_MAX_PARTS,
    ByteStream,
    MultipartError,
    PartSource,
)
from .contentdisposition import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    content_disposition_filename,
    content_disposition_header,
    parse_content_disposition,
)
from .multipart_writer import MultipartWriter, parse_content_type, validate_boundary

if TYPE_CHECKING:
    from typing import Self

__all__ = (
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "MultipartError",
    "MultipartReader",
    "MultipartResponseWrapper",
    "MultipartWriter",
    "content_disposition_filename",
    "content_disposition_header",
    "parse_content_disposition",
)

# A line handed out by readline() may be at most this long (bounded memory).
_MAX_LINE = 2**16
# Chunk size for internal whole-part reads: large enough to keep per-call costs low.
_BULK_CHUNK = 2**16


_ItemT = TypeVar("_ItemT")


class _NextIterator(Generic[_ItemT]):
    """``async for`` over ``await self.next()``, until it returns None."""

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> _ItemT:
        item = await self.next()
        if item is None:
            raise StopAsyncIteration
        return item

    async def next(self) -> _ItemT | None:
        raise NotImplementedError


class BodyPartReader(_NextIterator[bytes]):
    """Reader of one body part: its headers and a stream of its content.

    Content is read on demand with :meth:`read`, :meth:`read_chunk` or
    :meth:`readline` (raw bytes), or :meth:`text`, :meth:`json` and :meth:`form`
    (decoded: Content-Transfer-Encoding and Content-Encoding are undone). Data is
    never read twice: once a part is at EOF every read returns empty.
    """

    chunk_size = 8192

    def __init__(
        self,
        boundary: bytes,
        headers: CIMultiDictProxy[str] | CIMultiDict[str],
        content: ByteStream | PartSource,
        *,
        subtype: str = "mixed",
        default_charset: str | None = None,
    ) -> None:
        self.headers: CIMultiDictProxy[str] = (
            headers if isinstance(headers, CIMultiDictProxy) else CIMultiDictProxy(headers)
        )
        self._boundary = boundary
        self._delimiter = b"\r\n--" + boundary
        self._source = content if isinstance(content, PartSource) else PartSource(content)
        self._at_eof = False
        self._started = False
        self._is_form_data = subtype == "form-data"
        self._default_charset = default_charset
        self._disposition: tuple[str | None, dict[str, str]] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} filename={self.filename!r}>"

    async def next(self) -> bytes | None:
        """Return the rest of the part's raw content, or None once at EOF."""
        data = await self.read()
        return bytes(data) if data else None

    def at_eof(self) -> bool:
        """True once the part's closing boundary has been reached."""
        return self._at_eof

    async def _empty_body_check(self) -> None:
        # Some senders omit the CRLF of an empty body ("...\r\n\r\n--boundary"); a real
        # body cannot begin with the dash-boundary (RFC 2046), so accept that form.
        self._started = True
        if await self._source.startswith(self._delimiter[2:]):
            await self._source.read_until(self._delimiter[2:], 0)
            self._at_eof = True

    async def read_chunk(self, size: int = chunk_size) -> bytes:
        """Return the next raw chunk of at most ``size`` bytes; ``b""`` at EOF.

        The chunk never includes the CRLF that precedes the next boundary.
        """
        if size <= 0:
            raise ValueError("size must be positive")
        return await self._read_until_delimiter(self._source.read_until, size)

    async def readline(self) -> bytes:
        """Return the next line of raw content (with its line ending); ``b""`` at EOF.

        The last line of a part has no line ending: that CRLF belongs to the boundary.
        """
        return await self._read_until_delimiter(self._source.read_line_until, _MAX_LINE)

    async def _read_until_delimiter(
        self, read: Callable[[bytes, int], Awaitable[tuple[bytes, bool]]], limit: int
    ) -> bytes:
        # ``read`` is one of the source's readers; it says whether the delimiter was hit.
        if not self._started:
            await self._empty_body_check()
        if self._at_eof:
            return b""
        data, reached = await read(self._delimiter, limit)
        self._at_eof = reached
        return data

    async def read(self, *, decode: bool = False) -> bytearray:
        """Read the whole remaining part; ``decode=True`` undoes its encodings."""
        data = bytearray()
        while not self._at_eof:
            data += await self.read_chunk(_BULK_CHUNK)
        if decode:
            return bytearray(self.decode(data))
        return data

    async def release(self) -> None:
        """Read the rest of the part to the void."""
        while not self._at_eof:
            await self.read_chunk(_BULK_CHUNK)

    async def text(self, *, encoding: str | None = None) -> str:
        """The decoded part as text; ``encoding`` overrides the part's charset."""
        data = await self.read(decode=True)
        return data.decode(encoding or self._charset())

    async def json(self, *, encoding: str | None = None) -> Any:
        """The decoded part parsed as JSON, or None for an empty part."""
        data = await self.read(decode=True)
        if not data:
            return None
        return json.loads(data.decode(encoding or self._charset()))

    async def form(self, *, encoding: str | None = None) -> list[tuple[str, str]]:
        """The decoded part parsed as an ``application/x-www-form-urlencoded`` form."""
        data = await self.read(decode=True)
        if not data:
            return []
        real_encoding = encoding or self._charset()
        return parse_qsl(
            data.rstrip().decode(real_encoding),
            keep_blank_values=True,
            encoding=real_encoding,
        )

    def decoder(self, max_size: int | None = None) -> PartDecoder:
        """An incremental decoder for this part's encodings (for chunked reading)."""
        return PartDecoder(
            self.headers.get(hdrs.CONTENT_ENCODING),
            self.headers.get(hdrs.CONTENT_TRANSFER_ENCODING),
            max_size,
        )

    def decode(self, data: bytes | bytearray) -> bytes:
        """Undo Content-Transfer-Encoding (base64, quoted-printable, binary, 7bit,
        8bit) and then Content-Encoding (gzip, deflate, identity; br, zstd when
        installed) on ``data``. Raises RuntimeError for an unknown encoding."""
        decoder = self.decoder()
        if decoder.is_identity:
            return bytes(data)
        return decoder.feed(bytes(data)) + decoder.flush()

    def get_charset(self, default: str | None = None) -> str | None:
        """The ``charset`` parameter of the part's Content-Type, else ``default``."""
        _, params = parse_content_type(self.headers.get(hdrs.CONTENT_TYPE, ""))
        return params.get("charset", self._default_charset or default)

    def _charset(self) -> str:
        return self.get_charset() or "utf-8"

    def _content_disposition(self) -> tuple[str | None, dict[str, str]]:
        if self._disposition is None:
            self._disposition = parse_content_disposition(
                self.headers.get(hdrs.CONTENT_DISPOSITION)
            )
        return self._disposition

    @property
    def name(self) -> str | None:
        """The ``name`` parameter of Content-Disposition (a form field's name)."""
        return content_disposition_filename(self._content_disposition()[1], "name")

    @property
    def filename(self) -> str | None:
        """The filename from Content-Disposition; None if missing or malformed."""
        return content_disposition_filename(self._content_disposition()[1], "filename")


class _Releasable(Protocol):
    async def release(self) -> None: ...


class MultipartResponseWrapper(_NextIterator["MultipartReader | BodyPartReader"]):
    """A :class:`MultipartReader` over a client response; releases it at the end."""

    def __init__(self, resp: _Releasable, stream: MultipartReader) -> None:
        self.resp = resp
        self.stream = stream

    def at_eof(self) -> bool:
        """True once the final boundary has been read."""
        return self.stream.at_eof()

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part; releases the response after the last one."""
        item = await self.stream.next()
        if self.stream.at_eof():
            await self.release()
        return item

    async def release(self) -> None:
        """Release the underlying response (its connection goes back to the pool)."""
        await self.resp.release()


class _Response(_Releasable, Protocol):
    @property
    def headers(self) -> CIMultiDictProxy[str]: ...

    @property
    def content(self) -> ByteStream: ...


class MultipartReader(_NextIterator["MultipartReader | BodyPartReader"]):
    """Streaming reader of a ``multipart/*`` body.

    ``MultipartReader(headers, content)`` takes the message headers (their
    Content-Type carries the boundary) and the body stream. Iterate with
    ``await reader.next()`` or ``async for part in reader``. ``max_parts``,
    ``max_headers_size`` (per part) and ``max_depth`` (nesting) bound hostile input.
    """

    #: Response wrapper used by :meth:`from_response`.
    response_wrapper_cls = MultipartResponseWrapper
    #: Reader class for nested ``multipart/*`` parts; None means ``type(self)``.
    multipart_reader_cls: type[MultipartReader] | None = None
    #: Reader class for other parts.
    part_reader_cls = BodyPartReader

    def __init__(
        self,
        headers: Mapping[str, str],
        content: ByteStream | PartSource,
        *,
        max_parts: int = DEFAULT_MAX_PARTS,
        max_headers_size: int = DEFAULT_MAX_HEADERS_SIZE,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.headers = headers
        ci_headers = (
            headers if isinstance(headers, CIMultiDictProxy | CIMultiDict) else CIMultiDict(headers)
        )
        mimetype, params = parse_content_type(ci_headers.get(hdrs.CONTENT_TYPE, ""))
        if not mimetype.startswith("multipart/"):
            raise MultipartError(f"Not a multipart body: {mimetype or 'no Content-Type'}")
        boundary = params.get("boundary")
        if boundary is None:
            raise MultipartError("Multipart Content-Type has no boundary")
        try:
            validate_boundary(boundary, strict=False)
        except ValueError as exc:
            raise MultipartError(str(exc)) from None
        self._mimetype = mimetype
        self._boundary = boundary.encode("ascii")
        self._delimiter = b"\r\n--" + self._boundary
        if isinstance(content, PartSource):
            self._content = content
        else:
            self._content = PartSource(
                content,
                max_parts=max_parts,
                max_headers_size=max_headers_size,
                max_depth=max_depth,
            )
        self._depth = 0
        self._at_eof = False
        self._at_bof = True
        self._last_part: MultipartReader | BodyPartReader | None = None
        # RFC 7578 section 4.6: a "_charset_" field names the charset of the others.
        self._default_charset: str | None = None

    def __repr__(self) -> str:
        boundary = getattr(self, "_boundary", None)
        return f"<{type(self).__name__} boundary={boundary!r}>"

    @classmethod
    def from_response(cls, response: _Response) -> MultipartResponseWrapper:
        """Read the multipart body of a client response."""
        return cls.response_wrapper_cls(response, cls(response.headers, response.content))

    def at_eof(self) -> bool:
        """True once the final (close) boundary has been read."""
        return self._at_eof

    async def next(self) -> MultipartReader | BodyPartReader | None:
        """The next part, or None after the final boundary.

        The unread rest of the previous part is read to the void first.
        """
        if self._at_eof:
            return None
        await self._finish_last_part()
        if self._at_bof:
            await self._content.skip_to(self._delimiter, at_start=True)
            self._at_bof = False
        if await self._content.read_delimiter_tail():
            self._at_eof = True
            return None
        part = await self.fetch_next_part()
        self._last_part = part
        return part

    async def release(self) -> None:
        """Read all remaining parts to the void, up to the final boundary."""
        while await self.next() is not None:
            pass

    async def fetch_next_part(self) -> MultipartReader | BodyPartReader:
        """Read the next part's headers and return a reader for it."""
        self._content.count_part()
        headers = CIMultiDictProxy(CIMultiDict(await self._content.read_headers()))
        return self._get_part_reader(headers)

    def _get_part_reader(self, headers: CIMultiDictProxy[str]) -> MultipartReader | BodyPartReader:
        mimetype, _ = parse_content_type(headers.get(hdrs.CONTENT_TYPE, ""))
        if mimetype.startswith("multipart/"):
            if self._depth + 1 > self._content.max_depth:
                raise MultipartError("Multipart body nested too deeply")
            cls = self.multipart_reader_cls or type(self)
            nested = cls(headers, self._content)
            nested._depth = self._depth + 1
            return nested
        return self.part_reader_cls(
            self._boundary,
            headers,
            self._content,
            subtype=self._mimetype.partition("/")[2],
            default_charset=self._default_charset,
        )

    async def _finish_last_part(self) -> None:
        part = self._last_part
        if part is None:
            return
        self._last_part = None
        await part.release()
        if isinstance(part, MultipartReader):
            # The nested body ends at its close delimiter; what follows up to our own
            # delimiter is its epilogue.
            await self._content.skip_to(self._delimiter, at_start=False)
