"""Server WebSockets (`web.WebSocketResponse`) over real sockets: API, handshake, closing.

Peers: heron's own client, and hand-made raw-socket clients for what a library would
never send. Interop with independent implementations lives in tests/interop.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websocket_helpers import Handler, RawPeer, raw_client, serve_ws

import heron
from heron import ClientWebSocketResponse, WSCloseCode, WSMessage, WSMsgType, web
from heron.ws import generate_key

OnOpen = Callable[[web.WebSocketResponse], Awaitable[None]]


async def echo(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data + "/answer")
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


def prepared(**ws_kwargs: Any) -> Callable[[OnOpen], Handler]:
    """Decorator: a handler that gets ``WebSocketResponse(**ws_kwargs)``, already prepared.

    The request handler made from it returns the WebSocket once the function returns.
    """

    def decorate(on_open: OnOpen) -> Handler:
        async def handler(request: web.Request) -> web.WebSocketResponse:
            ws = web.WebSocketResponse(**ws_kwargs)
            await ws.prepare(request)
            await on_open(ws)
            return ws

        return handler

    return decorate


@asynccontextmanager
async def heron_peer(handler: Handler) -> AsyncIterator[ClientWebSocketResponse]:
    """Serve ``handler`` and connect heron's own client to it."""
    async with (
        serve_ws(handler) as served,
        heron.ClientSession() as session,
        session.ws_connect(served.url) as ws,
    ):
        yield ws


@asynccontextmanager
async def raw_peer(handler: Handler) -> AsyncIterator[RawPeer]:
    """Serve ``handler`` and connect a hand-made client, to send what a library would not."""
    async with serve_ws(handler) as served:
        peer, _ = await raw_client(served)
        yield peer


# -- construction and the handshake (B-176 .. B-179, B-182) ------------------------------


def test_defaults() -> None:
    """B-176: timeout=10.0, autoclose and autoping on, no protocols."""
    params = inspect.signature(web.WebSocketResponse).parameters
    assert params["timeout"].default == 10.0
    assert params["autoclose"].default is True
    assert params["autoping"].default is True
    assert params["protocols"].default == ()
    assert params["receive_timeout"].default is None
    assert params["heartbeat"].default is None
    assert params["compress"].default is True
    assert params["max_msg_size"].default == 4 * 1024 * 1024


async def test_can_prepare_and_prepare_refuse_a_plain_request() -> None:
    """B-177/B-178: can_prepare answers (False, None); prepare raises an HTTPException."""
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        ready = ws.can_prepare(request)
        seen["ready"] = ready
        seen["bool"] = bool(ready)
        try:
            await ws.prepare(request)
        except web.HTTPException as exc:
            seen["status"] = exc.status
            raise
        return ws

    async with (
        serve_ws(handler) as served,
        heron.ClientSession() as session,
        session.get(served.http_url) as resp,
    ):
        assert resp.status == 400
    assert seen == {"ready": web.WebSocketReady(False, None), "bool": False, "status": 400}


async def test_wrong_method_and_version_are_refused() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        return ws

    app = web.Application()
    app.router.add_post("/ws", handler)
    async with serve_ws(handler, app=app) as served:
        reader, writer = await asyncio.open_connection(served.host, served.port)
        key = generate_key()
        writer.write(
            b"POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key.encode() + b"\r\nSec-WebSocket-Version: 13\r\n"
            b"Content-Length: 0\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"HTTP/1.1 405 ")
        assert b"Allow: GET" in head
        writer.close()
        reader, writer = await asyncio.open_connection(served.host, served.port)
        writer.write(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key.encode() + b"\r\nSec-WebSocket-Version: 99\r\n\r\n"
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"HTTP/1.1 426 ")
        assert b"Sec-WebSocket-Version: 13, 8, 7" in head
        writer.close()


async def test_subprotocol_follows_the_clients_order() -> None:
    """B-179: client ['a', 'b'] vs server ('b', 'a') gives 'a'; no overlap gives None."""
    chosen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("b", "a"))
        chosen.append(ws.can_prepare(request))
        await ws.prepare(request)
        chosen.append(ws.ws_protocol)
        await ws.close()
        return ws

    async with serve_ws(handler) as served, heron.ClientSession() as session:
        async with session.ws_connect(served.url, protocols=("a", "b")) as ws:
            assert ws.protocol == "a"
            assert (await ws.receive()).type is WSMsgType.CLOSE
        async with session.ws_connect(served.url, protocols=("c",)) as ws:
            assert ws.protocol is None
            await ws.receive()
    assert chosen == [web.WebSocketReady(True, "a"), "a", web.WebSocketReady(True, None), None]


