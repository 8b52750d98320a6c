"""Opening handshake helpers for both sides (RFC 6455 §4)."""

from __future__ import annotations

import base64

import pytest
from multidict import CIMultiDict

from heron.ws import (
    DeflateOffer,
    PerMessageDeflate,
    WSHandshakeError,
    build_client_request_headers,
    build_server_response_headers,
    generate_key,
    select_protocol,
    server_handshake,
    validate_client_handshake,
    validate_server_handshake,
    ws_accept_key,
)

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def request_headers(**overrides: str | None) -> CIMultiDict[str]:
    base = {
        "Host": "example.com",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": RFC_KEY,
        "Sec-WebSocket-Version": "13",
    }
    headers = CIMultiDict[str]()
    for name, value in {**base, **overrides}.items():
        if value is not None:
            headers.add(name.replace("_", "-"), value)
    return headers


def test_accept_key_rfc_example() -> None:
    assert ws_accept_key(RFC_KEY) == RFC_ACCEPT
    assert ws_accept_key(RFC_KEY.encode()) == RFC_ACCEPT


def test_generate_key() -> None:
    key = generate_key()
    assert len(base64.b64decode(key, validate=True)) == 16
    assert generate_key() != key


def test_valid_request() -> None:
    headers = request_headers()
    headers.add("Sec-WebSocket-Protocol", "chat, superchat")
    headers.add("Sec-WebSocket-Protocol", "v3")
    headers.add("Sec-WebSocket-Extensions", "permessage-deflate")
    result = validate_client_handshake("GET", headers)
    assert result.key == RFC_KEY
    assert result.protocols == ("chat", "superchat", "v3")
    assert result.extensions == ("permessage-deflate",)
    assert result.version == 13


def test_plain_dict_headers_are_case_insensitive() -> None:
    headers = {
        "upgrade": "WebSocket",
        "connection": "keep-alive, Upgrade",
        "sec-websocket-key": RFC_KEY,
        "SEC-WEBSOCKET-VERSION": "8",
    }
    assert validate_client_handshake("get", headers).version == 8


@pytest.mark.parametrize(
    ("method", "overrides", "status"),
    [
        ("POST", {}, 405),
        ("GET", {"Upgrade": None}, 400),
        ("GET", {"Upgrade": "h2c"}, 400),
        ("GET", {"Connection": "keep-alive"}, 400),
        ("GET", {"Connection": None}, 400),
        ("GET", {"Sec-WebSocket-Version": None}, 426),
        ("GET", {"Sec-WebSocket-Version": "12"}, 426),
        ("GET", {"Sec-WebSocket-Key": None}, 400),
        ("GET", {"Sec-WebSocket-Key": "not base64!"}, 400),
        ("GET", {"Sec-WebSocket-Key": base64.b64encode(b"short").decode()}, 400),
    ],
)
def test_invalid_requests(method: str, overrides: dict[str, str | None], status: int) -> None:
    with pytest.raises(WSHandshakeError) as info:
        validate_client_handshake(method, request_headers(**overrides))
    assert info.value.status == status
    if status == 426:
        assert ("Sec-WebSocket-Version", "13, 8, 7") in info.value.headers
    if status == 405:
        assert ("Allow", "GET") in info.value.headers


def test_two_keys_are_refused() -> None:
    headers = request_headers()
    headers.add("Sec-WebSocket-Key", RFC_KEY)
    with pytest.raises(WSHandshakeError) as info:
        validate_client_handshake("GET", headers)
    assert info.value.status == 400


def test_subprotocol_choice_follows_the_client_order() -> None:
    # seed B-179: client offers a, b; server knows b, a; the client's first wins.
    assert select_protocol(["a", "b"], ("b", "a")) == "a"
    assert select_protocol(["x", "b"], ("b", "a")) == "b"
    assert select_protocol(["x"], ("b", "a")) is None
    assert select_protocol([], ("b",)) is None


def test_server_response_headers() -> None:
    assert build_server_response_headers(RFC_KEY) == [
        ("Upgrade", "websocket"),
        ("Connection", "upgrade"),
        ("Sec-WebSocket-Accept", RFC_ACCEPT),
    ]
    headers = build_server_response_headers(
        RFC_KEY, protocol="chat", extensions="permessage-deflate"
    )
    assert ("Sec-WebSocket-Protocol", "chat") in headers
    assert ("Sec-WebSocket-Extensions", "permessage-deflate") in headers


