"""Writing an HTTP message body to a transport: framing, compression, back-pressure.

:class:`StreamWriter` sits between a response (or request) object and the connection's
:class:`~heron.flow.BaseProtocol`. It applies, in order: content coding
(:meth:`~StreamWriter.enable_compression`), chunked framing
(:meth:`~StreamWriter.enable_chunking`), and ``Content-Length`` truncation
(:attr:`~StreamWriter.length`). The serialised head given to
:meth:`~StreamWriter.write_headers` is held back and sent together with the first body
bytes, so a small message leaves in one ``transport.write`` call.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from .flow import BaseProtocol

if TYPE_CHECKING:
    from .http.compression import Compressor

__all__ = ("AbstractStreamWriter", "StreamWriter")

_FORBIDDEN_IN_TRAILER = ("\r", "\n", "\x00")

ChunkCallback = Callable[[bytes], Awaitable[None]]


class AbstractStreamWriter(ABC):
    """The interface payloads and responses write through."""

    buffer_size: int = 0
    """Bytes written to the transport since the last drain."""
    output_size: int = 0
    """Total bytes written to the transport, head and framing included."""
    length: int | None = 0
    """Body bytes still allowed by ``Content-Length`` (None: unlimited)."""

    @abstractmethod
    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Write a piece of the body."""

    @abstractmethod
    async def write_eof(self, chunk: bytes = b"") -> None:
        """Write the last piece of the body and finish the message."""

    @abstractmethod
    async def drain(self) -> None:
        """Wait until the transport accepts more data."""

    @abstractmethod
    def enable_compression(self, encoding: str = "deflate") -> None:
        """Compress the body with ``encoding`` from now on."""

    @abstractmethod
    def enable_chunking(self) -> None:
        """Frame the body with chunked transfer coding."""

    @abstractmethod
    async def write_headers(self, head: bytes) -> None:
        """Queue the serialised start line and headers."""