async def test_methods_before_prepare_raise_runtime_error() -> None:
    """B-180: sending, pinging, receiving or closing before prepare() is an error."""
    ws = web.WebSocketResponse()
    for call in (
        ws.send_str("x"),
        ws.send_bytes(b"x"),
        ws.ping(),
        ws.pong(),
        ws.receive(),
        ws.close(),
    ):
        with pytest.raises(RuntimeError):
            await call
    assert not ws.closed
    assert ws.close_code is None
    assert ws.exception() is None
    assert ws.get_extra_info("peername", "nope") == "nope"


async def test_write_is_refused_and_handler_return_closes_with_1000() -> None:
    """B-182: write() is unusable on a websocket; returning from the handler closes it."""
    errors: list[BaseException] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        try:
            await ws.write(b"raw")
        except RuntimeError as exc:
            errors.append(exc)
        # no close(): returning from the handler must close the socket

    async with heron_peer(handler) as ws:
        msg = await ws.receive()
        assert msg.type is WSMsgType.CLOSE
        assert msg.data == WSCloseCode.OK
    assert len(errors) == 1


async def test_on_response_prepare_fires_for_the_101() -> None:
    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Prepared"] = type(response).__name__

    app = web.Application()
    app.on_response_prepare.append(on_prepare)
    async with (
        serve_ws(echo, app=app) as served,
        heron.ClientSession() as session,
        session.ws_connect(served.url) as ws,
    ):
        assert ws.response.status == 101
        assert ws.response.headers["X-Prepared"] == "WebSocketResponse"


# -- messages ---------------------------------------------------------------------------------


async def test_echo_round_trip_and_state() -> None:
    """B-183 and B-181: text round trip; close_code None while open, the peer's after."""
    states: list[Any] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        states.append((ws.closed, ws.close_code, ws.get_extra_info("peername")[0]))
        async for msg in ws:
            await ws.send_str(msg.data + "/answer")
        states.append((ws.closed, ws.close_code))

    async with serve_ws(handler) as served, heron.ClientSession() as session:
        async with session.ws_connect(served.url) as ws:
            await ws.send_str("x")
            assert await ws.receive_str() == "x/answer"
            await ws.close(code=4000, message=b"bye")
            assert ws.close_code == 4000  # the server echoes the code
        await asyncio.sleep(0.05)
    assert states == [(False, None, "127.0.0.1"), (True, 4000)]