def test_server_handshake_all_in_one() -> None:
    headers = request_headers()
    headers["Sec-WebSocket-Protocol"] = "a, b"
    headers["Sec-WebSocket-Extensions"] = "permessage-deflate; client_max_window_bits"
    result = server_handshake("GET", headers, protocols=("b", "a"))
    assert result.protocol == "a"
    assert result.compress == PerMessageDeflate()
    assert ("Sec-WebSocket-Extensions", "permessage-deflate") in result.headers
    assert ("Sec-WebSocket-Accept", RFC_ACCEPT) in result.headers
    assert result.request.key == RFC_KEY

    declined = server_handshake("GET", headers, compress=False)
    assert declined.protocol is None and declined.compress is None
    assert all(name != "Sec-WebSocket-Extensions" for name, _ in declined.headers)

    headers["Sec-WebSocket-Extensions"] = "x-unknown"
    assert server_handshake("GET", headers).compress is None


def test_server_handshake_options() -> None:
    headers = request_headers()
    headers["Sec-WebSocket-Extensions"] = "permessage-deflate; client_max_window_bits"
    result = server_handshake(
        "GET",
        headers,
        server_no_context_takeover=True,
        client_max_window_bits=10,
    )
    assert result.compress == PerMessageDeflate(
        server_no_context_takeover=True, client_max_window_bits=10
    )


def test_client_request_headers() -> None:
    headers = build_client_request_headers(RFC_KEY)
    assert headers == [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", RFC_KEY),
    ]
    full = build_client_request_headers(
        RFC_KEY, protocols=["a", "b"], compress=DeflateOffer(), origin="http://x"
    )
    assert ("Sec-WebSocket-Protocol", "a, b") in full
    assert ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits") in full
    assert ("Origin", "http://x") in full
    # What a client sends, a server accepts.
    assert validate_client_handshake("GET", CIMultiDict(full)).protocols == ("a", "b")


def response_headers(**overrides: str | None) -> CIMultiDict[str]:
    base = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": RFC_ACCEPT}
    headers = CIMultiDict[str]()
    for name, value in {**base, **overrides}.items():
        if value is not None:
            headers.add(name, value)
    return headers


def test_valid_server_answer() -> None:
    result = validate_server_handshake(101, response_headers(), RFC_KEY)
    assert result.protocol is None and result.compress is None
    result = validate_server_handshake(
        101,
        response_headers(
            **{"Sec-WebSocket-Protocol": "b", "Sec-WebSocket-Extensions": "permessage-deflate"}
        ),
        RFC_KEY,
        protocols=["a", "b"],
        compress_offer=DeflateOffer(),
    )
    assert result.protocol == "b"
    assert result.compress == PerMessageDeflate()


@pytest.mark.parametrize(
    ("status", "overrides"),
    [
        (200, {}),
        (404, {}),
        (101, {"Upgrade": None}),
        (101, {"Connection": "close"}),
        (101, {"Sec-WebSocket-Accept": None}),
        (101, {"Sec-WebSocket-Accept": "wrong"}),
        (101, {"Sec-WebSocket-Protocol": "c"}),
        (101, {"Sec-WebSocket-Protocol": "a, b"}),
        (101, {"Sec-WebSocket-Extensions": "permessage-deflate; bogus"}),
        (101, {"Sec-WebSocket-Extensions": "x-unknown"}),
    ],
)
def test_invalid_server_answers(status: int, overrides: dict[str, str | None]) -> None:
    with pytest.raises(WSHandshakeError) as info:
        validate_server_handshake(
            status,
            response_headers(**overrides),
            RFC_KEY,
            protocols=["a", "b"],
            compress_offer=DeflateOffer(),
        )
    assert info.value.status == status


def test_extensions_without_offer_are_refused() -> None:
    headers = response_headers(**{"Sec-WebSocket-Extensions": "permessage-deflate"})
    with pytest.raises(WSHandshakeError):
        validate_server_handshake(101, headers, RFC_KEY)
