"""heron.ws_connect() (0.x): a WebSocket owning a session of its own, over real sockets."""

from __future__ import annotations

import gc
import warnings

import pytest
from legacy_helpers import WebServer

import heron
from heron import WSMsgType, web


def echo_app() -> web.Application:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("chat",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                if msg.data == "bye":
                    await ws.close(code=4000, message=b"server says bye")
                    break
                await ws.send_str("echo:" + msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    return app


def no_unclosed_session_warning(records: list[warnings.WarningMessage]) -> bool:
    return not any("Unclosed" in str(r.message) for r in records)


async def test_await_form_warns_and_closes_its_session() -> None:
    async with WebServer(echo_app()) as server:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            with pytest.warns(DeprecationWarning, match=r"heron.ws_connect\(\).*ClientSession"):
                ws = await heron.ws_connect(server.url("/ws"), protocols=("chat",))
            assert ws.protocol == "chat"
            await ws.send_str("hi")
            assert (await ws.receive()).data == "echo:hi"
            assert await ws.close() is True
            assert ws.closed
            del ws
            gc.collect()
        assert no_unclosed_session_warning(records)


async def test_async_with_form() -> None:
    async with WebServer(echo_app()) as server:
        with pytest.warns(DeprecationWarning, match="ws_connect"):
            cm = heron.ws_connect(server.url("/ws"))
        async with cm as ws:
            await ws.send_str("a")
            msg = await ws.receive()
            assert msg.type is WSMsgType.TEXT and msg.data == "echo:a"
        assert ws.closed and ws.close_code == 1000


async def test_peer_close_closes_the_session_too() -> None:
    async with WebServer(echo_app()) as server:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            ws = await heron.ws_connect(server.url("/ws"))
            await ws.send_str("bye")
            msg = await ws.receive()
            assert msg.type is WSMsgType.CLOSE and msg.data == 4000
            assert msg.extra == "server says bye"
            assert (await ws.receive()).type is WSMsgType.CLOSED
            del ws, msg
            gc.collect()
        assert no_unclosed_session_warning(records)


async def test_given_connector_stays_open() -> None:
    async with WebServer(echo_app()) as server:
        connector = heron.TCPConnector()
        try:
            with pytest.warns(DeprecationWarning):
                ws = await heron.ws_connect(server.url("/ws"), connector=connector)
            await ws.close()
            assert not connector.closed
        finally:
            await connector.close()


async def test_custom_ws_response_class_is_kept() -> None:
    class MyWS(heron.ClientWebSocketResponse):
        pass

    async with WebServer(echo_app()) as server:
        with pytest.warns(DeprecationWarning):
            async with heron.ws_connect(server.url("/ws"), ws_response_class=MyWS) as ws:
                assert isinstance(ws, MyWS)


async def test_failed_handshake_raises_and_closes_the_session() -> None:
    async with WebServer(echo_app()) as server:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            with pytest.raises(heron.WSServerHandshakeError):
                await heron.ws_connect(server.url("/missing"))
            gc.collect()
        assert no_unclosed_session_warning(records)
