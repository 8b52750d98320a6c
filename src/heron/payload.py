"""Payloads: request and response bodies that know their headers and how to write themselves.

:func:`get_payload` turns what a user passes as ``data=`` or ``body=`` (bytes, str,
files, async iterables, a :class:`~heron.streams.StreamReader`, ...) into a
:class:`Payload`, which knows its ``Content-Type``, its size when it can be known (None
means "send chunked") and writes itself through an
:class:`~heron.writer.AbstractStreamWriter`, awaiting every write so back-pressure
reaches the source. New types are added with :func:`register_payload` or the
:class:`payload_type` decorator.
"""

from __future__ import annotations

import asyncio
import builtins
import enum
import io
import json
import mimetypes
import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from itertools import chain
from typing import IO, Any, Final, TypeVar

from multidict import CIMultiDict

from . import hdrs
from .contentdisposition import content_disposition_header
from .helpers import SentinelType, guess_filename, parse_mimetype, sentinel
from .streams import StreamReader
from .typedefs import JSONEncoder, LooseHeaders
from .writer import AbstractStreamWriter

__all__ = (
    "PAYLOAD_REGISTRY",
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "LookupError",
    "Order",
    "Payload",
    "PayloadRegistry",
    "StreamReaderPayload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "payload_type",
    "register_payload",
)

#: Bytes read from a file per executor call: large enough to amortise the thread hop,
#: small enough to keep memory flat and let back-pressure act.
READ_SIZE: Final = 2**16

_T = TypeVar("_T")


class LookupError(builtins.LookupError):
    """No payload factory is registered for the given object.

    aiohttp's name; it subclasses the built-in ``LookupError`` so either one catches it.
    """


class Order(enum.StrEnum):
    """Where a factory goes in the lookup order."""

    normal = "normal"
    try_first = "try_first"
    try_last = "try_last"


PayloadFactory = Callable[..., "Payload"]


class PayloadRegistry:
    """Maps Python types to payload factories; the first matching isinstance wins."""

    def __init__(self) -> None:
        self._first: list[tuple[PayloadFactory, type | tuple[type, ...]]] = []
        self._normal: list[tuple[PayloadFactory, type | tuple[type, ...]]] = []
        self._last: list[tuple[PayloadFactory, type | tuple[type, ...]]] = []

    def get(self, data: Any, *args: Any, **kwargs: Any) -> Payload:
        """Wrap ``data`` in the first matching payload; a Payload is returned as is."""
        if isinstance(data, Payload):
            return data
        for factory, type_ in chain(self._first, self._normal, self._last):
            if isinstance(data, type_):
                return factory(data, *args, **kwargs)
        raise LookupError(f"Unsupported payload type: {type(data).__name__}")

    def register(
        self,
        factory: PayloadFactory,
        type: type | tuple[type, ...],  # aiohttp's keyword name
        *,
        order: Order = Order.normal,
    ) -> None:
        """Register ``factory`` for instances of ``type``."""
        if order is Order.try_first:
            self._first.append((factory, type))
        elif order is Order.normal:
            self._normal.append((factory, type))
        elif order is Order.try_last:
            self._last.append((factory, type))
        else:
            raise ValueError(f"Unsupported order {order!r}")


PAYLOAD_REGISTRY: Final = PayloadRegistry()


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """Wrap ``data`` in a :class:`Payload`; raise :class:`LookupError` if unsupported."""
    return PAYLOAD_REGISTRY.get(data, *args, **kwargs)


def register_payload(
    factory: PayloadFactory,
    type: type | tuple[type, ...],
    *,
    order: Order = Order.normal,
) -> None:
    """Register a payload factory for ``type`` in the global registry."""
    PAYLOAD_REGISTRY.register(factory, type, order=order)


class payload_type:  # lower-case: aiohttp's public name
    """Class decorator: ``@payload_type(MyType)`` registers the decorated payload."""

    def __init__(
        self,
        type: type | tuple[type, ...],
        *,
        order: Order = Order.normal,
    ) -> None:
        self.type = type
        self.order = order

    def __call__(self, factory: type[_T]) -> type[_T]:
        register_payload(factory, self.type, order=self.order)  # type: ignore[arg-type]
        return factory


