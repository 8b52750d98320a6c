"""Sans-IO WebSocket (RFC 6455, RFC 7692): frames in, messages out; no asyncio.

The server's `WebSocketResponse` and the client's `ws_connect` sit on top of these pieces:
`handshake` (opening handshake for both sides), `WebSocketReader` (bytes to messages),
`WebSocketWriter` (messages to frames) and `deflate` (permessage-deflate).
"""

from ._masking import websocket_mask
from .deflate import (
    DeflateOffer,
    PerMessageDeflate,
    WSCompressor,
    WSDecompressor,
    accept_deflate_response,
    negotiate_deflate,
    parse_extensions,
)
from .handshake import (
    SUPPORTED_VERSIONS,
    WS_KEY_GUID,
    ClientHandshake,
    ServerHandshake,
    ServerHandshakeResult,
    build_client_request_headers,
    build_server_response_headers,
    generate_key,
    select_protocol,
    server_handshake,
    validate_client_handshake,
    validate_server_handshake,
    ws_accept_key,
)
from .models import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WSCloseCode,
    WSHandshakeError,
    WSMessage,
    WSMsgType,
)
from .reader import DEFAULT_MAX_MSG_SIZE, WebSocketReader, is_valid_close_code
from .writer import WebSocketWriter, build_close, build_frame, close_payload

MsgType = WSMsgType
"""Deprecated 0.x name of `WSMsgType`."""

__all__ = (
    "DEFAULT_MAX_MSG_SIZE",
    "SUPPORTED_VERSIONS",
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WS_KEY_GUID",
    "ClientHandshake",
    "DeflateOffer",
    "MsgType",
    "PerMessageDeflate",
    "ServerHandshake",
    "ServerHandshakeResult",
    "WSCloseCode",
    "WSCompressor",
    "WSDecompressor",
    "WSHandshakeError",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReader",
    "WebSocketWriter",
    "accept_deflate_response",
    "build_client_request_headers",
    "build_close",
    "build_frame",
    "build_server_response_headers",
    "close_payload",
    "generate_key",
    "is_valid_close_code",
    "negotiate_deflate",
    "parse_extensions",
    "select_protocol",
    "server_handshake",
    "validate_client_handshake",
    "validate_server_handshake",
    "websocket_mask",
    "ws_accept_key",
)
