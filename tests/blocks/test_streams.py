"""StreamReader, EmptyStreamReader and the data queues (B-196..B-200, B-203)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from heron.streams import (
    EMPTY_PAYLOAD,
    ChunksQueue,
    DataQueue,
    EmptyStreamReader,
    EofStream,
    FlowControlChunksQueue,
    FlowControlDataQueue,
    FlowControlStreamReader,
    StreamReader,
    whole_reader,
)


class CountingProtocol:
    """Records flow-control calls (a stand-in producer, not a network mock)."""

    def __init__(self) -> None:
        self.paused = 0
        self.resumed = 0

    def pause_reading(self) -> None:
        self.paused += 1

    def resume_reading(self) -> None:
        self.resumed += 1


def make_reader(*chunks: bytes, eof: bool = True, limit: int = 2**16) -> StreamReader:
    reader = StreamReader(CountingProtocol(), limit)
    for chunk in chunks:
        reader.feed_data(chunk)
    if eof:
        reader.feed_eof()
    return reader


def feed_later(reader: StreamReader, *chunks: bytes, eof: bool = True) -> None:
    """Feed chunks one loop iteration apart, as a protocol would."""
    loop = asyncio.get_running_loop()
    for i, chunk in enumerate(chunks):
        loop.call_later(0.001 * (i + 1), reader.feed_data, chunk)
    if eof:
        loop.call_later(0.001 * (len(chunks) + 1), reader.feed_eof)


# -- state: B-196 --------------------------------------------------------------


async def test_at_eof_needs_eof_and_empty_buffer() -> None:
    reader = make_reader(b"data", eof=False)
    assert not reader.at_eof()
    assert not reader.is_eof()
    reader.feed_eof()
    assert reader.is_eof()
    assert not reader.at_eof()  # data still buffered
    assert await reader.read() == b"data"
    assert reader.at_eof()


async def test_total_bytes_counts_fed_data() -> None:
    reader = make_reader(b"ab", bytearray(b"cde"), memoryview(b"f"), b"")
    assert reader.total_bytes == 6
    assert await reader.read() == b"abcdef"
    assert reader.total_bytes == 6


async def test_feed_data_copies_mutable_buffers() -> None:
    buf = bytearray(b"abc")
    reader = make_reader(eof=False)
    reader.feed_data(buf)
    buf[:] = b"xyz"
    assert await reader.read(3) == b"abc"


def test_feed_data_after_eof_is_an_error() -> None:
    reader = make_reader(b"x")
    with pytest.raises(RuntimeError, match="after feed_eof"):
        reader.feed_data(b"more")


def test_feed_eof_twice_is_harmless() -> None:
    reader = make_reader()
    reader.feed_eof()
    assert reader.is_eof()


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        StreamReader(None, 0)


def test_repr() -> None:
    reader = StreamReader(None, 10)
    assert repr(reader) == "<StreamReader low=10 high=20>"
    reader.feed_data(b"abc")
    reader.feed_eof()
    reader.set_exception(ValueError("x"))
    assert repr(reader) == "<StreamReader 3 bytes eof low=10 high=20 e=ValueError('x')>"
    assert repr(EMPTY_PAYLOAD) == "<EmptyStreamReader>"


async def test_repr_shows_waiter() -> None:
    reader = StreamReader()
    task = asyncio.create_task(reader.read())
    await asyncio.sleep(0)
    assert "w=<Future pending" in repr(reader)
    reader.feed_eof()
    assert await task == b""


def test_read_buffer_limits() -> None:
    assert StreamReader(None, 100).get_read_buffer_limits() == (100, 200)


# -- read ------------------------------------------------------------------------


async def test_read_all_until_eof() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"line1\n", b"line2")
    assert await reader.read() == b"line1\nline2"
    assert await reader.read() == b""


async def test_read_n_returns_at_most_n() -> None:
    reader = make_reader(b"hello", b"world")
    assert await reader.read(3) == b"hel"
    assert await reader.read(4) == b"lowo"  # spans chunks
    assert await reader.read(100) == b"rld"
    assert await reader.read(1) == b""


async def test_read_zero_returns_empty() -> None:
    reader = make_reader(b"abc", eof=False)
    assert await reader.read(0) == b""
    assert reader.read_nowait() == b"abc"


async def test_read_waits_for_data() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"abc", eof=False)
    assert await asyncio.wait_for(reader.read(10), 1) == b"abc"


async def test_read_does_not_wake_on_chunk_boundary_without_data() -> None:
    reader = make_reader(eof=False)
    reader.begin_http_chunk_receiving()
    task = asyncio.create_task(reader.read(5))
    await asyncio.sleep(0)
    reader.feed_data(b"ab")
    reader.end_http_chunk_receiving()
    assert await task == b"ab"


async def test_readany_returns_buffered_chunks() -> None:
    reader = make_reader(b"a", b"bc")
    assert await reader.readany() == b"a"
    assert await reader.readany() == b"bc"
    assert await reader.readany() == b""


async def test_readany_after_partial_read() -> None:
    reader = make_reader(b"abcdef")
    assert await reader.read(2) == b"ab"
    assert await reader.readany() == b"cdef"


async def test_readany_waits() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"x", eof=False)
    assert await asyncio.wait_for(reader.readany(), 1) == b"x"


async def test_read_nowait() -> None:
    reader = make_reader(b"abc", b"def", eof=False)
    assert reader.read_nowait(2) == b"ab"
    assert reader.read_nowait(None) == b"cdef"  # 0.x spelling of "everything"
    assert reader.read_nowait() == b""


async def test_read_nowait_while_waiting_is_an_error() -> None:
    reader = make_reader(eof=False)
    task = asyncio.create_task(reader.read())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="waiting for incoming data"):
        reader.read_nowait()
    reader.feed_eof()
    await task


async def test_two_concurrent_readers_are_refused() -> None:
    reader = make_reader(eof=False)
    first = asyncio.create_task(reader.readany())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="already waiting"):
        await reader.readany()
    reader.feed_data(b"x")
    assert await first == b"x"


# -- readexactly -------------------------------------------------------------------


async def test_readexactly() -> None:
    reader = make_reader(b"ab", b"cd", b"ef")
    assert await reader.readexactly(3) == b"abc"
    assert await reader.readexactly(0) == b""
    assert await reader.readexactly(3) == b"def"


async def test_readexactly_waits_across_feeds() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"12", b"34", b"56")
    assert await asyncio.wait_for(reader.readexactly(5), 1) == b"12345"
    assert await reader.read() == b"6"


async def test_readexactly_incomplete() -> None:
    reader = make_reader(b"abc")
    with pytest.raises(asyncio.IncompleteReadError) as info:
        await reader.readexactly(5)
    assert info.value.partial == b"abc"
    assert info.value.expected == 5


async def test_readexactly_negative() -> None:
    reader = make_reader(b"abc")
    with pytest.raises(ValueError, match="less than zero"):
        await reader.readexactly(-1)


async def test_readexactly_larger_than_high_water_does_not_deadlock() -> None:
    protocol = CountingProtocol()
    reader = StreamReader(protocol, limit=4)
    loop = asyncio.get_running_loop()

    async def produce() -> None:
        # A real producer stops while paused: feed only when resumed.
        for i in range(10):
            while protocol.paused > protocol.resumed:
                await asyncio.sleep(0.001)
            reader.feed_data(bytes([48 + i]) * 5)
        reader.feed_eof()

    producer = loop.create_task(produce())
    assert await asyncio.wait_for(reader.readexactly(50), 2) == b"".join(
        bytes([48 + i]) * 5 for i in range(10)
    )
    await producer


# -- readline / readuntil -----------------------------------------------------------


async def test_readline() -> None:
    reader = make_reader(b"line1\nli", b"ne2\n", b"tail")
    assert await reader.readline() == b"line1\n"
    assert await reader.readline() == b"line2\n"
    assert await reader.readline() == b"tail"  # last line without newline at EOF
    assert await reader.readline() == b""


async def test_readline_waits_for_separator() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"par", b"tial", b"\nrest", eof=False)
    assert await asyncio.wait_for(reader.readline(), 1) == b"partial\n"
    assert reader.read_nowait() == b"rest"


async def test_readuntil_multibyte_separator_split_across_chunks() -> None:
    reader = make_reader(b"abc\r", b"\ndef\r\n", b"x\r", b"\r", b"\n", b"end")
    assert await reader.readuntil(b"\r\n") == b"abc\r\n"
    assert await reader.readuntil(b"\r\n") == b"def\r\n"
    assert await reader.readuntil(b"\r\n") == b"x\r\r\n"
    assert await reader.readuntil(b"\r\n") == b"end"


async def test_readuntil_long_separator_over_many_small_chunks() -> None:
    reader = make_reader(b"da", b"t", b"a-", b"-", b"-", b"-b", b"oundary")
    assert await reader.readuntil(b"----boundary") == b"data----boundary"


async def test_readuntil_separator_after_partial_read() -> None:
    reader = make_reader(b"xx--a--b")
    assert await reader.read(2) == b"xx"
    assert await reader.readuntil(b"--") == b"--"
    assert await reader.readuntil(b"--") == b"a--"
    assert await reader.readuntil(b"--") == b"b"


async def test_readuntil_empty_separator() -> None:
    reader = make_reader(b"abc")
    with pytest.raises(ValueError, match="at least one-byte"):
        await reader.readuntil(b"")


async def test_readline_limit_is_precise() -> None:
    # limit=4 -> lines of up to 8 bytes (separator included) are allowed.
    reader = make_reader(b"1234567\n", b"12345678\n", limit=4)
    assert await reader.readline() == b"1234567\n"
    with pytest.raises(ValueError, match="Line is too long: more than 8 bytes"):
        await reader.readline()


async def test_readline_limit_across_chunks() -> None:
    reader = make_reader(b"1234", b"5678", b"9\n", limit=4)
    with pytest.raises(ValueError, match="Line is too long"):
        await reader.readline()


async def test_aiter_yields_lines() -> None:
    reader = make_reader(b"one\ntwo\nthr", b"ee\n")
    assert [line async for line in reader] == [b"one\n", b"two\n", b"three\n"]


# -- iterators: B-197 ------------------------------------------------------------------


async def test_iter_chunked() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"x" * 2500, b"y" * 100)
    pieces = [piece async for piece in reader.iter_chunked(1024)]
    assert all(len(p) <= 1024 for p in pieces)
    assert b"".join(pieces) == b"x" * 2500 + b"y" * 100


def test_iter_chunked_needs_positive_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        make_reader().iter_chunked(0)


async def test_iter_any() -> None:
    reader = make_reader(eof=False)
    feed_later(reader, b"a", b"b", b"c")
    assert b"".join([piece async for piece in reader.iter_any()]) == b"abc"


# -- readchunk / iter_chunks -----------------------------------------------------------


def chunked_reader(*chunks: bytes) -> StreamReader:
    reader = StreamReader()
    reader.begin_http_chunk_receiving()
    for chunk in chunks:
        reader.feed_data(chunk)
        reader.end_http_chunk_receiving()
    reader.feed_eof()
    return reader


async def test_readchunk_reports_http_chunk_ends() -> None:
    reader = chunked_reader(b"abc", b"de")
    assert await reader.readchunk() == (b"abc", True)
    assert await reader.readchunk() == (b"de", True)
    assert await reader.readchunk() == (b"", False)


async def test_readchunk_without_chunked_framing() -> None:
    reader = make_reader(b"abc", b"de")
    assert await reader.readchunk() == (b"abc", False)
    assert await reader.readchunk() == (b"de", False)
    assert await reader.readchunk() == (b"", False)


async def test_readchunk_after_reading_past_a_boundary() -> None:
    reader = chunked_reader(b"abc", b"def", b"gh")
    assert await reader.read(4) == b"abcd"  # past the first boundary
    assert await reader.readchunk() == (b"ef", True)
    assert await reader.read(2) == b"gh"  # exactly up to the last boundary
    assert await reader.readchunk() == (b"", True)
    assert await reader.readchunk() == (b"", False)


async def test_readchunk_one_http_chunk_fed_in_pieces() -> None:
    reader = StreamReader()
    reader.begin_http_chunk_receiving()
    reader.begin_http_chunk_receiving()  # repeated announcement is harmless
    reader.feed_data(b"ab")
    reader.feed_data(b"cd")
    reader.end_http_chunk_receiving()
    reader.end_http_chunk_receiving()  # empty chunk: no second boundary
    reader.feed_eof()
    assert await reader.readchunk() == (b"abcd", True)
    assert await reader.readchunk() == (b"", False)


async def test_readchunk_waits() -> None:
    reader = StreamReader()
    reader.begin_http_chunk_receiving()
    loop = asyncio.get_running_loop()

    def feed() -> None:
        reader.feed_data(b"xyz")
        reader.end_http_chunk_receiving()

    loop.call_later(0.001, feed)
    assert await asyncio.wait_for(reader.readchunk(), 1) == (b"xyz", True)


async def test_iter_chunks() -> None:
    reader = chunked_reader(b"ab", b"c")
    assert [c async for c in reader.iter_chunks()] == [(b"ab", True), (b"c", True)]


def test_begin_chunk_receiving_after_data_is_an_error() -> None:
    reader = make_reader(b"x", eof=False)
    with pytest.raises(RuntimeError, match="already fed"):
        reader.begin_http_chunk_receiving()


def test_end_chunk_receiving_without_begin_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="without begin"):
        StreamReader().end_http_chunk_receiving()


# -- exceptions: B-199 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.read(),
        lambda r: r.read(3),
        lambda r: r.readany(),
        lambda r: r.readline(),
        lambda r: r.readexactly(2),
        lambda r: r.readchunk(),
        lambda r: r.wait_eof(),
    ],
)
async def test_pending_read_raises_set_exception(call) -> None:
    reader = StreamReader()
    task = asyncio.create_task(call(reader))
    await asyncio.sleep(0)
    exc = ValueError("broken")
    reader.set_exception(exc)
    with pytest.raises(ValueError, match="broken"):
        await task
    assert reader.exception() is exc


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.read(),
        lambda r: r.read(3),
        lambda r: r.readany(),
        lambda r: r.readline(),
        lambda r: r.readuntil(b"--"),
        lambda r: r.readexactly(2),
        lambda r: r.readchunk(),
        lambda r: r.wait_eof(),
    ],
)
async def test_later_reads_raise_set_exception(call) -> None:
    reader = make_reader(b"data", eof=False)
    reader.set_exception(OSError("gone"))
    with pytest.raises(OSError, match="gone"):
        await call(reader)


def test_read_nowait_raises_set_exception() -> None:
    reader = make_reader(b"data", eof=False)
    reader.set_exception(OSError("gone"))
    with pytest.raises(OSError, match="gone"):
        reader.read_nowait()


async def test_set_exception_cancels_eof_callbacks() -> None:
    reader = StreamReader()
    called: list[int] = []
    reader.on_eof(lambda: called.append(1))
    reader.set_exception(ValueError())
    reader.feed_eof()
    assert called == []


# -- eof waiting and callbacks -------------------------------------------------------------


async def test_wait_eof() -> None:
    reader = make_reader(b"data", eof=False)
    asyncio.get_running_loop().call_later(0.001, reader.feed_eof)
    await asyncio.wait_for(reader.wait_eof(), 1)
    assert reader.is_eof()
    assert await reader.read() == b"data"  # wait_eof does not consume
    await reader.wait_eof()  # returns at once afterwards


async def test_cancelled_wait_eof() -> None:
    reader = StreamReader()
    task = asyncio.create_task(reader.wait_eof())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reader.feed_eof()


async def test_on_eof_callbacks() -> None:
    reader = StreamReader()
    called: list[str] = []
    reader.on_eof(lambda: called.append("first"))
    reader.feed_eof()
    assert called == ["first"]
    reader.on_eof(lambda: called.append("late"))  # already at EOF: called at once
    assert called == ["first", "late"]


def test_failing_eof_callback_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    reader = StreamReader()
    called: list[int] = []

    def bad() -> None:
        raise RuntimeError("callback failed")

    reader.on_eof(bad)
    reader.on_eof(lambda: called.append(1))
    with caplog.at_level(logging.ERROR, logger="heron.streams"):
        reader.feed_eof()
    assert called == [1]  # later callbacks still run
    assert "eof callback" in caplog.text


# -- unread_data: B-198 ---------------------------------------------------------------------


async def test_unread_data_is_read_first() -> None:
    reader = make_reader(b"cdef")
    assert await reader.read(2) == b"cd"
    with pytest.warns(DeprecationWarning):
        reader.unread_data(b"ab")
    assert await reader.read(4) == b"abef"


async def test_unread_empty_data() -> None:
    reader = make_reader(b"x")
    with pytest.warns(DeprecationWarning):
        reader.unread_data(b"")
    assert await reader.read() == b"x"


# -- flow control: B-203 ---------------------------------------------------------------------


async def test_pauses_above_high_water_and_resumes_at_low_water() -> None:
    protocol = CountingProtocol()
    reader = StreamReader(protocol, limit=10)
    reader.feed_data(b"x" * 20)  # exactly 2 * limit: not above
    assert protocol.paused == 0
    reader.feed_data(b"y")
    assert protocol.paused == 1
    reader.feed_data(b"z" * 5)  # already paused: no second call
    assert protocol.paused == 1

    assert await reader.read(15) == b"x" * 15  # 11 left: still above limit
    assert protocol.resumed == 0
    assert await reader.read(1) == b"x"  # 10 left == limit
    assert protocol.resumed == 1
    reader.feed_eof()
    assert await reader.read() == b"xxxxyzzzzz"
    assert protocol.resumed == 1


async def test_flow_control_through_readline_and_readany() -> None:
    protocol = CountingProtocol()
    reader = StreamReader(protocol, limit=4)
    reader.feed_data(b"abc\n")
    reader.feed_data(b"defgh\n")
    assert protocol.paused == 1
    assert await reader.readline() == b"abc\n"
    assert protocol.resumed == 0
    assert await reader.readany() == b"defgh\n"
    assert protocol.resumed == 1


async def test_unread_data_can_pause() -> None:
    protocol = CountingProtocol()
    reader = StreamReader(protocol, limit=2)
    with pytest.warns(DeprecationWarning):
        reader.unread_data(b"12345")
    assert protocol.paused == 1
    reader.feed_eof()
    assert await reader.read() == b"12345"
    assert protocol.resumed == 1


async def test_reader_without_protocol_never_pauses() -> None:
    reader = StreamReader(None, limit=1)
    reader.feed_data(b"x" * 100)
    reader.feed_eof()
    assert await reader.read() == b"x" * 100


async def test_flow_control_with_real_protocol(loopback) -> None:
    """A slow consumer pauses the socket; reading it out resumes the socket."""
    conn = await loopback()
    reader = StreamReader(conn.protocol, limit=1024)
    conn.protocol.on_data = reader.feed_data
    conn.writer.write(b"z" * 10_000)
    await conn.writer.drain()
    for _ in range(200):
        if conn.protocol.reading_paused:
            break
        await asyncio.sleep(0.005)
    assert conn.protocol.reading_paused
    received = 0
    while received < 10_000:
        received += len(await asyncio.wait_for(reader.readany(), 2))
    assert not conn.protocol.reading_paused


# -- EmptyStreamReader and EMPTY_PAYLOAD -------------------------------------------------------


async def test_empty_stream_reader() -> None:
    reader = EmptyStreamReader()
    assert reader.at_eof()
    assert reader.is_eof()
    assert await reader.read() == b""
    assert await reader.read(10) == b""
    assert await reader.readany() == b""
    assert await reader.readline() == b""
    assert await reader.readexactly(0) == b""
    with pytest.raises(asyncio.IncompleteReadError):
        await reader.readexactly(1)
    assert await reader.readchunk() == (b"", False)
    assert reader.read_nowait() == b""
    await reader.wait_eof()
    assert [x async for x in reader.iter_any()] == []
    called: list[int] = []
    reader.on_eof(lambda: called.append(1))
    assert called == [1]


def test_empty_payload_stays_empty() -> None:
    EMPTY_PAYLOAD.feed_data(b"ignored")
    EMPTY_PAYLOAD.feed_eof()
    EMPTY_PAYLOAD.set_exception(ValueError())
    assert EMPTY_PAYLOAD.exception() is None
    assert EMPTY_PAYLOAD.at_eof()
    assert EMPTY_PAYLOAD.total_bytes == 0


def test_flow_control_stream_reader_alias() -> None:
    assert FlowControlStreamReader is StreamReader


# -- DataQueue: B-200 -----------------------------------------------------------------------------


async def test_data_queue_read_and_eof() -> None:
    queue: DataQueue[str] = DataQueue()
    assert not queue.is_eof()
    queue.feed_data("a")
    queue.feed_data("b")
    assert len(queue) == 2
    assert await queue.read() == "a"
    queue.feed_eof()
    assert queue.is_eof()
    assert not queue.at_eof()
    assert await queue.read() == "b"
    assert queue.at_eof()
    with pytest.raises(EofStream):
        await queue.read()
    assert repr(queue) == "<DataQueue 0 items eof>"


async def test_data_queue_waits() -> None:
    queue: DataQueue[int] = DataQueue()
    asyncio.get_running_loop().call_later(0.001, queue.feed_data, 7)
    assert await asyncio.wait_for(queue.read(), 1) == 7
    task = asyncio.create_task(queue.read())
    await asyncio.sleep(0)
    queue.feed_eof()
    with pytest.raises(EofStream):
        await task


async def test_data_queue_single_reader() -> None:
    queue: DataQueue[int] = DataQueue()
    task = asyncio.create_task(queue.read())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="another coroutine"):
        await queue.read()
    queue.feed_data(1)
    assert await task == 1


async def test_data_queue_exception() -> None:
    queue: DataQueue[int] = DataQueue()
    task = asyncio.create_task(queue.read())
    await asyncio.sleep(0)
    exc = ValueError("bad frame")
    queue.set_exception(exc)
    with pytest.raises(ValueError, match="bad frame"):
        await task
    assert queue.exception() is exc
    with pytest.raises(ValueError, match="bad frame"):
        await queue.read()


async def test_data_queue_items_before_exception_are_delivered() -> None:
    queue: DataQueue[int] = DataQueue()
    queue.feed_data(1)
    queue.set_exception(ValueError("late"))
    assert await queue.read() == 1
    with pytest.raises(ValueError, match="late"):
        await queue.read()


async def test_data_queue_async_for() -> None:
    queue: DataQueue[bytes] = DataQueue()
    for item in (b"x", b"y"):
        queue.feed_data(item)
    queue.feed_eof()
    assert [item async for item in queue] == [b"x", b"y"]


async def test_flow_control_data_queue() -> None:
    protocol = CountingProtocol()
    queue: FlowControlDataQueue[bytes] = FlowControlDataQueue(protocol, limit=10)
    queue.feed_data(b"a" * 6, 6)
    queue.feed_data(b"b" * 6, 6)  # 12 > 10: pause
    queue.feed_data(b"c", 1)
    assert (protocol.paused, protocol.resumed) == (1, 0)
    assert await queue.read() == b"a" * 6  # 7 left <= 10: resume
    assert (protocol.paused, protocol.resumed) == (1, 1)
    assert await queue.read() == b"b" * 6
    assert (protocol.paused, protocol.resumed) == (1, 1)


async def test_chunks_queues_return_empty_at_eof() -> None:
    queue = ChunksQueue()
    queue.feed_data(b"x")
    queue.feed_eof()
    assert await queue.read() == b"x"
    assert await queue.readany() == b""
    fc = FlowControlChunksQueue(CountingProtocol(), limit=1)
    fc.feed_data(b"y", 1)
    fc.feed_eof()
    assert await fc.read() == b"y"
    assert await fc.readany() == b""


async def test_read_uses_linear_copies_for_many_chunks() -> None:
    """Many small chunks are joined once: reading 100k chunks stays fast."""
    reader = StreamReader(None)
    for _ in range(100_000):
        reader.feed_data(b"ab")
    reader.feed_eof()
    assert len(await asyncio.wait_for(reader.read(), 2)) == 200_000


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.read(),
        lambda r: r.readline(),
        lambda r: r.readexactly(10),
        lambda r: r.readchunk(),
    ],
)
async def test_exception_right_after_a_feed_is_not_lost(call) -> None:
    """Data wakes the reader, then the producer fails before the reader runs."""
    reader = StreamReader()
    task = asyncio.create_task(call(reader))
    await asyncio.sleep(0)
    reader.feed_data(b"partial")
    reader.set_exception(ConnectionResetError("peer went away"))
    with pytest.raises(ConnectionResetError, match="peer went away"):
        await asyncio.wait_for(task, 1)


class _Producer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")


async def test_whole_reader_matches_a_fed_reader() -> None:
    # whole_reader() builds without __init__: it must behave exactly like
    # StreamReader(...) followed by feed_whole(data).
    producer = _Producer()
    whole = whole_reader(producer, 4, None, b"0123456789", owner=None)
    fed = StreamReader(producer, 4)
    fed.feed_whole(b"0123456789")
    assert producer.calls == ["pause", "pause"]  # beyond 2 * limit: paused at once
    for reader in (whole, fed):
        assert reader.is_eof() and not reader.at_eof()
        assert reader.total_bytes == 10
        assert reader.get_read_buffer_limits() == (4, 8)
        assert await reader.read(3) == b"012"
        assert await reader.read() == b"3456789"
        assert reader.at_eof()
    assert producer.calls == ["pause", "pause", "resume", "resume"]


async def test_whole_reader_empty_data_and_bad_limit() -> None:
    empty = whole_reader(None, 16, None, b"", owner=None)
    assert empty.at_eof() and await empty.read() == b""
    with pytest.raises(ValueError):
        whole_reader(None, 0, None, b"data", owner=None)
