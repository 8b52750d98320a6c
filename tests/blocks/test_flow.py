"""BaseProtocol: write back-pressure (drain) and read pausing on a real socket."""

from __future__ import annotations

import asyncio

import pytest

from heron.flow import BaseProtocol


async def fill_until_paused(conn) -> None:
    """Write to a peer that does not read until the transport pauses us."""
    conn.writer.transport.pause_reading()  # the peer stops reading
    protocol = conn.protocol
    assert protocol.transport is not None
    protocol.transport.set_write_buffer_limits(high=4096, low=1024)
    chunk = b"x" * 65536
    for _ in range(2000):
        protocol.transport.write(chunk)
        if protocol.writing_paused:
            return
    raise AssertionError("transport never paused")


async def test_connected_state(loopback) -> None:
    conn = await loopback()
    assert conn.protocol.connected
    assert conn.protocol.transport is not None
    conn.protocol.transport.close()
    await asyncio.sleep(0.01)
    assert not conn.protocol.connected
    assert conn.protocol.transport is None


async def test_unconnected_protocol() -> None:
    protocol = BaseProtocol()
    assert not protocol.connected
    await protocol.drain()  # nothing to wait for
    protocol.pause_reading()
    protocol.resume_reading()


async def test_drain_returns_at_once_when_not_paused(loopback) -> None:
    conn = await loopback()
    assert not conn.protocol.writing_paused
    await asyncio.wait_for(conn.protocol.drain(), 0.5)


async def test_drain_waits_for_slow_reader(loopback) -> None:
    conn = await loopback()
    await fill_until_paused(conn)
    drain = asyncio.create_task(conn.protocol.drain())
    await asyncio.sleep(0.05)
    assert not drain.done()  # the peer has not read anything yet
    # The peer reads everything; the transport resumes us and drain returns.
    conn.writer.transport.resume_reading()
    while not drain.done():
        await asyncio.wait_for(conn.reader.read(2**20), 5)
    await drain
    assert not conn.protocol.writing_paused


async def test_several_drain_waiters_all_wake(loopback) -> None:
    conn = await loopback()
    await fill_until_paused(conn)
    drains = [asyncio.create_task(conn.protocol.drain()) for _ in range(3)]
    await asyncio.sleep(0.01)
    conn.protocol.resume_writing()
    await asyncio.wait_for(asyncio.gather(*drains), 1)


async def test_connection_lost_wakes_drain_with_reset(loopback) -> None:
    conn = await loopback()
    await fill_until_paused(conn)
    drain = asyncio.create_task(conn.protocol.drain())
    await asyncio.sleep(0.01)
    assert conn.protocol.transport is not None
    conn.protocol.transport.abort()
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(drain, 1)
    # Later drains fail at once too.
    with pytest.raises(ConnectionResetError):
        await conn.protocol.drain()


async def test_connection_lost_error_is_chained() -> None:
    protocol = BaseProtocol()
    cause = OSError("boom")
    protocol.connection_lost(cause)
    with pytest.raises(ConnectionResetError) as info:
        await protocol.drain()
    assert info.value.__cause__ is cause


async def test_cancelled_drain_does_not_linger(loopback) -> None:
    conn = await loopback()
    await fill_until_paused(conn)
    drain = asyncio.create_task(conn.protocol.drain())
    await asyncio.sleep(0.01)
    drain.cancel()
    with pytest.raises(asyncio.CancelledError):
        await drain
    # A later waiter still wakes normally.
    second = asyncio.create_task(conn.protocol.drain())
    await asyncio.sleep(0.01)
    conn.protocol.resume_writing()
    await asyncio.wait_for(second, 1)


async def test_pause_and_resume_reading(loopback) -> None:
    conn = await loopback()
    transport = conn.protocol.transport
    assert transport is not None
    received: list[bytes] = []
    conn.protocol.on_data = received.append

    conn.protocol.pause_reading()
    conn.protocol.pause_reading()  # idempotent
    assert conn.protocol.reading_paused
    assert not transport.is_reading()
    conn.writer.write(b"hello")
    await conn.writer.drain()
    await asyncio.sleep(0.05)
    assert received == []  # nothing read while paused

    conn.protocol.resume_reading()
    conn.protocol.resume_reading()  # idempotent
    assert not conn.protocol.reading_paused
    assert transport.is_reading()
    for _ in range(100):
        if received:
            break
        await asyncio.sleep(0.01)
    assert b"".join(received) == b"hello"


async def test_pause_reading_is_safe_after_close(loopback) -> None:
    conn = await loopback()
    assert conn.protocol.transport is not None
    conn.protocol.transport.close()
    conn.protocol.pause_reading()
    conn.protocol.resume_reading()
    await asyncio.sleep(0.01)
    conn.protocol.pause_reading()
    conn.protocol.resume_reading()


class _WritePipeLike(asyncio.Transport):
    """A transport that cannot pause reading, like a write-only pipe."""

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        raise NotImplementedError

    def resume_reading(self) -> None:
        raise NotImplementedError


def test_pause_reading_tolerates_transports_without_it() -> None:
    protocol = BaseProtocol()
    protocol.connection_made(_WritePipeLike())
    protocol.pause_reading()
    assert protocol.reading_paused
    protocol.resume_reading()
    assert not protocol.reading_paused
