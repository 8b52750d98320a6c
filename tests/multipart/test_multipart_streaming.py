"""A large part streams through a flow-controlled StreamReader in bounded memory."""

from __future__ import annotations

import asyncio
import hashlib
import tracemalloc

from heron.multipart import BodyPartReader, MultipartReader
from heron.streams import StreamReader

TOTAL = 50 * 2**20
PIECE = 2**16


class Flow:
    """The producer side of flow control: StreamReader pauses and resumes it."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.running.set()
        self.pauses = 0

    def pause_reading(self) -> None:
        self.pauses += 1
        self.running.clear()

    def resume_reading(self) -> None:
        self.running.set()


def block(i: int) -> bytes:
    # Varying content, with CRLFs and dashes so the scanner meets near-delimiters.
    return (b"%08d\r\n--bn-\r\n" % i).ljust(PIECE, b"z")


async def produce(stream: StreamReader, flow: Flow) -> str:
    digest = hashlib.sha256()
    stream.feed_data(b'--bnd\r\nContent-Disposition: form-data; name="f"; filename="big"\r\n\r\n')
    for i in range(TOTAL // PIECE):
        await flow.running.wait()
        data = block(i)
        digest.update(data)
        # Feed in odd-sized pieces so delimiters could straddle any boundary.
        stream.feed_data(data[:1000])
        stream.feed_data(data[1000:])
        await asyncio.sleep(0)
    stream.feed_data(b"\r\n--bnd--\r\n")
    stream.feed_eof()
    return digest.hexdigest()


async def test_fifty_megabyte_part_in_bounded_memory() -> None:
    flow = Flow()
    stream = StreamReader(flow, limit=2**16)
    producer = asyncio.create_task(produce(stream, flow))
    reader = MultipartReader({"Content-Type": "multipart/form-data; boundary=bnd"}, stream)
    tracemalloc.start()
    try:
        part = await reader.next()
        assert isinstance(part, BodyPartReader)
        assert part.filename == "big"
        digest = hashlib.sha256()
        total = 0
        biggest = 0
        while chunk := await part.read_chunk(2**16):
            biggest = max(biggest, len(chunk))
            digest.update(chunk)
            total += len(chunk)
        assert await reader.next() is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == TOTAL
    assert digest.hexdigest() == await producer
    assert biggest <= 2**16
    assert peak < 4 * 2**20, peak
