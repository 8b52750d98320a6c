"""Idle kept-alive connections: small, and correct when their parser is pooled.

An idle connection gives its request parser back to a pool shared by the server's
connections and takes one again with the first byte of its next request. These tests
pin that requests split at any point, closing requests, upgrades and errors on some
connections never disturb requests on the others, and that an idle connection stays
small.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import tracemalloc

from server_helpers import Conn, Running, serve

from heron import web


async def echo_path(request: web.BaseRequest) -> web.StreamResponse:
    body = await request.read()
    return web.Response(text=f"{request.method} {request.path} {len(body)}")


async def get(conn: Conn, path: str) -> str:
    conn.send(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return (await conn.response()).body.decode()


async def busy_others(srv: Running, rounds: int = 3) -> None:
    """Requests on fresh connections, taking and returning pooled parsers."""
    conns = [await srv.connect() for _ in range(3)]
    for i in range(rounds):
        for n, conn in enumerate(conns):
            assert await get(conn, f"/other{n}-{i}") == f"GET /other{n}-{i} 0"
    for conn in conns:
        await conn.close()


async def test_next_request_split_after_its_first_bytes_while_others_run() -> None:
    async with serve(echo_path) as srv:
        conn = await srv.connect()
        for tail in (b"G", b"GE", b"GET ", b"GET /sp", b"GET /split HTTP/1.1\r\nHo"):
            # A full request followed by the first bytes of the next one.
            conn.send(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n" + tail)
            assert (await conn.response()).body == b"GET /first 0"
            await busy_others(srv)
            rest = b"GET /split HTTP/1.1\r\nHost: x\r\n\r\n"[len(tail) :]
            conn.send(rest)
            assert (await conn.response()).body == b"GET /split 0"
        await conn.close()


async def test_body_split_across_idle_moments() -> None:
    async with serve(echo_path) as srv:
        conn = await srv.connect()
        conn.send(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
        await asyncio.sleep(0.02)
        await busy_others(srv, rounds=1)
        conn.send(b"56789")
        assert (await conn.response()).body == b"POST /up 10"
        assert await get(conn, "/after") == "GET /after 0"
        await conn.close()


async def test_closing_requests_do_not_disturb_other_connections() -> None:
    async with serve(echo_path) as srv:
        for closing in (
            b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            b"GET /c HTTP/1.0\r\n\r\n",
            b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
            b"GET /c HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
        ):
            conn = await srv.connect()
            conn.send(closing)
            await conn.response()
            await conn.close()
            await busy_others(srv, rounds=2)


async def test_many_connections_reuse_parsers_in_turn() -> None:
    async with serve(echo_path) as srv:
        conns = [await srv.connect() for _ in range(20)]
        for i in range(3):
            for n, conn in enumerate(conns):
                assert await get(conn, f"/c{n}/{i}") == f"GET /c{n}/{i} 0"
        for conn in conns:
            await conn.close()


async def test_idle_keep_alive_connections_stay_small() -> None:
    """Each idle kept-alive connection costs a few KiB, transport included."""
    count = 200
    request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    async with serve(echo_path) as srv:
        loop = asyncio.get_running_loop()

        async def open_one() -> socket.socket:
            sock = socket.socket()
            sock.setblocking(False)
            await loop.sock_connect(sock, (srv.host, srv.port))
            await loop.sock_sendall(sock, request)
            data = b""
            while not data.endswith(b"GET / 0"):
                data += await loop.sock_recv(sock, 4096)
            return sock

        for sock in [await open_one() for _ in range(10)]:  # warm up
            sock.close()
        await asyncio.sleep(0.05)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            socks = [await open_one() for _ in range(count)]
            await asyncio.sleep(0.05)
            gc.collect()
            per_conn = (tracemalloc.get_traced_memory()[0] - before) / count
        finally:
            tracemalloc.stop()
        for sock in socks:
            sock.close()
    # About 3.3 KiB measured (with the client's socket objects); 8.5 KiB before
    # parsers were pooled and the protocol got slots.
    assert per_conn < 5000, per_conn
