"""heron.parsers: generator parsers, ParserBuffer, StreamParser, StreamProtocol."""

from __future__ import annotations

import asyncio
from collections.abc import Generator

import pytest
from legacy_helpers import serve

from heron.http import LineTooLong
from heron.parsers import (
    ChunksParser,
    DataQueue,
    EofStream,
    LinesParser,
    ParserBuffer,
    StreamParser,
    StreamProtocol,
)


def drive(gen: Generator[None, bytes, object], *chunks: bytes) -> object:
    """Run a buffer method to completion, sending ``chunks`` as it asks for data."""
    try:
        next(gen)
        for chunk in chunks:
            gen.send(chunk)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("generator wanted more data")


def test_wait_peeks_read_consumes() -> None:
    buf = ParserBuffer(b"abcdef")
    assert drive(buf.wait(3)) == b"abc"
    assert bytes(buf) == b"abcdef"
    assert drive(buf.read(3)) == b"abc"
    assert bytes(buf) == b"def"
    assert drive(buf.read(5), b"gh") == b"defgh"
    assert drive(buf.readsome(2), b"xyz") == b"xy"
    assert drive(buf.readsome()) == b"z"


def test_readuntil_and_limit() -> None:
    buf = ParserBuffer(b"line1\r\nrest")
    assert drive(buf.readuntil(b"\r\n", 100)) == b"line1\r\n"
    assert drive(buf.waituntil(b"!", None), b"!") == b"rest!"
    buf2 = ParserBuffer(b"x" * 20)
    with pytest.raises(LineTooLong):
        drive(buf2.readuntil(b"\r\n", 10))
    buf3 = ParserBuffer(b"aa--bb")
    assert drive(buf3.skipuntil(b"--")) is None and bytes(buf3) == b"bb"
    assert drive(buf3.skip(1)) is None and bytes(buf3) == b"b"


def test_exception_stops_waits() -> None:
    buf = ParserBuffer()
    buf.set_exception(ValueError("boom"))
    assert isinstance(buf.exception(), ValueError)
    with pytest.raises(ValueError):
        drive(buf.read(1))


async def test_set_parser_returns_fed_queue_and_unset_throws_eof() -> None:
    seen: list[str] = []

    def words(out: DataQueue[bytes], buf: ParserBuffer) -> Generator[None, bytes, None]:
        try:
            while True:
                out.feed_data((yield from buf.readuntil(b" ")))
        except EofStream:
            seen.append("eof")

    stream = StreamParser()
    stream.feed_data(b"early ")  # buffered until a parser is set
    queue = stream.set_parser(words)
    stream.feed_data(b"two words ")
    assert [await queue.read() for _ in range(3)] == [b"early ", b"two ", b"words "]
    stream.unset_parser()
    assert seen == ["eof"]
    with pytest.raises(EofStream):
        await queue.read()


async def test_lines_and_chunks_parsers_and_errors() -> None:
    stream = StreamParser()
    lines = stream.set_parser(LinesParser(limit=8))
    stream.feed_data(b"a\nbb\nccc")
    assert await lines.read() == b"a\n" and await lines.read() == b"bb\n"
    stream.feed_data(b"cccccccccc")  # over the limit: the queue fails
    with pytest.raises(LineTooLong):
        await lines.read()
    stream2 = StreamParser()
    chunks = stream2.set_parser(ChunksParser(4))
    stream2.feed_data(b"0123456789")
    stream2.feed_eof()
    assert stream2.at_eof()
    assert [await chunks.read() for _ in range(3)] == [b"0123", b"4567", b"89"]


async def test_stream_protocol_over_a_socket() -> None:
    protocols: list[StreamProtocol] = []

    def factory() -> StreamProtocol:
        proto = StreamProtocol()
        protocols.append(proto)
        return proto

    server, port = await serve(factory)
    async with server:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"hello\nworld\n")
        await writer.drain()
        async with asyncio.timeout(2):
            while not protocols:
                await asyncio.sleep(0.01)
        proto = protocols[0]
        assert proto.is_connected()
        queue = proto.reader.set_parser(LinesParser())
        async with asyncio.timeout(2):
            assert await queue.read() == b"hello\n"
            assert await queue.read() == b"world\n"
            writer.close()
            with pytest.raises(EofStream):
                await queue.read()
