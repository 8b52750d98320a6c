"""Sans-IO WebSocket (RFC 6455, RFC 7692): frames in, messages out; no asyncio.

The server's `WebSocketResponse` and the client's `ws_connect` sit on top of these pieces:
`handshake` (opening handshake for both sides), `WebSocketReader` (bytes to messages),
`WebSocketWriter` (messages to frames) and `deflate` (permessage-deflate).
"""

from . import _masking, deflate, handshake, models, reader, writer
from ._masking import *  # noqa: F403 - each submodule's __all__ is part of this package's
from .deflate import *  # noqa: F403
from .handshake import *  # noqa: F403
from .models import *  # noqa: F403
from .reader import *  # noqa: F403
from .writer import *  # noqa: F403

MsgType = WSMsgType  # noqa: F405
"""Deprecated 0.x name of `WSMsgType`."""

__all__ = (
    "MsgType",
    *_masking.__all__,
    *deflate.__all__,
    *handshake.__all__,
    *models.__all__,
    *reader.__all__,
    *writer.__all__,
)