class StreamWriter(AbstractStreamWriter):
    """Writes one HTTP message through ``protocol``'s transport.

    Writing to a closed or closing transport raises :class:`ConnectionResetError`
    (never hangs); :meth:`drain` waits while the transport is paused and raises the
    same error if the connection is lost meanwhile.
    """

    # Defaults on the class: one writer is made per message, most keep them all.
    length: int | None = None
    chunked = False
    _head = b""
    _compress: Compressor | None = None
    _eof = False
    _on_chunk_sent: ChunkCallback | None = None
    _on_headers_sent: ChunkCallback | None = None

    def __init__(
        self,
        protocol: BaseProtocol,
        loop: asyncio.AbstractEventLoop | None = None,
        on_chunk_sent: ChunkCallback | None = None,
        on_headers_sent: ChunkCallback | None = None,
    ) -> None:
        self._protocol = protocol
        self.loop = loop
        if on_chunk_sent is not None:
            self._on_chunk_sent = on_chunk_sent
        if on_headers_sent is not None:
            self._on_headers_sent = on_headers_sent

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport, None once it is lost."""
        return self._protocol.transport

    @property
    def protocol(self) -> BaseProtocol:
        """The connection's protocol."""
        return self._protocol

    def enable_chunking(self) -> None:
        """Frame every following write as an HTTP/1.1 chunk."""
        self.chunked = True

    def enable_compression(self, encoding: str = "deflate") -> None:
        """Compress the body with ``encoding`` (``gzip``, ``deflate``, ``br``...)."""
        from .http.compression import Compressor

        self._compress = Compressor(encoding)

    async def write_headers(self, head: bytes) -> None:
        """Hold the serialised head until the first body bytes (or a flush) go out."""
        if self._on_headers_sent is not None:
            await self._on_headers_sent(head)
        self._head += head

    def hold_headers(self, head: bytes) -> bool:
        """:meth:`write_headers` without a coroutine, when no callback must see the
        head; False (and nothing done) otherwise."""
        if self._on_headers_sent is not None:
            return False
        self._head += head
        return True

    def finish(self, chunk: bytes = b"") -> bool:
        """:meth:`write_eof` without a coroutine, for a plain message (no coding, no
        chunks, no callbacks): held head and ``chunk`` in one ``transport.write``.

        Returns False (and does nothing) when the message needs :meth:`write_eof`.
        The caller drains if the transport is paused.
        """
        if self._compress is not None or self.chunked or self._on_chunk_sent is not None:
            return False
        self._eof = True
        self._write(self._limit_length(chunk))
        self.buffer_size = 0
        return True

    def send_whole(self, head: bytes, body: bytes) -> bool:
        """Send a complete plain message, head and body in one ``transport.write``.

        For a writer without coding, chunking or callbacks whose ``length`` is exactly
        ``len(body)``; returns False (and does nothing) otherwise. One call instead of
        :meth:`hold_headers` and :meth:`finish`; the caller drains if the transport
        is paused.
        """
        if (
            self.length != len(body)
            or self._compress is not None
            or self.chunked
            or self._eof
            or self._on_chunk_sent is not None
            or self._on_headers_sent is not None
        ):
            return False
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        data = head + body
        if self._head:
            data = self._head + data
            self._head = b""
        self._eof = True
        self.length = 0
        self.buffer_size = 0  # as after finish(): nothing waits for a drain
        self.output_size += len(data)
        transport.write(data)
        return True

    def send_headers(self) -> None:
        """Send a held head now, for messages whose body comes later or never."""
        if self._head:
            self._write(b"")

    async def write(self, chunk: bytes | bytearray | memoryview, *, drain: bool = True) -> None:
        """Write a piece of the body, then drain if the transport is paused.

        Empty chunks write nothing (an empty chunk would end a chunked body).
        """
        if self._eof:
            raise RuntimeError("write() called after write_eof()")
        if self._on_chunk_sent is not None:
            await self._on_chunk_sent(bytes(chunk))
        data = bytes(chunk) if not isinstance(chunk, bytes) else chunk
        if self._compress is not None:
            data = self._compress.compress(data)
            if not data:
                return
        data = self._limit_length(data)
        if not data:
            return
        if self.chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        self._write(data)
        if drain and self._protocol.writing_paused:
            await self.drain()

    async def write_eof(
        self, chunk: bytes = b"", trailers: Mapping[str, str] | None = None
    ) -> None:
        """Write the last piece of the body, the final chunk and optional trailers."""
        if self._eof:
            return
        if not trailers and self.finish(chunk):
            protocol = self._protocol
            if protocol._writing_paused or protocol._connection_lost:
                await protocol.drain()
            return
        if chunk and self._on_chunk_sent is not None:
            await self._on_chunk_sent(chunk)
        data = chunk
        if self._compress is not None:
            data = self._compress.compress(data) + self._compress.flush()
        data = self._limit_length(data)
        if self.chunked:
            framed = b"%x\r\n%b\r\n" % (len(data), data) if data else b""
            data = framed + b"0\r\n" + _serialize_trailers(trailers or {}) + b"\r\n"
        elif trailers:
            raise ValueError("Trailers are only allowed in a chunked message")
        self._eof = True
        self._write(data)
        await self.drain()

    async def drain(self) -> None:
        """Send a held head, then wait until the transport accepts more data."""
        if self._head:
            self._write(b"")
        self.buffer_size = 0
        await self._protocol.drain()

    def _limit_length(self, data: bytes) -> bytes:
        # Never write past Content-Length: the peer would read the excess as the
        # start of the next message (response splitting on a kept-alive connection).
        if self.length is None:
            return data
        if len(data) > self.length:
            data = data[: self.length]
        self.length -= len(data)
        return data

    def _write(self, data: bytes) -> None:
        if self._head:
            data = self._head + data
            self._head = b""
        if not data:
            return
        transport = self._protocol.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        size = len(data)
        self.buffer_size += size
        self.output_size += size
        transport.write(data)


def _serialize_trailers(trailers: Mapping[str, str] | Iterable[tuple[str, str]]) -> bytes:
    items = trailers.items() if isinstance(trailers, Mapping) else trailers
    lines = []
    for name, value in items:
        text = f"{name}: {value}"
        if any(c in text for c in _FORBIDDEN_IN_TRAILER):
            raise ValueError(f"Newline or NUL character in trailer {name!r}")
        lines.append(text.encode("utf-8") + b"\r\n")
    return b"".join(lines)
