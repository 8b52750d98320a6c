"""Helpers for the multipart tests: body streams and an in-memory payload writer."""

from __future__ import annotations

from collections.abc import Iterable

from heron.payload import Payload
from heron.streams import StreamReader
from heron.writer import AbstractStreamWriter


class CollectingWriter(AbstractStreamWriter):
    """Collects what a payload writes, recording the size of every write."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.writes: list[int] = []

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.buf += chunk
        self.writes.append(len(chunk))

    async def write_eof(self, chunk: bytes = b"") -> None:
        self.buf += chunk

    async def drain(self) -> None:
        return None

    def enable_compression(self, encoding: str = "deflate") -> None:
        raise AssertionError("not used")

    def enable_chunking(self) -> None:
        raise AssertionError("not used")

    async def write_headers(self, head: bytes) -> None:
        raise AssertionError("not used")


async def serialize(payload: Payload) -> bytes:
    """The bytes ``payload`` writes."""
    writer = CollectingWriter()
    await payload.write(writer)
    return bytes(writer.buf)


def stream_of(pieces: Iterable[bytes], *, eof: bool = True) -> StreamReader:
    """A StreamReader already fed with ``pieces`` (each one a separate chunk)."""
    stream = StreamReader(None, limit=2**16)
    for piece in pieces:
        if piece:
            stream.feed_data(piece)
    if eof:
        stream.feed_eof()
    return stream


def chunks(data: bytes, size: int) -> list[bytes]:
    """``data`` cut into pieces of ``size`` bytes."""
    return [data[i : i + size] for i in range(0, len(data), size)]