async def test_typed_senders_and_receivers() -> None:
    """send_json/receive_json, and TypeError/ValueError on the wrong type."""
    results: list[Any] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        results.append(await ws.receive_json())
        with pytest.raises(TypeError):
            await ws.receive_str()  # a BINARY message arrives
        with pytest.raises(TypeError):
            await ws.receive_bytes()  # a TEXT message arrives
        with pytest.raises(ValueError):
            await ws.receive_json()  # not JSON
        results.append(await ws.receive_bytes())
        with pytest.raises(TypeError):
            await ws.send_str(b"x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_bytes("x")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            await ws.send_json({}, dumps=lambda obj: b"{}")  # type: ignore[arg-type,return-value]
        await ws.send_json({"ok": True})
        await ws.send_frame(b"frame", WSMsgType.BINARY)
        await ws.close()

    async with heron_peer(handler) as ws:
        await ws.send_json({"a": [1, 2]})
        await ws.send_bytes(b"bin")
        await ws.send_str("text")
        await ws.send_str("{not json")
        await ws.send_bytes(b"\x00\x01")
        assert await ws.receive_json() == {"ok": True}
        assert await ws.receive_bytes() == b"frame"
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert results == [{"a": [1, 2]}, b"\x00\x01"]


async def test_close_message_once_then_closed_then_runtime_error() -> None:
    """The peer's CLOSE comes once, then CLOSED; a handler looping on a dead socket is
    stopped with RuntimeError (aiohttp's guard)."""
    seen: list[Any] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        msg = await ws.receive()
        seen.append((msg.type, msg.data, msg.extra, ws.closed))
        for _ in range(4):
            seen.append((await ws.receive()).type)
        with pytest.raises(RuntimeError):
            await ws.receive()

    async with raw_peer(handler) as peer:
        peer.send_close(4001, b"done")
        reply = await peer.receive()
        assert (reply.type, reply.data) == (WSMsgType.CLOSE, 4001)
        assert await peer.at_eof()
        await peer.close()
        await asyncio.sleep(0.05)
    assert seen == [(WSMsgType.CLOSE, 4001, "done", True)] + [WSMsgType.CLOSED] * 4


async def test_messages_before_a_close_are_delivered() -> None:
    got: list[WSMessage] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        await asyncio.sleep(0.05)  # everything has arrived by now
        got.extend([msg async for msg in ws])

    async with raw_peer(handler) as peer:
        peer.send_frame(0x1, b"one")
        peer.send_frame(0x2, b"two")
        peer.send_close()
        assert (await peer.receive()).type is WSMsgType.CLOSE
        await peer.close()
        await asyncio.sleep(0.1)
    assert [(m.type, m.data) for m in got] == [(WSMsgType.TEXT, "one"), (WSMsgType.BINARY, b"two")]


async def test_concurrent_receive_is_refused() -> None:
    errors: list[BaseException] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        first = asyncio.ensure_future(ws.receive())
        await asyncio.sleep(0)
        try:
            await ws.receive()
        except RuntimeError as exc:
            errors.append(exc)
        assert (await first).data == "hi"
        await ws.close()

    async with heron_peer(handler) as ws:
        await asyncio.sleep(0.05)
        await ws.send_str("hi")
        await ws.receive()
    assert len(errors) == 1


# -- control frames -----------------------------------------------------------------------------


async def test_autoping_answers_pings_without_showing_them() -> None:
    got: list[Any] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        got.append(await ws.receive())

    async with raw_peer(handler) as peer:
        peer.send_frame(0x9, b"are you there")
        pong = await peer.receive()
        assert (pong.type, pong.data) == (WSMsgType.PONG, b"are you there")
        peer.send_frame(0xA, b"unsolicited")
        peer.send_frame(0x1, b"data")
        assert (await peer.receive()).type is WSMsgType.CLOSE  # handler returned
        await peer.close()
    assert [(m.type, m.data) for m in got] == [(WSMsgType.TEXT, "data")]


async def test_autoping_off_returns_pings_and_pongs() -> None:
    got: list[Any] = []

    @prepared(autoping=False)
    async def handler(ws: web.WebSocketResponse) -> None:
        got.append(await ws.receive())
        got.append(await ws.receive())
        await ws.pong(b"manual")
        await ws.ping("é")
        await ws.close()

    async with raw_peer(handler) as peer:
        peer.send_frame(0x9, b"p1")
        peer.send_frame(0xA, b"p2")
        assert (await peer.receive()).data == b"manual"
        ping = await peer.receive()
        assert (ping.type, ping.data) == (WSMsgType.PING, "é".encode())
        peer.send_frame(0xA, ping.data)
        assert (await peer.receive()).type is WSMsgType.CLOSE
        peer.send_close()
        await peer.close()
    assert [(m.type, m.data) for m in got] == [(WSMsgType.PING, b"p1"), (WSMsgType.PONG, b"p2")]


async def test_autoclose_off_leaves_the_answer_to_the_handler() -> None:
    seen: list[Any] = []

    @prepared(autoclose=False)
    async def handler(ws: web.WebSocketResponse) -> None:
        msg = await ws.receive()
        seen.append((msg.type, msg.data, ws.closed))
        seen.append((await ws.receive()).type)
        await ws.send_str("last words")  # still allowed: we have not sent CLOSE
        seen.append(await ws.close(code=4002))
        seen.append((ws.closed, ws.close_code, await ws.close()))

    async with raw_peer(handler) as peer:
        peer.send_close(4001)
        assert (await peer.receive()).data == "last words"
        reply = await peer.receive()
        assert (reply.type, reply.data) == (WSMsgType.CLOSE, 4002)
        assert await peer.at_eof()
        await peer.close()
        await asyncio.sleep(0.05)
    assert seen == [
        (WSMsgType.CLOSE, 4001, False),
        WSMsgType.CLOSING,
        True,
        (True, 4001, False),
    ]


async def test_server_close_waits_for_the_answer_then_times_out() -> None:
    seen: list[Any] = []

    @prepared(timeout=0.2)
    async def handler(ws: web.WebSocketResponse) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        seen.append(await ws.close(code=4005, message="reason"))
        seen.append((round(loop.time() - start, 1), ws.close_code, type(ws.exception())))

    async with raw_peer(handler) as peer:
        msg = await peer.receive()
        assert (msg.type, msg.data, msg.extra) == (WSMsgType.CLOSE, 4005, "reason")
        assert await peer.at_eof()  # we never answered: the server gave up and hung up
        await peer.close()
    assert seen == [True, (0.2, WSCloseCode.ABNORMAL_CLOSURE, TimeoutError)]


async def test_send_after_close_raises_connection_reset() -> None:
    errors: list[BaseException] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        await ws.close()
        for call in (ws.send_str("x"), ws.ping(), ws.send_bytes(b"")):
            try:
                await call
            except ConnectionResetError as exc:
                errors.append(exc)

    async with serve_ws(handler) as served, heron.ClientSession() as session:
        async with session.ws_connect(served.url) as ws:
            await ws.receive()
        await asyncio.sleep(0.05)
    assert len(errors) == 3


async def test_close_rejects_a_code_nobody_may_send() -> None:
    errors: list[BaseException] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        try:
            await ws.close(code=1006)
        except ValueError as exc:
            errors.append(exc)
        await ws.close(code=1011)

    async with heron_peer(handler) as ws:
        assert (await ws.receive()).data == WSCloseCode.INTERNAL_ERROR
    assert len(errors) == 1


# -- failures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (dict(opcode=0x1, payload=b"unmasked", mask=False), WSCloseCode.PROTOCOL_ERROR),
        (dict(opcode=0x1, payload=b"\xff\xfe bad utf-8"), WSCloseCode.INVALID_TEXT),
        (dict(opcode=0x2, payload=b"x" * 2000), WSCloseCode.MESSAGE_TOO_BIG),
        (dict(opcode=0x1, payload=b"rsv", rsv1=True), WSCloseCode.PROTOCOL_ERROR),
        (dict(opcode=0x3, payload=b""), WSCloseCode.PROTOCOL_ERROR),
    ],
)
async def test_protocol_errors_close_with_the_readers_code(
    frame: dict[str, Any], code: int
) -> None:
    seen: list[Any] = []

    @prepared(max_msg_size=1000, compress=False)
    async def handler(ws: web.WebSocketResponse) -> None:
        first = await ws.receive()
        msg = await ws.receive()
        seen.append((first.data, msg.type, type(msg.data), ws.close_code, ws.closed))
        seen.append(type(ws.exception()))
        seen.append((await ws.receive()).type)

    async with raw_peer(handler) as peer:
        peer.send_frame(0x1, b"fine")
        peer.send_frame(**frame)
        msg = await peer.receive()
        assert (msg.type, msg.data) == (WSMsgType.CLOSE, code)
        assert await peer.at_eof()
        await peer.close()
        await asyncio.sleep(0.05)
    assert seen == [
        ("fine", WSMsgType.ERROR, heron.WebSocketError, code, True),
        heron.WebSocketError,
        WSMsgType.CLOSED,
    ]


