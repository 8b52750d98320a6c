"""Client WebSockets (`ClientSession.ws_connect`, `ClientWebSocketResponse`).

Peers: heron's server, and hand-made raw-socket servers that misbehave on purpose.
Interop with independent servers (websockets, aiohttp) lives in tests/interop.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import pytest
from websocket_helpers import RawPeer, raw_ws_server, serve_ws

import heron
from heron import WSCloseCode, WSMsgType, web
from heron.client.websocket import ws_connect


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(protocols=("chat", "v2"))
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def test_defaults() -> None:
    """B-082: protocols=(), timeout 10 s to close, autoclose/autoping on, no origin."""
    params = inspect.signature(ws_connect).parameters
    assert params["protocols"].default == ()
    assert params["autoclose"].default is True
    assert params["autoping"].default is True
    assert params["origin"].default is None
    assert params["compress"].default == 0
    assert params["max_msg_size"].default == 4 * 1024 * 1024
    assert (
        heron.ClientWSTimeout(ws_receive=None, ws_close=10.0)
        == heron.client.websocket.DEFAULT_WS_CLIENT_TIMEOUT
    )


# -- the handshake --------------------------------------------------------------------------


async def test_refused_handshake_raises_with_the_status() -> None:
    """B-083: a plain answer (404, 200) raises WSServerHandshakeError with its status."""

    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="not a websocket")

    async with serve_ws(plain) as served, heron.ClientSession() as session:
        with pytest.raises(heron.WSServerHandshakeError) as info:
            await session.ws_connect(served.url)
        assert info.value.status == 200
        assert info.value.headers is not None
        with pytest.raises(heron.WSServerHandshakeError) as info:
            await session.ws_connect(served.url.replace("/ws", "/missing"))
        assert info.value.status == 404
        assert isinstance(info.value, heron.ClientResponseError)


async def test_bad_101_answers_are_refused() -> None:
    async def nothing(peer: RawPeer) -> None:
        await peer.receive()
        peer.send_close()

    async with heron.ClientSession() as session:
        async with raw_ws_server(nothing) as url:
            # A plain 101 without extensions answers an offer of none (or of deflate).
            ws = await session.ws_connect(url, compress=15)
            assert ws.protocol is None
            assert ws.compress == 0
            await ws.close()
        async with raw_ws_server(nothing, status_line="HTTP/1.1 200 OK") as url:
            with pytest.raises(heron.WSServerHandshakeError) as info:
                await session.ws_connect(url)
            assert info.value.status == 200


async def test_wrong_accept_key_is_refused() -> None:
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: d3Jvbmc=\r\n"
            b"Sec-WebSocket-Protocol: unoffered\r\n\r\n"
        )
        await reader.read()  # until the client hangs up
        writer.close()
        await writer.wait_closed()
        done.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with heron.ClientSession() as session:
            with pytest.raises(heron.WSServerHandshakeError) as info:
                await session.ws_connect(f"ws://127.0.0.1:{port}/")
            assert info.value.status == 101
            assert "Sec-WebSocket-Accept" in info.value.message
        await asyncio.wait_for(done.wait(), 2)
    finally:
        server.close()
        await server.wait_closed()


async def test_request_options_reach_the_server() -> None:
    """B-084 (origin) plus headers, params and auth on the upgrade request."""
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        seen.update(
            origin=request.headers.get("Origin"),
            custom=request.headers.get("X-Custom"),
            auth=request.headers.get("Authorization"),
            query=dict(request.query),
            extensions=request.headers.get("Sec-WebSocket-Extensions"),
            method=request.method,
        )
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    async with (
        serve_ws(handler) as served,
        heron.ClientSession() as session,
        session.ws_connect(
            served.url,
            origin="http://x",
            headers={"X-Custom": "1"},
            params={"q": "v"},
            auth=heron.BasicAuth("user", "pass"),
        ) as ws,
    ):
        await ws.receive()
    assert seen == {
        "origin": "http://x",
        "custom": "1",
        "auth": heron.BasicAuth("user", "pass").encode(),
        "query": {"q": "v"},
        "extensions": None,  # compress=0 offers nothing
        "method": "GET",
    }


async def test_protocol_is_the_accepted_subprotocol() -> None:
    """B-092."""
    async with serve_ws(echo) as served, heron.ClientSession() as session:
        async with session.ws_connect(served.url, protocols=["v2", "chat"]) as ws:
            assert ws.protocol == "v2"
        async with session.ws_connect(served.url) as ws:
            assert ws.protocol is None
            assert ws.get_extra_info("peername")[0] == "127.0.0.1"


async def test_awaitable_and_context_manager_forms() -> None:
    async with serve_ws(echo) as served, heron.ClientSession() as session:
        ws = await session.ws_connect(served.url)
        assert isinstance(ws, heron.ClientWebSocketResponse)
        await ws.send_str("a")
        assert await ws.receive_str() == "a"
        assert await ws.close() is True
        assert await ws.close() is False
        assert ws.closed and ws.close_code == WSCloseCode.OK
        async with session.ws_connect(served.url) as ws2:
            async with ws2:
                pass
            assert ws2.closed


# -- messages -------------------------------------------------------------------------------


async def test_typed_api_errors() -> None:
    """B-088, B-090, B-091."""
    async with (
        serve_ws(echo) as served,
        heron.ClientSession() as session,
        session.ws_connect(served.url) as ws,
    ):
        with pytest.raises(TypeError):
            await ws.send_str(b"x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_bytes("x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_json([1], dumps=lambda obj: b"[1]")  # type: ignore[arg-type,return-value]
        await ws.send_bytes(b"bin")
        with pytest.raises(TypeError):
            await ws.receive_str()
        await ws.send_str("txt")
        with pytest.raises(TypeError):
            await ws.receive_bytes()
        await ws.send_str("{bad")
        with pytest.raises(ValueError):
            await ws.receive_json()
        await ws.send_json({"k": "v"}, dumps=json.dumps)
        assert await ws.receive_json() == {"k": "v"}
        await ws.send_frame(b"raw", WSMsgType.TEXT)
        assert await ws.receive_str() == "raw"
        with pytest.raises(ValueError):
            await ws.send_frame(b"", WSMsgType.CLOSE)


async def test_async_for_stops_when_the_server_closes() -> None:
    """B-086 and B-093: a server CLOSE completes the handshake; iteration ends."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for i in range(3):
            await ws.send_str(str(i))
        await ws.close(code=4003, message=b"enough")
        return ws

    async with serve_ws(handler) as served, heron.ClientSession() as session:
        ws = await session.ws_connect(served.url)
        got = [msg.data async for msg in ws]
        assert got == ["0", "1", "2"]
        assert ws.closed
        assert ws.close_code == 4003
        assert (await ws.receive()).type is WSMsgType.CLOSED


