"""Reading ``multipart/form-data`` request bodies for :meth:`Request.post`.

Plain fields become ``str`` (decoded with the part's charset, the form's ``_charset_``
field, or UTF-8), parts without a filename and with a non-text content type stay
``bytes``, and uploads become :class:`FileField` objects whose ``file`` is a
:class:`tempfile.SpooledTemporaryFile`: small uploads stay in memory, large ones go to
disk as they arrive. ``client_max_size`` is enforced on the raw body while it streams
in (a 413 before the limit is passed in memory or on disk), and any malformed body
answers 400.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any, NamedTuple, Protocol

from multidict import CIMultiDictProxy, MultiDict, MultiDictProxy

from .. import hdrs
from .._multipart_codecs import PartDecoder
from .._multipart_source import DEFAULT_MAX_PARTS, ByteStream
from ..http.errors import HttpProcessingError
from ..multipart import BodyPartReader, MultipartReader
from .exceptions import HTTPBadRequest, HTTPRequestEntityTooLarge

__all__ = ("FileField", "read_multipart_form")

#: Uploads larger than this are written to a temporary file on disk.
DEFAULT_SPOOL_SIZE = 1024 * 1024
#: Applied when the request does not say (aiohttp's default ``client_max_size``).
DEFAULT_MAX_SIZE = 1024 * 1024
_CHUNK = 2**16
_FORBIDDEN = frozenset("\r\n\x00")


class FileField(NamedTuple):
    """An uploaded file in the result of :meth:`Request.post`."""

    name: str
    """The form field's name."""
    filename: str
    """The filename the client sent (untrusted: never use it as a path as is)."""
    file: IO[bytes]
    """The content, positioned at its start."""
    content_type: str
    """The part's Content-Type (``text/plain`` when the client sent none)."""
    headers: CIMultiDictProxy[str]
    """All headers of the part."""


class _FormRequest(Protocol):
    @property
    def headers(self) -> CIMultiDictProxy[str]: ...

    @property
    def content(self) -> ByteStream: ...


class _LimitedStream:
    """Counts the raw body as it streams in and stops it at ``max_size`` bytes."""

    def __init__(self, stream: ByteStream, max_size: int) -> None:
        self._stream = stream
        self._max_size = max_size
        self.size = 0

    async def readany(self) -> bytes:
        data = await self._stream.readany()
        self.size += len(data)
        if 0 < self._max_size < self.size:
            raise HTTPRequestEntityTooLarge(max_size=self._max_size, actual_size=self.size)
        return data


def _client_max_size(request: _FormRequest) -> int:
    value = getattr(request, "client_max_size", None)
    if value is None:
        value = getattr(request, "_client_max_size", DEFAULT_MAX_SIZE)
    return int(value or 0)


def _check_declared_length(request: _FormRequest, max_size: int) -> None:
    declared = request.headers.get(hdrs.CONTENT_LENGTH)
    if declared is not None and declared.isdigit() and 0 < max_size < int(declared):
        raise HTTPRequestEntityTooLarge(max_size=max_size, actual_size=int(declared))