class Payload(ABC):
    """A body: headers (``Content-Type`` included), size and a way to write itself."""

    _default_content_type: str = "application/octet-stream"
    _size: int | None = None

    def __init__(
        self,
        value: Any,
        headers: LooseHeaders | None = None,
        content_type: str | SentinelType | None = sentinel,
        filename: str | None = None,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._encoding = encoding
        self._filename = filename
        self._value = value
        self._headers: CIMultiDict[str] = CIMultiDict()
        if headers:
            self._headers.extend(headers)
        if content_type is not sentinel and content_type is not None:
            # An explicit argument wins over a Content-Type in ``headers``.
            self._headers[hdrs.CONTENT_TYPE] = content_type
        elif hdrs.CONTENT_TYPE not in self._headers:
            guessed = None
            if filename is not None:
                guessed = mimetypes.guess_type(filename)[0]
            self._headers[hdrs.CONTENT_TYPE] = guessed or self._default_content_type

    @property
    def size(self) -> int | None:
        """Body size in bytes, or None when unknown (sent chunked)."""
        return self._size

    @property
    def filename(self) -> str | None:
        """File name of the payload, if any."""
        return self._filename

    @property
    def headers(self) -> CIMultiDict[str]:
        """Headers of the payload (always holds ``Content-Type``)."""
        return self._headers

    @property
    def encoding(self) -> str | None:
        """Text encoding of the payload, if it is text."""
        return self._encoding

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value."""
        return self._headers[hdrs.CONTENT_TYPE]

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        """Set the ``Content-Disposition`` header (``attachment``, ``form-data``...)."""
        self._headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
            disptype, quote_fields=quote_fields, _charset=_charset, params=params
        )

    @abstractmethod
    async def write(self, writer: AbstractStreamWriter) -> None:
        """Write the body through ``writer``."""

    @abstractmethod
    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Return the body as text (for logging, tests and ``repr``)."""


class BytesPayload(Payload):
    """``bytes``, ``bytearray`` or ``memoryview`` body."""

    _value: bytes | bytearray | memoryview

    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"value argument must be byte-ish, not {type(value)!r}")
        super().__init__(value, *args, **kwargs)
        self._size = value.nbytes if isinstance(value, memoryview) else len(value)

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Write the bytes in one call (the writer drains if the peer is slow)."""
        await writer.write(self._value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Decode the bytes."""
        return bytes(self._value).decode(encoding, errors)


