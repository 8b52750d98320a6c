"""StreamWriter over a real loopback connection: exact bytes and back-pressure."""

from __future__ import annotations

import asyncio
import gzip
import zlib

import pytest

from heron.flow import BaseProtocol
from heron.writer import AbstractStreamWriter, StreamWriter


class RecordingTransport:
    """Forwards to the real transport and remembers each write() call's bytes."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


def record_writes(protocol: BaseProtocol) -> RecordingTransport:
    assert protocol.transport is not None
    recorder = RecordingTransport(protocol.transport)
    protocol.transport = recorder  # type: ignore[assignment]
    return recorder


HEAD = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"


async def test_is_an_abstract_stream_writer(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol, asyncio.get_running_loop())
    assert isinstance(writer, AbstractStreamWriter)
    assert writer.protocol is conn.protocol
    assert writer.transport is conn.protocol.transport


async def test_small_message_leaves_in_one_transport_write(loopback) -> None:
    conn = await loopback()
    recorder = record_writes(conn.protocol)
    writer = StreamWriter(conn.protocol)
    await writer.write_headers(HEAD)
    assert recorder.writes == []  # held back
    await writer.write_eof(b"hello")
    assert recorder.writes == [HEAD + b"hello"]
    assert await conn.read_exactly(len(HEAD) + 5) == HEAD + b"hello"
    assert writer.output_size == len(HEAD) + 5


async def test_head_goes_with_first_write(loopback) -> None:
    conn = await loopback()
    recorder = record_writes(conn.protocol)
    writer = StreamWriter(conn.protocol)
    await writer.write_headers(b"HEAD\r\n\r\n")
    await writer.write(b"body1")
    await writer.write(b"body2")
    await writer.write_eof()
    assert recorder.writes == [b"HEAD\r\n\r\nbody1", b"body2"]


async def test_send_headers_and_drain_flush_the_head(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.send_headers()  # nothing held: no-op
    await writer.write_headers(b"H1\r\n\r\n")
    writer.send_headers()
    assert await conn.read_exactly(6) == b"H1\r\n\r\n"

    second = StreamWriter(conn.protocol)
    await second.write_headers(b"H2\r\n\r\n")
    await second.drain()
    assert await conn.read_exactly(6) == b"H2\r\n\r\n"
    assert second.buffer_size == 0  # reset by drain


async def test_write_eof_with_only_head(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    await writer.write_headers(b"HTTP/1.1 204 No Content\r\n\r\n")
    await writer.write_eof()
    assert await conn.read_exactly(27) == b"HTTP/1.1 204 No Content\r\n\r\n"


async def test_chunked_framing(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.enable_chunking()
    await writer.write(b"hello")
    await writer.write(b"")  # an empty write must not end the body
    await writer.write(bytearray(b"x" * 26))
    await writer.write_eof(memoryview(b"end").tobytes())
    expected = b"5\r\nhello\r\n1a\r\n" + b"x" * 26 + b"\r\n3\r\nend\r\n0\r\n\r\n"
    assert await conn.read_exactly(len(expected)) == expected


async def test_chunked_trailers(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.enable_chunking()
    await writer.write(b"abc")
    await writer.write_eof(trailers={"Checksum": "xyz", "X-Extra": "1"})
    expected = b"3\r\nabc\r\n0\r\nChecksum: xyz\r\nX-Extra: 1\r\n\r\n"
    assert await conn.read_exactly(len(expected)) == expected


async def test_trailers_need_chunking(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    with pytest.raises(ValueError, match="chunked"):
        await writer.write_eof(b"x", trailers={"A": "b"})


@pytest.mark.parametrize("bad", [{"A": "b\r\nInjected: 1"}, {"A\n": "b"}, {"A": "\x00"}])
async def test_trailers_reject_newlines(loopback, bad: dict[str, str]) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.enable_chunking()
    with pytest.raises(ValueError, match="Newline or NUL"):
        await writer.write_eof(trailers=bad)


async def test_length_truncates_body(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.length = 5
    await writer.write(b"abc")
    await writer.write(b"defgh")  # only "de" fits
    await writer.write(b"more")  # nothing fits: nothing written
    await writer.write_eof(b"tail")
    assert writer.length == 0
    assert writer.output_size == 5
    writer.protocol.transport.close()  # type: ignore[union-attr]
    assert await conn.read_all() == b"abcde"


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_compression(loopback, encoding: str) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.enable_compression(encoding)
    body = b"compress me " * 1000
    await writer.write(body[:6000])
    await writer.write_eof(body[6000:])
    conn.protocol.transport.close()  # type: ignore[union-attr]
    data = await conn.read_all()
    assert len(data) < len(body)
    decoded = gzip.decompress(data) if encoding == "gzip" else zlib.decompress(data)
    assert decoded == body


async def test_compression_then_chunking(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.enable_compression("gzip")
    writer.enable_chunking()
    await writer.write(b"a" * 1000)
    await writer.write_eof(b"b" * 1000)
    conn.protocol.transport.close()  # type: ignore[union-attr]
    data = await conn.read_all()
    assert data.endswith(b"0\r\n\r\n")
    # De-chunk, then gunzip.
    payload, rest = b"", data
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            break
        payload += rest[:size]
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]
    assert gzip.decompress(payload) == b"a" * 1000 + b"b" * 1000


async def test_unknown_compression(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    with pytest.raises(ValueError):
        writer.enable_compression("snappy")


async def test_write_after_eof_is_an_error(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    await writer.write_eof(b"x")
    await writer.write_eof(b"ignored")  # second write_eof is a no-op
    with pytest.raises(RuntimeError, match="after write_eof"):
        await writer.write(b"y")
    conn.protocol.transport.close()  # type: ignore[union-attr]
    assert await conn.read_all() == b"x"


async def test_write_to_closed_transport_raises(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    conn.protocol.transport.close()  # type: ignore[union-attr]
    with pytest.raises(ConnectionResetError, match="Cannot write to closing transport"):
        await asyncio.wait_for(writer.write(b"data"), 1)
    await asyncio.sleep(0.01)  # connection_lost: the transport is gone
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(writer.write_eof(b"data"), 1)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(writer.drain(), 1)


async def test_counters(loopback) -> None:
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    writer.enable_chunking()
    await writer.write_headers(b"H\r\n\r\n")
    await writer.write(b"abc", drain=False)
    assert writer.buffer_size == len(b"H\r\n\r\n3\r\nabc\r\n")
    assert writer.output_size == writer.buffer_size
    await writer.drain()
    assert writer.buffer_size == 0
    assert writer.output_size == len(b"H\r\n\r\n3\r\nabc\r\n")


async def test_callbacks(loopback) -> None:
    conn = await loopback()
    chunks: list[bytes] = []
    heads: list[bytes] = []

    async def on_chunk(chunk: bytes) -> None:
        chunks.append(chunk)

    async def on_headers(head: bytes) -> None:
        heads.append(head)

    writer = StreamWriter(conn.protocol, on_chunk_sent=on_chunk, on_headers_sent=on_headers)
    await writer.write_headers(b"H\r\n\r\n")
    await writer.write(memoryview(b"one"))
    await writer.write_eof(b"two")
    assert heads == [b"H\r\n\r\n"]
    assert chunks == [b"one", b"two"]


async def test_back_pressure_with_slow_reader(loopback) -> None:
    """write() blocks while the peer does not read, and continues when it does."""
    conn = await loopback()
    assert conn.protocol.transport is not None
    conn.protocol.transport.set_write_buffer_limits(high=16384, low=4096)
    conn.writer.transport.pause_reading()  # the peer stops reading
    writer = StreamWriter(conn.protocol)
    chunk = b"x" * 65536
    total = 200 * len(chunk)

    async def produce() -> int:
        written = 0
        for _ in range(200):
            await writer.write(chunk)
            written += len(chunk)
        await writer.write_eof()
        return written

    producer = asyncio.create_task(produce())
    await asyncio.sleep(0.1)
    assert not producer.done()  # blocked in drain: the peer reads nothing
    assert conn.protocol.writing_paused
    # Bounded memory: the producer is far from done.
    assert writer.output_size < total

    conn.writer.transport.resume_reading()
    received = 0
    while received < total:
        received += len(await asyncio.wait_for(conn.reader.read(2**20), 5))
    assert await asyncio.wait_for(producer, 5) == total
    assert received == total


async def test_connection_lost_while_blocked_raises(loopback) -> None:
    conn = await loopback()
    assert conn.protocol.transport is not None
    conn.protocol.transport.set_write_buffer_limits(high=4096, low=1024)
    conn.writer.transport.pause_reading()
    writer = StreamWriter(conn.protocol)

    async def produce() -> None:
        for _ in range(1000):
            await writer.write(b"y" * 65536)

    producer = asyncio.create_task(produce())
    await asyncio.sleep(0.05)
    assert not producer.done()
    conn.protocol.transport.abort()
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(producer, 1)


async def test_compressor_buffering_writes_nothing_until_eof(loopback) -> None:
    conn = await loopback()
    recorder = record_writes(conn.protocol)
    writer = StreamWriter(conn.protocol)
    writer.enable_compression("deflate")
    writer.enable_chunking()
    await writer.write(b"tiny")  # zlib emits its 2-byte header first
    assert recorder.writes == [b"2\r\nx\x9c\r\n"]
    await writer.write(b"more")  # buffered by the compressor: no empty chunk is sent
    assert len(recorder.writes) == 1
    await writer.write_eof()
    assert len(recorder.writes) == 2
    assert recorder.writes[1].endswith(b"\r\n0\r\n\r\n")
