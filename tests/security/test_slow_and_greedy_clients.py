"""Clients that hold resources: slow heads and bodies, idle crowds, pipelining floods,
and readers that never read. Deadlines are configured small so every test is quick."""

from __future__ import annotations

import asyncio
import tracemalloc

from server_helpers import ok, serve

from heron import web

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def test_slow_loris_head_is_cut_at_the_deadline() -> None:
    loop = asyncio.get_running_loop()
    async with serve(ok, request_head_timeout=0.3) as srv:
        conn = await srv.connect()
        start = loop.time()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
        reading = asyncio.ensure_future(conn.read_all(timeout=2))
        for i in range(40):  # a header every 25 ms, never finishing the head
            if reading.done():
                break
            conn.send(b"X-%d: %s\r\n" % (i, b"y" * 10))
            await asyncio.sleep(0.025)
        data = await reading
        await conn.close()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert 0.25 < loop.time() - start < 1.0


async def test_slow_loris_body_is_cut_at_the_deadline() -> None:
    loop = asyncio.get_running_loop()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(body=await request.read())

    async with serve(handler, body_read_timeout=0.3) as srv:
        conns = [await srv.connect() for _ in range(5)]
        start = loop.time()
        for conn in conns:
            conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nsome")
        replies = await asyncio.gather(*(conn.read_all(timeout=2) for conn in conns))
        elapsed = loop.time() - start
        for conn in conns:
            await conn.close()
        assert srv.server.connections == []
    assert all(r.startswith(b"HTTP/1.1 408 ") for r in replies)
    assert 0.25 < elapsed < 1.0


async def test_idle_connections_are_closed_by_the_keep_alive_timeout() -> None:
    async with serve(ok, keepalive_timeout=0.3, request_head_timeout=0.3) as srv:
        conns = [await srv.connect() for _ in range(50)]
        for conn in conns:
            conn.send(GET)
        for conn in conns:
            assert (await conn.response()).status == 200
        silent = [await srv.connect() for _ in range(20)]  # never send a byte
        closed = await asyncio.gather(*(c.closed_by_server(timeout=2) for c in conns + silent))
        assert all(closed)
        assert srv.server.connections == []
        for conn in conns + silent:
            await conn.close()


async def test_thousand_pipelined_requests_in_order_with_bounded_memory() -> None:
    body = b"r" * 16_384  # 16 MB of answers in all: more than socket buffers hold

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(body=body, headers={"X-N": request.path[1:]})

    async with serve(handler) as srv:
        conn = await srv.connect()
        tracemalloc.start()
        try:
            conn.send(b"".join(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(1000)))
            await asyncio.sleep(0.2)  # let the server run into back-pressure
            order = []
            for _ in range(1000):
                reply = await conn.response(timeout=5)
                assert len(reply.body) == len(body)
                order.append(int(reply.headers["X-N"]))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        await conn.close()
    assert order == list(range(1000))
    assert peak < 8 * 2**20, peak  # far less than the 16 MB of responses


async def test_client_that_never_reads_pauses_the_handler() -> None:
    chunk = b"z" * 65536
    written: list[int] = []
    buffered: list[int] = []
    done = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        transport = request.transport
        assert transport is not None
        try:
            for _ in range(4000):  # 256 MB if nothing held it back
                await resp.write(chunk)
                written.append(len(chunk))
                buffered.append(transport.get_write_buffer_size())
        finally:
            done.set()
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(GET)
        await asyncio.sleep(0.5)  # the client reads nothing
        stalled_at = sum(written)
        await asyncio.sleep(0.2)
        assert sum(written) == stalled_at  # the handler waits in write()
        assert stalled_at < 64 * 2**20  # kernel buffers, not the whole body
        assert max(buffered) <= 2**20  # user-space buffer stays at the high-water mark
        conn.writer.transport.abort()  # the client goes away: the handler is released
        await asyncio.wait_for(done.wait(), 2)
        await conn.close()
