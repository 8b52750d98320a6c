"""Deprecated 0.x module ``aiohttp.websocket``: ``Message``, ``MSG_*``, parser and writer.

See ``heron.legacy.websocket``; modern code uses ``heron.web.WebSocketResponse`` and
``ClientSession.ws_connect()`` (messages are ``heron.WSMessage`` with ``.type``).
"""

from .legacy.websocket import (
    MSG_BINARY,
    MSG_CLOSE,
    MSG_PING,
    MSG_PONG,
    MSG_TEXT,
    Message,
    MsgType,
    WebSocketError,
    WebSocketParser,
    WebSocketWriter,
    do_handshake,
)

__all__ = (
    "MSG_BINARY",
    "MSG_CLOSE",
    "MSG_PING",
    "MSG_PONG",
    "MSG_TEXT",
    "Message",
    "MsgType",
    "WebSocketError",
    "WebSocketParser",
    "WebSocketWriter",
    "do_handshake",
)