async def test_abrupt_disconnect_reads_closed_with_1006() -> None:
    seen: list[Any] = []
    done = asyncio.Event()

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        msg = await ws.receive()
        seen.append((msg.type, ws.close_code, ws.closed))
        done.set()

    async with raw_peer(handler) as peer:
        peer.send_frame(0x1, b"partial"[:3], fin=False)  # a message cut short
        await peer.close()
        await asyncio.wait_for(done.wait(), 2)
    assert seen == [(WSMsgType.CLOSED, WSCloseCode.ABNORMAL_CLOSURE, True)]


# -- timers -------------------------------------------------------------------------------------


async def test_receive_timeout_raises_and_keeps_the_socket() -> None:
    seen: list[Any] = []

    @prepared(receive_timeout=0.05)
    async def handler(ws: web.WebSocketResponse) -> None:
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive()
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive_str(timeout=0.02)
        seen.append(ws.closed)
        await ws.send_str("still here")
        seen.append(await ws.receive_str(timeout=1))

    async with heron_peer(handler) as ws:
        assert await ws.receive_str() == "still here"
        await ws.send_str("me too")
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert seen == [False, "me too"]


async def test_heartbeat_closes_a_silent_peer_with_1006() -> None:
    seen: list[Any] = []

    @prepared(heartbeat=0.1)
    async def handler(ws: web.WebSocketResponse) -> None:
        msg = await ws.receive()
        seen.append((msg.type, type(msg.data), ws.close_code, ws.closed))

    async with raw_peer(handler) as peer:
        ping = await peer.receive(timeout=1)
        assert ping.type is WSMsgType.PING  # ...which we ignore
        assert await peer.at_eof(timeout=1)
        await peer.close()
        await asyncio.sleep(0.05)
    assert seen == [(WSMsgType.ERROR, TimeoutError, WSCloseCode.ABNORMAL_CLOSURE, True)]


