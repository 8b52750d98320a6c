"""After ``switch_protocol`` the transport talks to the new protocol directly.

Bytes go straight to ``on_data``; what the transport reports besides bytes (write
back-pressure, EOF, loss) must still reach the connection, so that ``drain()``,
``on_lost`` and the server's list of connections keep working.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

from server_helpers import serve

from heron import web

UPGRADE = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n"


def _switching(
    events: list[object], writes: int = 0
) -> Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]:
    """A handler that upgrades, records what it sees and echoes bytes back."""

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse(status=101, headers={"Upgrade": "raw", "Connection": "Upgrade"})
        await resp.prepare(request)
        lost = asyncio.get_running_loop().create_future()
        transport = request.transport
        protocol = request.protocol
        assert transport is not None

        def on_data(data: bytes) -> None:
            events.append(data)
            transport.write(data)

        def on_lost(exc: BaseException | None) -> None:
            events.append("lost")
            if not lost.done():
                lost.set_result(None)

        protocol.switch_protocol(on_data, on_lost)
        if writes:
            transport.set_write_buffer_limits(high=4096)
            sock = transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            for _ in range(writes):
                transport.write(b"x" * 65536)
                await protocol.drain()  # waits for resume_writing
            events.append("drained")
        await lost
        return resp

    return handler


async def test_bytes_after_the_switch_reach_on_data() -> None:
    events: list[object] = []
    async with serve(_switching(events)) as srv:
        conn = await srv.connect()
        conn.send(UPGRADE + b"early")
        await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), 2)
        assert await asyncio.wait_for(conn.reader.readexactly(5), 2) == b"early"
        for chunk in (b"one", b"two"):
            conn.send(chunk)
            assert await asyncio.wait_for(conn.reader.readexactly(3), 2) == chunk
        assert len(srv.server.connections) == 1
        await conn.close()
        for _ in range(100):
            if not srv.server.connections:
                break
            await asyncio.sleep(0.01)
        # The loss reached the connection: on_lost ran and the server forgot it.
        assert events[-1] == "lost"
        assert srv.server.connections == []


async def test_eof_from_the_peer_ends_the_upgraded_connection() -> None:
    events: list[object] = []
    async with serve(_switching(events)) as srv:
        conn = await srv.connect()
        conn.send(UPGRADE)
        await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), 2)
        conn.writer.write_eof()
        assert await conn.closed_by_server()
        await conn.close()
    assert events == ["lost"]


async def test_drain_waits_for_a_slow_peer_after_the_switch() -> None:
    events: list[object] = []
    loop = asyncio.get_running_loop()
    async with serve(_switching(events, writes=8)) as srv:
        sock = socket.socket()
        try:
            # Small buffers on both sides: 512 KiB cannot all fit in the kernel.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await loop.sock_connect(sock, (srv.host, srv.port))
            await loop.sock_sendall(sock, UPGRADE)
            await asyncio.sleep(0.1)  # the peer reads nothing: the server must wait
            assert "drained" not in events
            received = 0
            while "drained" not in events:
                data = await asyncio.wait_for(loop.sock_recv(sock, 65536), 2)
                assert data
                received += len(data)
            assert received > 7 * 65536
        finally:
            sock.close()


async def test_transport_that_cannot_switch_keeps_forwarding() -> None:
    # A third-party transport without set_protocol(): the connection forwards.
    events: list[object] = []
    server = web.Server(_switching(events))
    loop = asyncio.get_running_loop()
    server._loop = loop
    written: list[bytes] = []

    class Plain(asyncio.Transport):
        def write(self, data: bytes | bytearray | memoryview) -> None:
            written.append(bytes(data))

        def is_closing(self) -> bool:
            return False

        def close(self) -> None:
            pass

        def get_extra_info(self, name: str, default: object = None) -> object:
            return default

    protocol = server()
    protocol.connection_made(Plain())
    protocol.data_received(UPGRADE)
    for _ in range(20):
        await asyncio.sleep(0)
        if written:
            break
    assert written and written[0].startswith(b"HTTP/1.1 101 ")
    protocol.data_received(b"later")
    assert events == [b"later"] and written[-1] == b"later"
    protocol.connection_lost(None)
    for _ in range(20):
        await asyncio.sleep(0)
    assert events[-1] == "lost"


async def test_websocket_over_tls_after_the_switch() -> None:
    # TLS transports switch protocols too (asyncio's SSL transport forwards to it).
    import ssl

    import aiohttp
    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data.upper())
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as session:
            url = f"https://127.0.0.1:{port}/ws"
            async with session.ws_connect(url, ssl=client_ctx) as ws:
                for word in ("one", "two"):
                    await ws.send_str(word)
                    assert (await asyncio.wait_for(ws.receive(), 2)).data == word.upper()
    finally:
        await runner.cleanup()