async def test_close_sends_1000_and_waits_for_the_server() -> None:
    """B-087."""
    got: list[Any] = []

    async def on_open(peer: RawPeer) -> None:
        msg = await peer.receive()
        got.append((msg.type, msg.data))
        await asyncio.sleep(0.1)  # the client must wait for our answer
        peer.send_close(4010)
        await peer.at_eof()

    async with raw_ws_server(on_open) as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url)
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await ws.close() is True
        assert loop.time() - start >= 0.1
        assert ws.close_code == 4010
    assert got == [(WSMsgType.CLOSE, WSCloseCode.OK)]


async def test_close_timeout_gives_up_with_1006() -> None:
    async def on_open(peer: RawPeer) -> None:
        await peer.receive()
        await asyncio.sleep(2)  # never answer

    async with raw_ws_server(on_open) as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url, timeout=heron.ClientWSTimeout(ws_close=0.1))
        assert await ws.close() is True
        assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
        assert isinstance(ws.exception(), asyncio.TimeoutError)
        # The deprecated number form of `timeout` means the close timeout too.
        ws = await session.ws_connect(url, timeout=0.1)
        assert await asyncio.wait_for(ws.close(), 1) is True
        assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE


async def test_autoping_and_ping_payloads() -> None:
    """B-085 (a server PING is answered, never returned) and B-089 (str pings)."""
    got: list[Any] = []

    async def on_open(peer: RawPeer) -> None:
        peer.send_frame(0x9, b"hello?")
        got.append(await peer.receive())
        got.append(await peer.receive())
        peer.send_frame(0x1, b"after ping")
        await peer.receive()  # the client's CLOSE
        peer.send_close()

    async with (
        raw_ws_server(on_open) as url,
        heron.ClientSession() as session,
        session.ws_connect(url) as ws,
    ):
        await ws.ping("é")
        msg = await ws.receive()
        assert (msg.type, msg.data) == (WSMsgType.TEXT, "after ping")
    assert [(m.type, m.data) for m in got] == [
        (WSMsgType.PONG, b"hello?"),
        (WSMsgType.PING, "é".encode()),
    ]


async def test_autoping_and_autoclose_off() -> None:
    got: list[Any] = []

    async def on_open(peer: RawPeer) -> None:
        peer.send_frame(0x9, b"p")
        peer.send_close(4000)
        got.append(await peer.receive())
        await peer.at_eof()

    async with raw_ws_server(on_open) as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url, autoping=False, autoclose=False)
        ping = await ws.receive()
        assert (ping.type, ping.data) == (WSMsgType.PING, b"p")
        close = await ws.receive()
        assert (close.type, close.data) == (WSMsgType.CLOSE, 4000)
        assert not ws.closed
        assert (await ws.receive()).type is WSMsgType.CLOSING
        await ws.pong(b"late")
        assert await ws.close() is True
        assert ws.closed and ws.close_code == 4000
        await asyncio.sleep(0.05)  # let the raw server look at what it got
    assert [(m.type, m.data) for m in got] == [(WSMsgType.PONG, b"late")]