async def test_heartbeat_keeps_a_live_peer() -> None:
    @prepared(heartbeat=0.05)
    async def handler(ws: web.WebSocketResponse) -> None:
        async for msg in ws:
            await ws.send_str(msg.data)

    async with heron_peer(handler) as ws:
        await asyncio.sleep(0.3)  # several heartbeats, answered by autoping
        await ws.send_str("alive")
        assert await ws.receive_str(timeout=1) == "alive"


# -- flow control, compression, shutdown ------------------------------------------------------


async def test_sends_wait_for_a_slow_reader() -> None:
    """Back-pressure: a sender is held while the peer does not read."""
    progress: list[int] = []
    chunk = b"\x00" * (1024 * 1024)

    @prepared(compress=False)
    async def handler(ws: web.WebSocketResponse) -> None:
        for i in range(32):
            await ws.send_bytes(chunk)
            progress.append(i)
        await ws.close()

    async with raw_peer(handler) as peer:
        await asyncio.sleep(0.2)
        assert len(progress) < 32  # held back: the client reads nothing
        total = 0
        while True:
            msg = await peer.receive()
            if msg.type is WSMsgType.CLOSE:
                break
            total += len(msg.data)
        assert total == 32 * len(chunk)
        peer.send_close()
        await peer.close()
    assert len(progress) == 32


async def test_a_handler_that_does_not_read_holds_the_sender_back() -> None:
    """The server stops reading the socket while its unread messages pile up, so the
    client's sends wait instead of filling the server's memory."""
    go = asyncio.Event()
    received: list[int] = []

    @prepared(compress=False)
    async def handler(ws: web.WebSocketResponse) -> None:
        await go.wait()
        async for msg in ws:
            received.append(len(msg.data))
            if len(received) == 32:
                await ws.close()

    chunk = b"\x01" * (1024 * 1024)
    async with serve_ws(handler) as served, heron.ClientSession() as session:
        ws = await session.ws_connect(served.url)

        async def send_all() -> None:
            for _ in range(32):
                await ws.send_bytes(chunk)

        sender = asyncio.ensure_future(send_all())
        try:
            await asyncio.sleep(0.2)
            assert not sender.done()  # held back by the server
        finally:
            go.set()
        await asyncio.wait_for(sender, 5)
        assert (await ws.receive()).type is WSMsgType.CLOSE
    assert received == [len(chunk)] * 32


async def test_permessage_deflate_negotiated_with_heron_client() -> None:
    flags: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        flags.append(ws.compress)
        await ws.prepare(request)
        flags.append(ws.compress)
        async for msg in ws:
            await ws.send_str(msg.data)
            await ws.send_str(msg.data, compress=False)
        return ws

    text = json.dumps([{"key": i, "value": "x" * 50} for i in range(200)])
    async with (
        serve_ws(handler) as served,
        heron.ClientSession() as session,
        session.ws_connect(served.url, compress=15) as ws,
    ):
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
        assert ws.compress == 15
        await ws.send_str(text)
        assert await ws.receive_str() == text
        assert await ws.receive_str() == text
    assert flags == [True, 15]


async def test_graceful_shutdown_closes_with_going_away() -> None:
    closed: list[Any] = []

    @prepared()
    async def handler(ws: web.WebSocketResponse) -> None:
        closed.append(ws)
        async for _ in ws:
            pass

    session = heron.ClientSession()
    try:
        async with serve_ws(handler, shutdown_timeout=2.0) as served:
            ws = await session.ws_connect(served.url)
            receiver = asyncio.ensure_future(ws.receive())
            await asyncio.sleep(0.05)
        msg = await asyncio.wait_for(receiver, 2)
        assert (msg.type, msg.data, msg.extra) == (
            WSMsgType.CLOSE,
            WSCloseCode.GOING_AWAY,
            "Server shutdown",
        )
    finally:
        await session.close()
    assert [(ws.closed, ws.close_code) for ws in closed] == [(True, WSCloseCode.GOING_AWAY)]


async def test_deprecated_start_and_can_start() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        with pytest.warns(DeprecationWarning):
            assert ws.can_start(request)
        with pytest.warns(DeprecationWarning):
            ws.start(request)  # not awaited: the next call waits for it
        await ws.send_str("started")
        assert ws.protocol is None
        await ws.close()
        return ws

    async with heron_peer(handler) as ws:
        assert await ws.receive_str() == "started"