class StringPayload(BytesPayload):
    """``str`` body, encoded with the charset of ``content_type`` (default UTF-8)."""

    def __init__(
        self,
        value: str,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            if content_type is None:
                real_encoding = "utf-8"
                content_type = "text/plain; charset=utf-8"
            else:
                mimetype = parse_mimetype(content_type)
                real_encoding = mimetype.parameters.get("charset", "utf-8")
        else:
            real_encoding = encoding
            if content_type is None:
                content_type = f"text/plain; charset={encoding}"
        super().__init__(
            value.encode(real_encoding),
            *args,
            encoding=real_encoding,
            content_type=content_type,
            **kwargs,
        )

    def decode(self, encoding: str | None = None, errors: str = "strict") -> str:
        """Decode with the payload's own charset unless told otherwise."""
        return bytes(self._value).decode(encoding or self._encoding or "utf-8", errors)


class StringIOPayload(StringPayload):
    """:class:`io.StringIO` body (read at once: it already is in memory)."""

    def __init__(self, value: io.StringIO, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.read(), *args, **kwargs)


class IOBasePayload(Payload):
    """A binary file object, read in chunks in a worker thread and closed when written.

    The file name (``value.name``) becomes the payload's filename and, with
    ``disposition`` (default ``attachment``), a ``Content-Disposition`` header.
    """

    _value: IO[Any]

    def __init__(
        self, value: IO[Any], disposition: str | None = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        if "filename" not in kwargs:
            kwargs["filename"] = guess_filename(value)
        super().__init__(value, *args, **kwargs)
        if (
            self._filename is not None
            and disposition is not None
            and hdrs.CONTENT_DISPOSITION not in self._headers
        ):
            self.set_content_disposition(disposition, filename=self._filename)
        self._size = self._remaining_size()

    def _remaining_size(self) -> int | None:
        try:
            return os.fstat(self._value.fileno()).st_size - self._value.tell()
        except (AttributeError, OSError, ValueError):
            return None

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Read chunks in a thread (files block) and write each before reading on."""
        loop = asyncio.get_running_loop()
        try:
            while True:
                chunk = await loop.run_in_executor(None, self._value.read, READ_SIZE)
                if not chunk:
                    break
                await writer.write(self._encode(chunk))
        finally:
            await loop.run_in_executor(None, self._value.close)

    def _encode(self, chunk: Any) -> bytes:
        return bytes(chunk)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Read the rest of the file and decode it (the position is restored if possible)."""
        data = self._read_rest()
        return bytes(data).decode(encoding, errors)

    def _read_rest(self) -> Any:
        try:
            position = self._value.tell()
        except (OSError, ValueError):
            return self._value.read()
        data = self._value.read()
        try:
            self._value.seek(position)
        except (OSError, ValueError):
            pass
        return data


class TextIOPayload(IOBasePayload):
    """A text file object, encoded with the payload's charset (default UTF-8).

    Its size is unknown (sent chunked): the encoded size and newline translation
    cannot be known without reading the whole file.
    """

    _value: IO[str]

    def __init__(
        self,
        value: IO[str],
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            if content_type is None:
                encoding = "utf-8"
                content_type = "text/plain; charset=utf-8"
            else:
                encoding = parse_mimetype(content_type).parameters.get("charset", "utf-8")
        elif content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(value, *args, content_type=content_type, encoding=encoding, **kwargs)

    def _remaining_size(self) -> int | None:
        return None

    def _encode(self, chunk: Any) -> bytes:
        return str(chunk).encode(self._encoding or "utf-8")

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Read the rest of the file (it already is text)."""
        return str(self._read_rest())


class BytesIOPayload(IOBasePayload):
    """:class:`io.BytesIO` body; its size is what is left after the current position."""

    _value: io.BytesIO

    def _remaining_size(self) -> int | None:
        return self._value.getbuffer().nbytes - self._value.tell()


class BufferedReaderPayload(IOBasePayload):
    """A file opened in binary mode (``open(path, 'rb')``)."""


class JsonPayload(BytesPayload):
    """A value serialised with ``dumps`` (default :func:`json.dumps`)."""

    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: JSONEncoder = json.dumps,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            dumps(value).encode(encoding),
            *args,
            content_type=content_type,
            encoding=encoding,
            **kwargs,
        )


class AsyncIterablePayload(Payload):
    """An async iterable of bytes; sent chunked (its size is unknown). Iterated once."""

    _iter: AsyncIterator[bytes] | None

    def __init__(self, value: AsyncIterable[bytes], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(f"value argument must support async iteration, not {type(value)!r}")
        super().__init__(value, *args, **kwargs)
        self._iter = value.__aiter__()

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Write each item as it comes; a second write sends nothing."""
        if self._iter is None:
            return
        try:
            async for chunk in self._iter:
                await writer.write(chunk)
        finally:
            self._iter = None

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """Not possible without consuming the iterable."""
        raise TypeError("Unable to decode an async iterable payload")


class StreamReaderPayload(AsyncIterablePayload):
    """A :class:`~heron.streams.StreamReader` body, forwarded as data arrives."""

    def __init__(self, value: StreamReader, *args: Any, **kwargs: Any) -> None:
        super().__init__(value.iter_any(), *args, **kwargs)


def _register_defaults(registry: PayloadRegistry) -> None:
    # Order matters within "normal": specific file types before the IOBase catch-all.
    defaults: Iterable[tuple[PayloadFactory, type | tuple[type, ...]]] = (
        (BytesPayload, (bytes, bytearray, memoryview)),
        (StringPayload, str),
        (StringIOPayload, io.StringIO),
        (TextIOPayload, io.TextIOBase),
        (BytesIOPayload, io.BytesIO),
        (BufferedReaderPayload, (io.BufferedReader, io.BufferedRandom)),
        (IOBasePayload, io.IOBase),
        (StreamReaderPayload, StreamReader),
    )
    for factory, type_ in defaults:
        registry.register(factory, type_)
    # Anything else async-iterable, but only after every more specific type.
    registry.register(AsyncIterablePayload, AsyncIterable, order=Order.try_last)


_register_defaults(PAYLOAD_REGISTRY)