# -- failures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (dict(opcode=0x1, payload=b"masked", mask=True), WSCloseCode.PROTOCOL_ERROR),
        (dict(opcode=0x1, payload=b"\xc3\x28"), WSCloseCode.INVALID_TEXT),
        (dict(opcode=0x2, payload=b"y" * 600), WSCloseCode.MESSAGE_TOO_BIG),
        (dict(opcode=0x9, payload=b"z" * 126), WSCloseCode.PROTOCOL_ERROR),
    ],
)
async def test_misbehaving_server_gets_the_right_close_code(
    frame: dict[str, Any], code: int
) -> None:
    got: list[Any] = []

    async def on_open(peer: RawPeer) -> None:
        peer.send_frame(**frame)
        got.append(await peer.receive())

    async with raw_ws_server(on_open) as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url, max_msg_size=500)
        msg = await ws.receive()
        assert msg.type is WSMsgType.ERROR
        assert isinstance(msg.data, heron.WebSocketError)
        assert ws.exception() is msg.data
        assert (ws.closed, ws.close_code) == (True, code)
        assert (await ws.receive()).type is WSMsgType.CLOSED
        await asyncio.sleep(0.05)
    assert [(m.type, m.data) for m in got] == [(WSMsgType.CLOSE, code)]


async def test_abrupt_disconnect_and_sends_after_it() -> None:
    async def on_open(peer: RawPeer) -> None:
        peer.send_frame(0x1, b"bye")

    async with raw_ws_server(on_open) as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url)
        assert await ws.receive_str() == "bye"
        msg = await ws.receive()
        assert msg.type is WSMsgType.CLOSED
        assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE
        with pytest.raises(ConnectionResetError):
            await ws.send_str("anyone?")
        with pytest.raises(heron.ClientConnectionResetError):
            await ws.ping()
        assert await ws.close() is False


# -- timers ---------------------------------------------------------------------------------


async def test_receive_timeouts() -> None:
    async with serve_ws(echo) as served, heron.ClientSession() as session:
        async with session.ws_connect(served.url, receive_timeout=0.05) as ws:
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive()
            await ws.send_str("still open")
            assert await ws.receive_str() == "still open"
        timeout = heron.ClientWSTimeout(ws_receive=0.05, ws_close=1)
        async with session.ws_connect(served.url, timeout=timeout) as ws:
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive_bytes()
            with pytest.raises(asyncio.TimeoutError):
                await ws.receive(timeout=0.01)
        with pytest.raises(ValueError):
            await session.ws_connect(served.url, timeout=timeout, receive_timeout=1)


async def test_heartbeat_gives_up_on_a_silent_server() -> None:
    pings: list[Any] = []

    async def on_open(peer: RawPeer) -> None:
        pings.append(await peer.receive(timeout=1))  # read, never answer
        await peer.at_eof()

    async with raw_ws_server(on_open) as url, heron.ClientSession() as session:
        ws = await session.ws_connect(url, heartbeat=0.1)
        msg = await asyncio.wait_for(ws.receive(), 1)
        assert msg.type is WSMsgType.ERROR
        assert isinstance(msg.data, heron.ServerTimeoutError)
        assert (ws.closed, ws.close_code) == (True, WSCloseCode.ABNORMAL_CLOSURE)
    assert [m.type for m in pings] == [WSMsgType.PING]


async def test_heartbeat_with_a_live_server() -> None:
    async with (
        serve_ws(echo) as served,
        heron.ClientSession() as session,
        session.ws_connect(served.url, heartbeat=0.05) as ws,
    ):
        await asyncio.sleep(0.3)
        await ws.send_str("ok")
        assert await ws.receive_str() == "ok"
        assert not ws.closed


async def test_compress_option() -> None:
    async with serve_ws(echo) as served, heron.ClientSession() as session:
        async with session.ws_connect(served.url, compress=15) as ws:
            assert ws.compress == 15
            assert not ws.client_notakeover
            big = "abc" * 10000
            await ws.send_str(big)
            assert await ws.receive_str() == big
            await ws.send_bytes(b"plain", compress=False)
            assert await ws.receive_bytes() == b"plain"
        async with session.ws_connect(served.url, compress=10) as ws:
            assert ws.response.headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; server_max_window_bits=10"
            )
            await ws.send_str(big)
            assert await ws.receive_str() == big
        with pytest.raises(ValueError):
            await session.ws_connect(served.url, compress=3)