class _FormBuilder:
    """Turns the parts of one form into the values of :meth:`Request.post`."""

    def __init__(self, max_size: int, spool_size: int) -> None:
        self.out: MultiDict[str | bytes | FileField] = MultiDict()
        self.files: list[IO[bytes]] = []
        self.charset: str | None = None
        self._max_size = max_size
        self._spool_size = spool_size
        self._decoded = 0

    def _decoder(self, part: BodyPartReader) -> PartDecoder:
        # Decoded bytes share one budget across all parts, so many small compressed
        # parts cannot add up to more than the limit either.
        remaining = self._max_size - self._decoded if self._max_size > 0 else None
        return part.decoder(remaining)

    def _account(self, data: bytes) -> bytes:
        self._decoded += len(data)
        if 0 < self._max_size < self._decoded:
            raise HTTPRequestEntityTooLarge(max_size=self._max_size, actual_size=self._decoded)
        return data

    async def add_part(self, part: BodyPartReader) -> None:
        name = part.name
        if name is None:
            raise HTTPBadRequest(text="Form part without a name in Content-Disposition")
        filename = part.filename
        for value in (name, filename or ""):
            if _FORBIDDEN.intersection(value):
                raise HTTPBadRequest(text="CR, LF or NUL in a form field name or filename")
        if filename:
            self.out.add(name, await self._spool(part, name, filename))
            return
        raw = await self._read(part)
        ctype = part.headers.get(hdrs.CONTENT_TYPE)
        if ctype is not None and not ctype.lower().startswith("text/"):
            self.out.add(name, raw)
            return
        charset = part.get_charset() or self.charset or "utf-8"
        try:
            text = raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise HTTPBadRequest(text=f"Form field {name!r} is not valid {charset}") from None
        if name == "_charset_":
            # RFC 7578 section 4.6: the charset of the fields that have none.
            self.charset = text.strip() or None
        self.out.add(name, text)

    async def _read(self, part: BodyPartReader) -> bytes:
        decoder = self._decoder(part)
        data = bytearray()
        while not part.at_eof():
            data += self._account(decoder.feed(await part.read_chunk(_CHUNK)))
        data += self._account(decoder.flush())
        return bytes(data)

    async def _spool(self, part: BodyPartReader, name: str, filename: str) -> FileField:
        decoder = self._decoder(part)
        tmp: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - returned to the caller
            max_size=self._spool_size, mode="w+b"
        )
        self.files.append(tmp)
        while not part.at_eof():
            chunk = self._account(decoder.feed(await part.read_chunk(_CHUNK)))
            if chunk:
                tmp.write(chunk)
        tmp.write(self._account(decoder.flush()))
        tmp.seek(0)
        ctype = part.headers.get(hdrs.CONTENT_TYPE, "text/plain")
        return FileField(name, filename, tmp, ctype, part.headers)

    def close_files(self) -> None:
        for f in self.files:
            f.close()


def _as_http_error(exc: Exception) -> HTTPBadRequest | HTTPRequestEntityTooLarge:
    if isinstance(exc, HttpProcessingError) and exc.code == 413:
        return HTTPRequestEntityTooLarge(text=exc.message)
    message = exc.message if isinstance(exc, HttpProcessingError) else str(exc)
    return HTTPBadRequest(text=f"Malformed multipart/form-data body: {message}")


async def read_multipart_form(
    request: _FormRequest,
    *,
    max_size: int | None = None,
    spool_size: int = DEFAULT_SPOOL_SIZE,
    max_parts: int = DEFAULT_MAX_PARTS,
) -> MultiDictProxy[Any]:
    """Read a ``multipart/form-data`` request body into a ``MultiDictProxy``.

    Values are ``str``, ``bytes`` or :class:`FileField`. ``max_size`` defaults to the
    request's ``client_max_size`` (0 disables the limit); uploads above
    ``spool_size`` bytes are spooled to disk; more than ``max_parts`` parts is a 413.
    Raises :class:`HTTPBadRequest` for a malformed body and
    :class:`HTTPRequestEntityTooLarge` when a limit is passed.
    """
    limit = _client_max_size(request) if max_size is None else max_size
    _check_declared_length(request, limit)
    builder = _FormBuilder(limit, spool_size)
    try:
        reader = MultipartReader(
            request.headers, _LimitedStream(request.content, limit), max_parts=max_parts
        )
        async for part in reader:
            if isinstance(part, MultipartReader):
                raise HTTPBadRequest(text="Nested multipart parts are not supported in forms")
            await builder.add_part(part)
    except (HTTPBadRequest, HTTPRequestEntityTooLarge):
        builder.close_files()
        raise
    except (HttpProcessingError, ValueError, RuntimeError) as exc:
        builder.close_files()
        raise _as_http_error(exc) from exc
    return MultiDictProxy(builder.out)
