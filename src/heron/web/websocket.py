"""Server WebSockets: `WebSocketResponse`, the response that upgrades its connection.

A handler creates one, ``await ws.prepare(request)`` answers the handshake with
``101 Switching Protocols`` and takes the connection over; then it talks through the
methods of `heron._websocket.WebSocketAPI` (``send_str``, ``receive``, ``async for``,
``close``, ...)::

    async def handler(request):
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data + "/answer")
        return ws

Returning from the handler closes the socket (code 1000). A graceful server shutdown
closes sockets that are still open with 1001 GOING_AWAY: `prepare()` registers a
shutdown callback through `RequestHandler.switch_protocol`.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from .._websocket import WebSocketAPI, WSConnection
from ..ws import (
    DEFAULT_MAX_MSG_SIZE,
    PerMessageDeflate,
    ServerHandshake,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSHandshakeError,
    WSMessage,
    server_handshake,
)
from .exceptions import HTTPBadRequest, HTTPException, HTTPMethodNotAllowed, HTTPUpgradeRequired
from .response import StreamResponse

if TYPE_CHECKING:
    from ..writer import AbstractStreamWriter
    from .request import BaseRequest

__all__ = ("WebSocketReady", "WebSocketResponse")

# aiohttp's guard: a handler that keeps calling receive() on a closed socket is looping.
_CLOSED_READS_LIMIT = 5


class WebSocketReady(NamedTuple):
    """The answer of `WebSocketResponse.can_prepare()`: truthy when `ok`."""

    ok: bool
    protocol: str | None

    def __bool__(self) -> bool:
        return self.ok


def _http_error(request: BaseRequest, exc: WSHandshakeError) -> HTTPException:
    """The HTTP answer to a refused handshake (the sans-IO layer chose the status)."""
    if exc.status == 405:
        return HTTPMethodNotAllowed(request.method, ["GET"], text=exc.message)
    if exc.status == 426:
        return HTTPUpgradeRequired(headers=exc.headers, text=exc.message)
    return HTTPBadRequest(headers=exc.headers, text=exc.message)


class WebSocketResponse(StreamResponse, WebSocketAPI):
    """A server-side WebSocket (aiohttp 3.x ``web.WebSocketResponse``).

    * `timeout` — seconds `close()` waits for the peer's CLOSE;
    * `receive_timeout` — default timeout of `receive()` (None: wait forever);
    * `autoclose` — answer the peer's CLOSE at once (else call `close()` yourself);
    * `autoping` — answer PINGs and swallow PONGs (else `receive()` returns them);
    * `heartbeat` — send a PING after this many seconds of silence and close with 1006
      if nothing comes back within half of it;
    * `protocols` — subprotocols the server speaks (the client's order picks one);
    * `compress` — accept permessage-deflate when the client offers it;
    * `max_msg_size` — largest message accepted (0: no limit); bigger ones close the
      socket with 1009.
    """

    _length_check = False

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocols: Iterable[str] = (),
        compress: bool = True,
        max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
    ) -> None:
        super().__init__(status=101)
        self._timeout = timeout
        self._receive_timeout = receive_timeout
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat
        self._protocols = tuple(protocols)
        self._compress_wanted = compress
        self._max_msg_size = max_msg_size
        self._ws_protocol: str | None = None
        self._agreement: PerMessageDeflate | None = None
        self._start_task: asyncio.Task[AbstractStreamWriter | None] | None = None

    # -- handshake ---------------------------------------------------------------------

    def _handshake(self, request: BaseRequest) -> ServerHandshake:
        try:
            return server_handshake(
                request.method,
                request.headers,
                protocols=self._protocols,
                compress=self._compress_wanted,
            )
        except WSHandshakeError as exc:
            raise _http_error(request, exc) from None

    def can_prepare(self, request: BaseRequest) -> WebSocketReady:
        """Whether `request` is a WebSocket handshake this response accepts, and the
        subprotocol it would choose; never raises for a bad request."""
        if self._ws is not None:
            raise RuntimeError("Already started")
        try:
            handshake = self._handshake(request)
        except HTTPException:
            return WebSocketReady(False, None)
        return WebSocketReady(True, handshake.protocol)

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        """Answer the handshake (101) and take the connection over.

        Raises an `HTTPException` (400, 405 or 426) for a request that is not a valid
        WebSocket handshake. The application's ``on_response_prepare`` fires first.
        """
        if self._payload_writer is not None or self._eof_sent:
            return self._payload_writer
        handshake = self._handshake(request)
        for name, value in handshake.headers:
            self._headers[name] = value
        self._ws_protocol = handshake.protocol
        self._agreement = handshake.compress
        writer = await super().prepare(request)
        assert writer is not None
        await writer.drain()  # the 101 head leaves now, not with a (never coming) body
        self._start_connection(request)
        return writer

    def _start_connection(self, request: BaseRequest) -> None:
        protocol = request.protocol
        agreement = self._agreement
        loop = asyncio.get_running_loop()

        def release() -> None:
            transport = protocol.transport
            if transport is not None:
                transport.close()

        ws = WSConnection(
            protocol,
            reader=WebSocketReader(
                is_client=False, max_msg_size=self._max_msg_size, compress=agreement
            ),
            writer=WebSocketWriter(is_client=False, compress=agreement),
            loop=loop,
            release=release,
            autoclose=self._autoclose,
            autoping=self._autoping,
            heartbeat=self._heartbeat,
            receive_timeout=self._receive_timeout,
            close_timeout=self._timeout,
            closed_reads_limit=_CLOSED_READS_LIMIT,
        )
        self._ws = ws
        ws._park = protocol.park_for(ws)  # messages run a parked handler on inline
        protocol.switch_protocol(ws.feed_data, ws.connection_lost, self._on_server_shutdown)
        ws.start()

    async def _on_server_shutdown(self) -> None:
        """Called by the connection when the server shuts down gracefully."""
        await self.close(code=WSCloseCode.GOING_AWAY, message=b"Server shutdown")

    def start(self, request: BaseRequest) -> asyncio.Task[AbstractStreamWriter | None]:
        """Deprecated 0.x spelling of `prepare()`: starts it in a task and returns it.

        The other methods wait for that task, so ``ws.start(request)`` without
        ``await`` keeps working.
        """
        warnings.warn("use .prepare() instead of .start()", DeprecationWarning, stacklevel=2)
        task = self._start_task = asyncio.ensure_future(self.prepare(request))
        return task

    def can_start(self, request: BaseRequest) -> WebSocketReady:
        """Deprecated 0.x spelling of `can_prepare()`."""
        warnings.warn(
            "use .can_prepare() instead of .can_start()", DeprecationWarning, stacklevel=2
        )
        return self.can_prepare(request)

    async def receive_msg(self) -> WSMessage:
        """Deprecated 0.12 spelling of `receive()` that raises at the end (legacy.md)."""
        from ..legacy.web import receive_msg

        return await receive_msg(self)

    async def wait_closed(self) -> None:
        """Deprecated 0.12: wait for the close, then raise (see docs/legacy.md)."""
        from ..legacy.web import wait_closed

        await wait_closed(self)

    async def _ready(self) -> WSConnection:
        task = self._start_task
        if self._ws is None and task is not None:
            await task
        return self._conn()

    # -- what the handshake agreed -------------------------------------------------------

    @property
    def ws_protocol(self) -> str | None:
        """The subprotocol chosen in the handshake, or None."""
        return self._ws_protocol

    @property
    def protocol(self) -> str | None:
        """0.x name of `ws_protocol`."""
        return self._ws_protocol

    @property
    def compress(self) -> bool | int:
        """Before `prepare()`: whether compression is accepted. After: the window bits
        of the agreed permessage-deflate (our side's), or False when none was agreed."""
        if self._ws is None:
            return self._compress_wanted
        agreement = self._agreement
        return agreement.server_max_window_bits if agreement is not None else False

    def _compress_agreed(self) -> bool:
        return self._agreement is not None

    # -- the StreamResponse side -------------------------------------------------------

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Not available: a WebSocket sends messages (`send_str`, `send_bytes`, ...)."""
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        """Close the socket (code 1000) if still open; the server calls this when the
        handler returns."""
        if self._eof_sent:
            return
        if self._ws is None:
            raise RuntimeError("Response has not been started")
        if not await self.close():
            # Closing started elsewhere (a graceful shutdown): let it finish before the
            # server drops the connection.
            await self._ws.wait_closed()
        self._eof_sent = True

    def __repr__(self) -> str:
        state = "not prepared" if self._ws is None else ("closed" if self.closed else "open")
        return f"<WebSocketResponse {state}>"
