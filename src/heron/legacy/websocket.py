"""0.x ``aiohttp.websocket``: ``Message``, ``MSG_*``, a generator parser and a sync writer.

These sit on heron's sans-IO WebSocket (``heron.ws``): ``do_handshake`` is
``heron.ws.server_handshake`` without permessage-deflate, :func:`WebSocketParser`
feeds :class:`heron.ws.WebSocketReader` from a :class:`~heron.parsers.ParserBuffer`,
and :class:`WebSocketWriter` writes the frames of :class:`heron.ws.WebSocketWriter`
to a transport. Used with the low-level :class:`heron.server.ServerHttpProtocol`::

    status, headers, parser, writer = do_handshake(message.method, message.headers,
                                                   self.transport)
    resp = heron.Response(self.writer, status, http_version=message.version)
    resp.add_headers(*headers)
    resp.send_headers()
    queue = self.reader.set_parser(parser)
    msg = await queue.read()            # a Message(tp, data, extra)
    writer.send("echo: " + msg.data)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterable
from typing import Any, NamedTuple, Protocol

from ..http.errors import HttpProcessingError
from ..ws.handshake import server_handshake
from ..ws.models import WebSocketError, WSHandshakeError, WSMsgType
from ..ws.reader import WebSocketReader
from ..ws.writer import WebSocketWriter as _FrameWriter
from .parsers import ParserBuffer

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

MsgType = WSMsgType
"""0.x name of :class:`heron.WSMsgType` (its lowercase members, ``MsgType.text``, work)."""

MSG_TEXT = WSMsgType.TEXT
MSG_BINARY = WSMsgType.BINARY
MSG_PING = WSMsgType.PING
MSG_PONG = WSMsgType.PONG
MSG_CLOSE = WSMsgType.CLOSE


class Message(NamedTuple):
    """0.x received message: ``tp`` (a ``MSG_*`` type), ``data`` and ``extra``.

    CLOSE messages carry the close code in ``data`` and the reason in ``extra``.
    """

    tp: WSMsgType
    data: Any
    extra: Any


def WebSocketParser(out: Any, buf: ParserBuffer) -> Generator[None, bytes, None]:
    """Generator parser (server side: client frames must be masked) emitting Messages.

    Protocol errors raise :class:`heron.WebSocketError` (its ``code`` is the close code
    to fail the connection with); the driving StreamParser hands it to ``out``.
    """
    reader = WebSocketReader(is_client=False, compress=None)
    while True:
        data = yield from buf.readsome()
        for msg in reader.feed_data(data):
            out.feed_data(Message(msg.type, msg.data, msg.extra), 0)


class _Transport(Protocol):
    def write(self, data: bytes) -> Any: ...


class WebSocketWriter:
    """0.x frame writer: ``send``/``ping``/``pong``/``close`` write at once (no await).

    ``use_mask=True`` masks frames (the client side); ``random`` may be a
    ``random.Random`` (its ``getrandbits`` is used) or a ``bytes``-returning function.
    """

    def __init__(self, writer: _Transport, *, use_mask: bool = False, random: Any = None) -> None:
        self.writer = writer
        source: Callable[[int], bytes] = os.urandom
        if random is not None and hasattr(random, "getrandbits"):
            rng = random

            def source(n: int) -> bytes:
                return int(rng.getrandbits(8 * n)).to_bytes(n, "big")

        elif callable(random):
            source = random
        self._frames = _FrameWriter(is_client=use_mask, random=source)

    def _write(self, frames: Iterable[bytes]) -> None:
        self.writer.write(b"".join(frames))

    def send(self, message: str | bytes, binary: bool = False) -> None:
        """Send a TEXT message (``str``), or a BINARY one with ``binary=True``."""
        if binary:
            data = message.encode("utf-8") if isinstance(message, str) else message
            self._write(self._frames.encode_message(data, WSMsgType.BINARY))
        else:
            text = message if isinstance(message, str) else bytes(message).decode("utf-8")
            self._write(self._frames.encode_message(text, WSMsgType.TEXT))

    def ping(self, message: str | bytes = b"") -> None:
        """Send a PING."""
        self._write(self._frames.ping(message))

    def pong(self, message: str | bytes = b"") -> None:
        """Send a PONG."""
        self._write(self._frames.pong(message))

    def close(self, code: int = 1000, message: str | bytes = b"") -> None:
        """Send a CLOSE with ``code`` and ``message``."""
        self._write(self._frames.close(code, message))


def do_handshake(
    method: str, headers: Any, transport: _Transport, protocols: Iterable[str] = ()
) -> tuple[int, list[tuple[str, str]], Callable[..., Any], WebSocketWriter]:
    """Check a client's opening handshake; no I/O.

    Returns ``(101, response_headers, WebSocketParser, WebSocketWriter(transport))``.
    The subprotocol is chosen in the client's order of preference among ``protocols``.
    A bad handshake raises :class:`heron.http.HttpProcessingError` whose ``code`` is
    the status to answer (400, 405, 426) and ``headers`` the headers to send with it.
    """
    try:
        agreed = server_handshake(method, headers, protocols=protocols, compress=False)
    except WSHandshakeError as exc:
        raise HttpProcessingError(
            exc.message, code=exc.status, headers=list(exc.headers) or None
        ) from exc
    return 101, list(agreed.headers), WebSocketParser, WebSocketWriter(transport)
