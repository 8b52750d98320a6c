"""WebSocketResponse.receive_msg() / wait_closed() (0.12), with heron's client as the peer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from legacy_helpers import WebServer

import heron
from heron import WSMsgType, web


def app_with(handler: Any) -> web.Application:
    app = web.Application()
    app.router.add_get("/ws", handler)
    return app


async def test_receive_msg_returns_messages_then_raises_with_the_close_data() -> None:
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        got = []
        try:
            while True:
                with pytest.warns(DeprecationWarning, match=r"receive_msg\(\).*receive\(\)"):
                    msg = await ws.receive_msg()
                got.append(msg.data)
                await ws.send_str("ok")
        except heron.ClientConnectionError as exc:  # what 0.12 code caught (a subclass)
            outcome.set_result((got, exc))
        return ws

    async with WebServer(app_with(handler)) as server, heron.ClientSession() as session:
        async with session.ws_connect(server.url("/ws")) as ws:
            await ws.send_str("one")
            assert await ws.receive_str() == "ok"
            await ws.close(code=4001, message=b"done")
        got, exc = await asyncio.wait_for(outcome, 2)
    assert got == ["one"]
    assert type(exc).__name__ == "WSClientDisconnectedError"
    assert exc.code == 4001 and exc.message == "done"


async def test_wait_closed_in_a_write_only_handler() -> None:
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("hello")  # this task only writes
        try:
            with pytest.warns(DeprecationWarning, match=r"wait_closed\(\)"):
                await ws.wait_closed()
        except Exception as exc:
            outcome.set_result((exc, ws.closed))
        return ws

    async with WebServer(app_with(handler)) as server, heron.ClientSession() as session:
        async with session.ws_connect(server.url("/ws")) as ws:
            assert await ws.receive_str() == "hello"
            await ws.send_str("ignored by the writer")
        assert ws.close_code == 1000
        exc, closed = await asyncio.wait_for(outcome, 2)
    assert isinstance(exc, heron.ClientConnectionResetError)
    assert exc.code == 1000 and closed


async def test_wait_closed_after_the_server_closes() -> None:
    outcome: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=4002)
        try:
            with pytest.warns(DeprecationWarning):
                await ws.wait_closed()
        except Exception as exc:
            outcome.set_result(exc)
        return ws

    async with WebServer(app_with(handler)) as server, heron.ClientSession() as session:
        async with session.ws_connect(server.url("/ws")) as ws:
            msg = await ws.receive()
            assert msg.type is WSMsgType.CLOSE and msg.data == 4002
        exc = await asyncio.wait_for(outcome, 2)
    assert type(exc).__name__ == "WSClientDisconnectedError"
    assert exc.code == 4002


def test_sync_senders_stay_coroutines() -> None:
    # E-01: the 0.x synchronous send_str/ping/pong are not brought back.
    assert asyncio.iscoroutinefunction(web.WebSocketResponse.send_str)
    assert asyncio.iscoroutinefunction(web.WebSocketResponse.ping)


def test_the_0_12_error_name() -> None:
    with pytest.warns(DeprecationWarning, match="WebSocketDisconnectedError"):
        from heron.errors import WebSocketDisconnectedError
    assert issubclass(WebSocketDisconnectedError, heron.ClientConnectionResetError)
    exc = WebSocketDisconnectedError(1001, "going")
    assert (exc.code, exc.message) == (1001, "going")
