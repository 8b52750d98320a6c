"""Message types, close codes, messages and errors as aiohttp 3.x users know them."""

from __future__ import annotations

import pytest

import heron
from heron.ws import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    MsgType,
    WebSocketError,
    WSCloseCode,
    WSHandshakeError,
    WSMessage,
    WSMsgType,
)


def test_msg_type_values_and_aliases() -> None:
    assert [int(t) for t in WSMsgType] == [0, 1, 2, 9, 10, 8, 0x100, 0x101, 0x102]
    assert WSMsgType.text is WSMsgType.TEXT
    assert WSMsgType.binary is WSMsgType.BINARY
    assert WSMsgType.closed is WSMsgType.CLOSED
    assert WSMsgType.error is WSMsgType.ERROR
    assert {WSMsgType.ping, WSMsgType.pong, WSMsgType.close, WSMsgType.closing} == {
        WSMsgType.PING,
        WSMsgType.PONG,
        WSMsgType.CLOSE,
        WSMsgType.CLOSING,
    }
    assert MsgType is WSMsgType
    with pytest.warns(DeprecationWarning, match="WSMsgType"):
        assert heron.MsgType is heron.WSMsgType is WSMsgType
    assert heron.WSMessage is WSMessage and heron.WSCloseCode is WSCloseCode


def test_close_codes() -> None:
    codes = {code.name: int(code) for code in WSCloseCode}
    assert codes == {
        "OK": 1000,
        "GOING_AWAY": 1001,
        "PROTOCOL_ERROR": 1002,
        "UNSUPPORTED_DATA": 1003,
        "ABNORMAL_CLOSURE": 1006,
        "INVALID_TEXT": 1007,
        "POLICY_VIOLATION": 1008,
        "MESSAGE_TOO_BIG": 1009,
        "MANDATORY_EXTENSION": 1010,
        "INTERNAL_ERROR": 1011,
        "SERVICE_RESTART": 1012,
        "TRY_AGAIN_LATER": 1013,
        "BAD_GATEWAY": 1014,
    }


def test_message_json_and_tp_alias() -> None:
    msg = WSMessage(WSMsgType.TEXT, '{"a": [1, 2]}', "")
    assert msg.json() == {"a": [1, 2]}
    assert msg.json(loads=lambda s: s.upper()) == '{"A": [1, 2]}'
    with pytest.raises(ValueError):
        WSMessage(WSMsgType.TEXT, "not json", "").json()
    with pytest.warns(DeprecationWarning):
        assert msg.tp is WSMsgType.TEXT
    assert msg.type is WSMsgType.TEXT
    msg_type, data, extra = msg
    assert (msg_type, data, extra) == (WSMsgType.TEXT, '{"a": [1, 2]}', "")


def test_constant_messages() -> None:
    assert WS_CLOSED_MESSAGE == (WSMsgType.CLOSED, None, None)
    assert WS_CLOSING_MESSAGE.type is WSMsgType.CLOSING


def test_errors() -> None:
    err = WebSocketError(WSCloseCode.PROTOCOL_ERROR, "bad frame")
    assert err.code == 1002 and str(err) == "bad frame" and err.messages == []
    hs = WSHandshakeError("nope", status=426, headers=[("Sec-WebSocket-Version", "13")])
    assert hs.status == 426 and str(hs) == "nope"
    assert hs.headers == (("Sec-WebSocket-Version", "13"),)
    assert WSHandshakeError("x").status == 400
