"""heron.websocket (0.x): Message, MSG_*, do_handshake, WebSocketParser/Writer.

The echo test runs the whole 0.x stack (ServerHttpProtocol, protocol.Response,
StreamParser, WebSocketParser/Writer) against the ``websockets`` library as the peer.
"""

from __future__ import annotations

import warnings

import pytest
import websockets
from legacy_helpers import serve
from multidict import CIMultiDict

from heron.http import HttpProcessingError
from heron.protocol import Response
from heron.server import ServerHttpProtocol
from heron.websocket import (
    MSG_BINARY,
    MSG_CLOSE,
    MSG_PING,
    MSG_PONG,
    MSG_TEXT,
    Message,
    MsgType,
    do_handshake,
)


def test_constants_and_message() -> None:
    assert (MSG_TEXT, MSG_BINARY, MSG_CLOSE, MSG_PING, MSG_PONG) == (1, 2, 8, 9, 10)
    msg = Message(MSG_TEXT, "hi", None)
    assert msg.tp is MsgType.text and msg[1] == "hi"


def test_bad_handshakes_raise_with_status() -> None:
    with pytest.raises(HttpProcessingError) as info:
        do_handshake("POST", CIMultiDict(), None)  # type: ignore[arg-type]
    assert info.value.code == 405
    headers = CIMultiDict(
        {"Upgrade": "websocket", "Connection": "upgrade", "Sec-WebSocket-Version": "5"}
    )
    with pytest.raises(HttpProcessingError) as info:
        do_handshake("GET", headers, None)  # type: ignore[arg-type]
    assert info.value.code in (400, 426)


class Echo(ServerHttpProtocol):
    async def handle_request(self, message, payload):  # type: ignore[no-untyped-def]
        status, headers, parser, writer = do_handshake(
            message.method, message.headers, self.writer, protocols=("chat", "other")
        )
        resp = Response(self.writer, status, http_version=message.version)
        resp.add_headers(*headers)
        resp.send_headers()
        queue = self.reader.set_parser(parser)
        while True:
            msg = await queue.read()
            if msg.tp == MSG_TEXT:
                writer.send(msg.data + "/answer")
            elif msg.tp == MSG_BINARY:
                writer.send(msg.data, binary=True)
            elif msg.tp == MSG_PING:
                writer.pong(msg.data)
            elif msg.tp == MSG_CLOSE:
                writer.close(msg.data)
                break


async def test_echo_with_websockets_peer() -> None:
    def factory() -> Echo:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return Echo()

    server, port = await serve(factory)
    async with server:
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/", subprotocols=["other", "chat"], open_timeout=2
        ) as ws:
            assert ws.subprotocol == "other"  # the client's preference wins
            await ws.send("x")
            assert await ws.recv() == "x/answer"
            await ws.send(b"\x00\x01")
            assert await ws.recv() == b"\x00\x01"
            await ws.ping(b"p")
        assert ws.close_code == 1000
