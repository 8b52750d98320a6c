"""WebSocket message model: message types, close codes, messages and errors.

These are the names aiohttp 3.x users know (`WSMsgType`, `WSMessage`, `WSCloseCode`), plus
the protocol errors raised by the sans-IO reader and the handshake helpers.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable
from enum import IntEnum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

__all__ = (
    "WS_CLOSED_MESSAGE",
    "WS_CLOSING_MESSAGE",
    "WSCloseCode",
    "WSHandshakeError",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
)


class WSMsgType(IntEnum):
    """Type of a WebSocket message (frame opcodes plus a few local states).

    `CONTINUATION`..`CLOSE` are RFC 6455 opcodes; `CLOSING`, `CLOSED` and `ERROR` never go
    on the wire: the connection layer uses them to report its own state. Lowercase aliases
    (`text`, `binary`, ...) keep 0.x code (`MsgType.text`) working.
    """

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    PING = 0x9
    PONG = 0xA
    CLOSE = 0x8
    CLOSING = 0x100
    CLOSED = 0x101
    ERROR = 0x102

    # 0.x spellings. At run time a repeated value makes an alias of the first member; type
    # checkers are told they are the same members (not new ones) so comparisons type-check.
    if TYPE_CHECKING:
        text: ClassVar[WSMsgType]
        binary: ClassVar[WSMsgType]
        ping: ClassVar[WSMsgType]
        pong: ClassVar[WSMsgType]
        close: ClassVar[WSMsgType]
        closing: ClassVar[WSMsgType]
        closed: ClassVar[WSMsgType]
        error: ClassVar[WSMsgType]
    else:
        text = TEXT
        binary = BINARY
        ping = PING
        pong = PONG
        close = CLOSE
        closing = CLOSING
        closed = CLOSED
        error = ERROR


class WSCloseCode(IntEnum):
    """Close status codes of RFC 6455 §7.4.1 and the IANA registry."""

    OK = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    ABNORMAL_CLOSURE = 1006
    INVALID_TEXT = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014


class WSMessage(NamedTuple):
    """One received WebSocket message.

    `data` is a `str` for TEXT, `bytes` for BINARY/PING/PONG, the close code (`int`) for
    CLOSE, the exception for ERROR and `None` for CLOSING/CLOSED. `extra` is the close
    reason for CLOSE messages and `""` otherwise (or `None` for the local states).
    """

    type: WSMsgType
    data: Any
    extra: str | None

    def json(self, *, loads: Callable[[Any], Any] = json.loads) -> Any:
        """Return the message payload decoded as JSON (`loads` may be replaced)."""
        return loads(self.data)

    @property
    def tp(self) -> WSMsgType:
        """Deprecated 0.x name of `type`."""
        warnings.warn("WSMessage.tp is deprecated, use .type", DeprecationWarning, stacklevel=2)
        return self.type


WS_CLOSED_MESSAGE = WSMessage(WSMsgType.CLOSED, None, None)
"""Returned by a connection's receive() once it is closed."""

WS_CLOSING_MESSAGE = WSMessage(WSMsgType.CLOSING, None, None)
"""Returned by a connection's receive() while its closing handshake runs."""


class WebSocketError(Exception):
    """A WebSocket protocol violation; `code` is the close code to fail the connection with.

    When raised by `WebSocketReader.feed_data`, `messages` holds the messages that were
    complete before the offending frame in the same call, so that a caller can deliver
    them before failing the connection.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.messages: list[WSMessage] = []

    def __str__(self) -> str:
        return self.message


class WSHandshakeError(Exception):
    """The opening handshake failed.

    On the server side `status` is the HTTP status to answer with and `headers` the extra
    response headers to send with it (for example `Sec-WebSocket-Version` on a version
    mismatch, `Allow` on a wrong method). On the client side `status` is the status the
    server answered with.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers: tuple[tuple[str, str], ...] = tuple(headers)

    def __str__(self) -> str:
        return self.message
