"""Interop with a real peer: the `websockets` library's sans-IO protocol and frame code.

Both sides run in memory (websockets' ClientProtocol/ServerProtocol are sans-IO too), so
the full handshake, permessage-deflate negotiation and framing meet an independent
implementation without sockets.
"""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDict
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.server import ServerProtocol
from websockets.streams import StreamReader
from websockets.uri import parse_uri

from heron.ws import (
    DeflateOffer,
    PerMessageDeflate,
    WebSocketReader,
    WebSocketWriter,
    WSMessage,
    WSMsgType,
    build_client_request_headers,
    build_frame,
    generate_key,
    server_handshake,
    validate_server_handshake,
)

LONG_TEXT = "interoperable text, repeated. " * 40
MESSAGES: list[str | bytes] = ["hi", LONG_TEXT, b"\x00\xff" * 300, "", "ünïcödé €", LONG_TEXT]


def head(start_line: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [start_line] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def frames_to_messages(events: list[Any]) -> list[WSMessage]:
    """Assemble websockets' frames into messages the way a user sees them."""
    out: list[WSMessage] = []
    parts: list[bytes] = []
    opcode: Opcode | None = None
    for frame in events:
        assert isinstance(frame, Frame)
        if frame.opcode in (Opcode.PING, Opcode.PONG, Opcode.CLOSE):
            continue
        if frame.opcode is not Opcode.CONT:
            opcode, parts = frame.opcode, []
        parts.append(bytes(frame.data))
        if frame.fin:
            data = b"".join(parts)
            if opcode is Opcode.TEXT:
                out.append(WSMessage(WSMsgType.TEXT, data.decode(), ""))
            else:
                out.append(WSMessage(WSMsgType.BINARY, data, ""))
    return out


def expected(messages: list[str | bytes]) -> list[WSMessage]:
    return [
        WSMessage(WSMsgType.TEXT if isinstance(m, str) else WSMsgType.BINARY, m, "")
        for m in messages
    ]


def send_all(peer: ServerProtocol | ClientProtocol, messages: list[str | bytes]) -> bytes:
    for message in messages:
        if isinstance(message, str):
            data = message.encode()
            if len(data) > 100:  # let websockets fragment the long ones
                peer.send_text(data[:50], fin=False)
                peer.send_continuation(data[50:], fin=True)
            else:
                peer.send_text(data)
        else:
            peer.send_binary(message)
    peer.send_ping(b"are you there")
    return b"".join(peer.data_to_send())


CLIENT_FACTORIES: list[dict[str, Any]] = [
    {},
    {"server_no_context_takeover": True},
    {"client_no_context_takeover": True},
    {"server_max_window_bits": 10, "client_max_window_bits": 11},
    {"server_max_window_bits": 8},
    {"client_max_window_bits": None},
]


@pytest.mark.parametrize("factory_kwargs", CLIENT_FACTORIES)
@pytest.mark.parametrize("fragment", [0, 7])
def test_heron_server_with_websockets_client(factory_kwargs: dict[str, Any], fragment: int) -> None:
    client = ClientProtocol(
        parse_uri("ws://127.0.0.1/chat"),
        extensions=[ClientPerMessageDeflateFactory(**factory_kwargs)],
        subprotocols=["a", "b"],  # type: ignore[list-item]
    )
    request = client.connect()
    client.send_request(request)
    client.data_to_send()

    result = server_handshake("GET", CIMultiDict(request.headers.raw_items()), protocols=("b", "a"))
    assert result.protocol == "a"  # the client's order decides
    assert result.compress is not None
    client.receive_data(head("HTTP/1.1 101 Switching Protocols", result.headers))
    (response,) = client.events_received()
    assert isinstance(response, Response)
    assert client.state is State.OPEN, client.handshake_exc

    # websockets client -> heron server
    reader = WebSocketReader(is_client=False, compress=result.compress)
    got = reader.feed_data(send_all(client, MESSAGES))
    assert got == [*expected(MESSAGES), WSMessage(WSMsgType.PING, b"are you there", "")]

    # heron server -> websockets client
    writer = WebSocketWriter(is_client=False, compress=result.compress, max_fragment_size=fragment)
    out = [b"".join(writer.encode_message(m)) for m in MESSAGES]
    out.append(b"".join(writer.encode_message("plain", compress=False)))
    client.receive_data(b"".join(out))
    assert frames_to_messages(client.events_received()) == expected([*MESSAGES, "plain"])

    # Closing handshake started by heron.
    client.receive_data(b"".join(writer.close(1001, "going")))
    assert client.close_rcvd is not None
    assert (client.close_rcvd.code, client.close_rcvd.reason) == (1001, "going")
    assert reader.feed_data(b"".join(client.data_to_send()))[-1] == WSMessage(
        WSMsgType.CLOSE, 1001, "going"
    )


SERVER_OFFERS = [
    DeflateOffer(),
    DeflateOffer(client_max_window_bits=False),
    DeflateOffer(server_no_context_takeover=True, client_no_context_takeover=True),
    DeflateOffer(server_max_window_bits=12, client_max_window_bits=10),
    DeflateOffer(client_max_window_bits=8),
]


@pytest.mark.parametrize("offer", SERVER_OFFERS)
@pytest.mark.parametrize("server_kwargs", [{}, {"server_no_context_takeover": True}])
def test_heron_client_with_websockets_server(
    offer: DeflateOffer, server_kwargs: dict[str, Any]
) -> None:
    server = ServerProtocol(
        extensions=[ServerPerMessageDeflateFactory(**server_kwargs)],
        subprotocols=["b"],  # type: ignore[list-item]
    )
    key = generate_key()
    headers = [("Host", "127.0.0.1")]
    headers += build_client_request_headers(key, protocols=["a", "b"], compress=offer)
    server.receive_data(head("GET /chat HTTP/1.1", headers))
    (request,) = server.events_received()
    response = server.accept(request)  # type: ignore[arg-type]
    server.send_response(response)
    server.data_to_send()
    assert server.state is State.OPEN, server.handshake_exc

    result = validate_server_handshake(
        response.status_code,
        CIMultiDict(response.headers.raw_items()),
        key,
        protocols=["a", "b"],
        compress_offer=offer,
    )
    assert result.protocol == "b"
    assert isinstance(result.compress, PerMessageDeflate)

    # heron client -> websockets server (masked, compressed)
    writer = WebSocketWriter(is_client=True, compress=result.compress, max_fragment_size=64)
    server.receive_data(b"".join(b"".join(writer.encode_message(m)) for m in MESSAGES))
    assert frames_to_messages(server.events_received()) == expected(MESSAGES)

    # websockets server -> heron client
    reader = WebSocketReader(is_client=True, compress=result.compress)
    got = reader.feed_data(send_all(server, MESSAGES))
    assert got[:-1] == expected(MESSAGES)

    server.send_close(1000, "done")
    assert reader.feed_data(b"".join(server.data_to_send())) == [
        WSMessage(WSMsgType.CLOSE, 1000, "done")
    ]


def test_websockets_server_rejecting_our_request_is_reported() -> None:
    server = ServerProtocol()
    key = generate_key()
    headers = [("Host", "127.0.0.1"), *build_client_request_headers(key)]
    headers = [(n, v) for n, v in headers if n != "Sec-WebSocket-Version"]
    server.receive_data(head("GET / HTTP/1.1", headers))
    (request,) = server.events_received()
    response = server.accept(request)  # type: ignore[arg-type]
    assert response.status_code != 101
    with pytest.raises(Exception) as info:
        validate_server_handshake(
            response.status_code, CIMultiDict(response.headers.raw_items()), key
        )
    assert getattr(info.value, "status", None) == response.status_code


def parse_with_websockets(data: bytes, *, mask: bool) -> Frame:
    """Parse one whole frame with websockets' own (generator-based) parser."""
    stream = StreamReader()
    stream.feed_data(data)
    parser = Frame.parse(stream.read_exact, mask=mask, max_size=None)
    try:
        next(parser)
    except StopIteration as done:
        frame: Frame = done.value
        return frame
    raise AssertionError("incomplete frame")  # pragma: no cover


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
@pytest.mark.parametrize("client_side", [False, True])
def test_frame_lengths_both_ways(size: int, client_side: bool) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    # websockets encodes, heron decodes
    wire = Frame(Opcode.BINARY, payload).serialize(mask=client_side)
    reader = WebSocketReader(is_client=not client_side, max_msg_size=0)
    assert reader.feed_data(wire) == [WSMessage(WSMsgType.BINARY, payload, "")]
    # heron encodes, websockets decodes
    ours = build_frame(WSMsgType.BINARY, payload, mask=client_side)
    frame = parse_with_websockets(ours, mask=client_side)
    assert frame.opcode is Opcode.BINARY and frame.data == payload and frame.fin
