"""WebSocket interop over 127.0.0.1 with independent implementations.

heron's server against the `websockets` library's client and aiohttp's client; heron's
client against the `websockets` server and aiohttp's server. With and without
permessage-deflate, large and fragmented messages, pings, close handshakes from
either side.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
import websockets.asyncio.client as ws_client
import websockets.asyncio.server as ws_server
from aiohttp import web as aio_web
from websocket_helpers import serve_ws
from websockets.exceptions import ConnectionClosed

import heron
from heron import WSCloseCode, WSMsgType, web

BIG_TEXT = "heron and websockets agree. " * 40000  # ~1.1 MB, compresses well
BIG_BINARY = os.urandom(300_000)  # does not compress


async def heron_echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("echo",))
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            if msg.data == "close please":
                await ws.close(code=4002, message=b"as asked")
            else:
                await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


# -- heron server, websockets client ------------------------------------------------------


@pytest.mark.parametrize("compression", ["deflate", None])
async def test_websockets_client_against_heron_server(compression: str | None) -> None:
    async with serve_ws(heron_echo) as served:
        async with ws_client.connect(
            served.url, compression=compression, max_size=None, subprotocols=["echo"]
        ) as client:
            assert client.subprotocol == "echo"
            extensions = client.response.headers.get("Sec-WebSocket-Extensions")
            assert (extensions is not None) == (compression is not None)
            for message in ("short", BIG_TEXT, BIG_BINARY, b""):
                await client.send(message)
                assert await client.recv() == message
            # A fragmented message, with a ping between its fragments.
            await client.send(["frag", "mented ", "text"])
            assert await client.recv() == "fragmented text"
            pong = await client.ping(b"ping-data")
            await asyncio.wait_for(pong, 1)
            await client.close(code=4001, reason="client done")
        assert client.close_code == 4001  # heron echoed the code


async def test_heron_server_closes_websockets_client() -> None:
    async with serve_ws(heron_echo) as served:
        async with ws_client.connect(served.url) as client:
            await client.send("close please")
            with pytest.raises(ConnectionClosed) as info:
                await client.recv()
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4002, "as asked")


async def test_heron_server_sees_websockets_client_close_code() -> None:
    codes: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        msg = await ws.receive()
        codes.append((msg.type, msg.data, msg.extra, ws.close_code))
        return ws

    async with serve_ws(handler) as served, ws_client.connect(served.url) as client:
        await client.close(code=1001, reason="tab closed")
    assert codes == [(WSMsgType.CLOSE, 1001, "tab closed", 1001)]


async def test_heron_server_heartbeat_with_websockets_client() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=0.05)
        await ws.prepare(request)
        await asyncio.sleep(0.3)  # heartbeats go on while the handler is busy
        await ws.send_str("still here" if not ws.closed else "closed")
        await ws.close()
        return ws

    async with serve_ws(handler) as served, ws_client.connect(served.url) as client:
        assert await asyncio.wait_for(client.recv(), 2) == "still here"


# -- heron client, websockets server ---------------------------------------------------------


@asynccontextmanager
async def websockets_server(**kwargs: Any) -> AsyncIterator[str]:
    async def handler(conn: ws_server.ServerConnection) -> None:
        async for message in conn:
            if message == "fragments":
                await conn.send(["one ", "two ", "three"])
            elif message == "ping me":
                await asyncio.wait_for(await conn.ping(b"server ping"), 1)
                await conn.send("pong seen")
            elif message == "close please":
                await conn.close(code=4003, reason="server done")
            else:
                await conn.send(message)

    async with ws_server.serve(handler, "127.0.0.1", 0, max_size=None, **kwargs) as server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


@pytest.mark.parametrize("compress", [15, 0])
async def test_heron_client_against_websockets_server(compress: int) -> None:
    async with websockets_server() as url, heron.ClientSession() as session:
        async with session.ws_connect(url, compress=compress, heartbeat=5) as ws:
            assert bool(ws.compress) == bool(compress)
            for message in ("hello", BIG_TEXT):
                await ws.send_str(message)
                assert await ws.receive_str() == message
            for data in (BIG_BINARY, b""):
                await ws.send_bytes(data)
                assert await ws.receive_bytes() == data
            await ws.send_str("fragments")
            assert await ws.receive_str() == "one two three"
            await ws.send_str("ping me")
            assert await ws.receive_str() == "pong seen"  # autoping answered
            await ws.close()
        assert ws.close_code == WSCloseCode.OK


async def test_websockets_server_closes_heron_client() -> None:
    async with websockets_server() as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url)
        await ws.send_str("close please")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4003, "server done")
        assert ws.closed
        assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_heron_client_subprotocol_with_websockets_server() -> None:
    async with (
        websockets_server(subprotocols=["b", "a"]) as url,
        heron.ClientSession() as session,
        session.ws_connect(url, protocols=["a", "b"]) as ws,
    ):
        assert ws.protocol in ("a", "b")


# -- aiohttp as the peer ---------------------------------------------------------------------


@asynccontextmanager
async def aiohttp_server() -> AsyncIterator[str]:
    async def handler(request: aio_web.Request) -> aio_web.WebSocketResponse:
        ws = aio_web.WebSocketResponse(heartbeat=0.1)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT and msg.data == "close please":
                await ws.close(code=4004, message=b"aiohttp done")
            elif msg.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = aio_web.Application()
    app.router.add_get("/", handler)
    runner = aio_web.AppRunner(app)
    await runner.setup()
    site = aio_web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("compress", [15, 0])
async def test_heron_client_against_aiohttp_server(compress: int) -> None:
    async with (
        aiohttp_server() as url,
        heron.ClientSession() as session,
        session.ws_connect(url, compress=compress) as ws,
    ):
        assert bool(ws.compress) == bool(compress)
        await ws.send_str(BIG_TEXT)
        assert await ws.receive_str() == BIG_TEXT
        await ws.send_bytes(BIG_BINARY)
        assert await ws.receive_bytes() == BIG_BINARY
        await asyncio.sleep(0.3)  # aiohttp's heartbeat pings; we answer
        await ws.send_str("close please")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4004, "aiohttp done")


@pytest.mark.parametrize("compress", [15, 0])
async def test_aiohttp_client_against_heron_server(compress: int) -> None:
    async with (
        serve_ws(heron_echo) as served,
        aiohttp.ClientSession() as session,
        session.ws_connect(served.url, compress=compress, max_msg_size=0) as ws,
    ):
        assert bool(ws.compress) == bool(compress)
        await ws.send_str(BIG_TEXT)
        assert (await ws.receive()).data == BIG_TEXT
        await ws.send_bytes(BIG_BINARY)
        assert (await ws.receive()).data == BIG_BINARY
        await ws.send_str("close please")
        msg = await ws.receive()
        assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 4002, "as asked")
