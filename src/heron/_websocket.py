"""One WebSocket over an asyncio transport, shared by the server and the client.

`WSConnection` wires the sans-IO pieces of `heron.ws` (reader, writer) to a connection
protocol (`heron.flow.BaseProtocol`) that has handed its bytes over after a
``101 Switching Protocols``. `WebSocketAPI` is the public surface both
`heron.web.WebSocketResponse` and `heron.ClientWebSocketResponse` present (aiohttp 3.x:
coroutine senders, `receive()` returning `WSMessage`, `async for`).

Design notes (why it works the way it does):

* Control frames are handled as they arrive, not when the application reads: a PING is
  answered at once (``autoping``), a peer's CLOSE is answered at once (``autoclose``),
  so a busy handler never stalls the peer's heartbeat or close handshake. Messages
  queued before a CLOSE are still delivered, then the CLOSE itself once, then CLOSED.
* Every frame is encoded and handed to the transport synchronously, so frames of
  concurrent senders never interleave and compression state stays in order; senders
  then ``await drain()`` for back-pressure.
* Received messages wait in a small inbox; reading from the socket pauses while the
  application lags behind by more than `INBOX_LIMIT` bytes. A message that arrives while
  `receive()` waits is handed to its future directly (the echo loop's common case).
* Per-message cost is what S6 measures: one small frame takes `WebSocketReader.feed_frame`
  (no list, no loop), ``async for`` and `send_str` cost one coroutine each, and
  receive timeouts re-arm one timer lazily instead of creating one per message.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Final, Protocol

from .flow import BaseProtocol
from .ws import (
    WS_CLOSED_MESSAGE,
    WS_CLOSING_MESSAGE,
    WebSocketError,
    WebSocketReader,
    WebSocketWriter,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    is_valid_close_code,
)

__all__ = ("INBOX_LIMIT", "WSConnection", "WebSocketAPI")

INBOX_LIMIT: Final = 2**16
"""Bytes of unread messages above which reading from the socket pauses."""

_ABNORMAL: Final = WSCloseCode.ABNORMAL_CLOSURE
_END_TYPES: Final = frozenset((WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED))

ErrorFactory = Callable[[str], BaseException]


_TEXT: Final = WSMsgType.TEXT
_BINARY: Final = WSMsgType.BINARY


def _size(msg: WSMessage) -> int:
    data = msg.data
    kind = type(data)
    return len(data) if kind is str or kind is bytes or isinstance(data, str | bytes) else 0


class Resumer(Protocol):
    """Runs a server handler parked on a receive() future on (see web/_inline.py)."""

    waiting: asyncio.Future[Any] | None

    def resume(self, value: Any) -> None:
        """Complete the parked future with ``value`` and run the handler on."""

    def hand_back(self) -> None:
        """The parked future is about to be completed otherwise: wake the handler's task."""


class WSConnection:
    """The state machine of one open WebSocket (see the module docstring).

    `protocol` is the connection's protocol; the owner routes its bytes here with
    ``protocol.switch_protocol(conn.feed_data, conn.connection_lost)``. `release()` is
    called once, when the connection is done with the transport (it closes it).
    `timeout_error` and `reset_error` build the exceptions of a missed heartbeat and of a
    send on a closed socket (the client uses its own exception classes).
    `closed_reads_limit` > 0 makes `receive()` raise `RuntimeError` after that many reads
    of an already closed socket (the server's guard against endless loops).
    `_park` is set by a server whose handler may be parked on `receive()` (a message
    then runs the handler on inline instead of waking its task).
    """

    _park: Resumer | None = None

    def __init__(
        self,
        protocol: BaseProtocol,
        *,
        reader: WebSocketReader,
        writer: WebSocketWriter,
        loop: asyncio.AbstractEventLoop,
        release: Callable[[], None],
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        receive_timeout: float | None = None,
        close_timeout: float | None = 10.0,
        timeout_error: ErrorFactory = asyncio.TimeoutError,
        reset_error: ErrorFactory = ConnectionResetError,
        closed_reads_limit: int = 0,
    ) -> None:
        self._protocol = protocol
        self._reader = reader
        self._writer = writer
        self._text_headers = writer.text_headers
        self._loop = loop
        self._release_cb: Callable[[], None] | None = release
        self._autoclose = autoclose
        self._autoping = autoping
        self._heartbeat = heartbeat or None
        self.receive_timeout = receive_timeout
        self._close_timeout = close_timeout
        self._timeout_error = timeout_error
        self._reset_error = reset_error
        self._closed_reads_limit = closed_reads_limit
        self._closed_reads = 0
        # _closed: we sent CLOSE (or gave up on the connection); _closing: the peer's
        # CLOSE arrived; _eof: the transport is gone; _failed: the reader broke.
        self._closed = False
        self._closing = False
        self._eof = False
        self._failed = False
        self.close_code: int | None = None
        self.exception: BaseException | None = None
        self._inbox: deque[WSMessage] = deque()
        self._inbox_size = 0
        self._inbox_paused = False
        self._waiter: asyncio.Future[WSMessage | None] | None = None
        self._receiving = False
        self._close_waiter: asyncio.Future[None] | None = None
        self._hb_handle: asyncio.TimerHandle | None = None
        # receive() timeouts: one timer re-armed lazily (see _on_receive_timeout), and the
        # deadline of the receive() waiting now (0.0: none waits with a timeout).
        self._rt_handle: asyncio.TimerHandle | None = None
        self._rt_deadline = 0.0
        self._last_recv = 0.0
        self._ping_sent = 0.0

    # -- state -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once a CLOSE was sent (by `close()` or `autoclose`) or the socket died."""
        return self._closed

    @property
    def transport(self) -> asyncio.Transport | None:
        """The transport, None once the connection is lost."""
        return self._protocol.transport

    def start(self) -> None:
        """Start the heartbeat (call once the protocol routes its bytes here)."""
        if self._heartbeat is not None and not self._closed:
            self._last_recv = self._loop.time()
            self._hb_handle = self._loop.call_at(
                self._last_recv + self._heartbeat, self._on_heartbeat
            )

    # -- bytes in (called by the connection protocol) ---------------------------------------

    def feed_data(self, data: bytes) -> None:
        """Parse bytes from the peer; queue messages, answer control frames."""
        if self._failed or self._closing:
            return  # nothing after a CLOSE or a protocol error means anything
        if self._heartbeat is not None:
            self._last_recv = self._loop.time()
        # The common case first: one whole small data message per read.
        msg = self._reader.feed_frame(data)
        if msg is not None:
            if self._closed:
                return  # we sent CLOSE: the peer's late data is of no interest
            waiter = self._waiter
            if waiter is not None and not waiter.done():
                # A reader waits, so the inbox is empty: hand the message over directly
                # (and if the server parked its handler on it, run the handler on now).
                park = self._park
                if park is not None and park.waiting is waiter:
                    park.resume(msg)
                else:
                    waiter.set_result(msg)
            else:
                self._queue(msg)
            return
        try:
            messages = self._reader.feed_data(data)
        except WebSocketError as exc:
            for msg in exc.messages:
                self._on_message(msg)
            self._fail(exc)
            return
        for msg in messages:
            kind = msg[0]
            if (kind is _TEXT or kind is _BINARY) and not (self._closing or self._closed):
                waiter = self._waiter
                if waiter is not None and not waiter.done():
                    park = self._park
                    if park is not None and park.waiting is waiter:
                        park.resume(msg)
                    else:
                        waiter.set_result(msg)
                else:
                    self._queue(msg)
            else:
                self._on_message(msg)

    def _queue(self, msg: WSMessage) -> None:
        """Append a data message to the inbox (nobody waits: no wake-up)."""
        self._inbox.append(msg)
        self._inbox_size += len(msg[1])
        if self._inbox_size > INBOX_LIMIT and not self._inbox_paused:
            self._inbox_paused = True
            self._protocol.pause_reading()

    def connection_lost(self, exc: BaseException | None) -> None:
        """The transport closed: wake everybody; 1006 unless a close code is known."""
        self._eof = True
        self._closed = True
        self._stop_heartbeat()
        self._stop_receive_timeout()
        if self.close_code is None:
            self.close_code = _ABNORMAL
        if exc is not None and self.exception is None:
            self.exception = exc
        self._release()  # the owner's bookkeeping (the client's connection pool)
        self._wake_receiver()
        self._wake_closer()

    def _on_message(self, msg: WSMessage) -> None:
        kind = msg.type
        if self._closing:
            return
        if kind is WSMsgType.CLOSE:
            self._on_close_frame(msg)
        elif self._closed:
            return  # we sent CLOSE: the peer's late data is of no interest
        elif kind is WSMsgType.PING and self._autoping:
            self._write(self._writer.pong(msg.data))
        elif kind is WSMsgType.PONG and self._autoping:
            return  # it already counted as a sign of life for the heartbeat
        else:
            self._push(msg)

    def _on_close_frame(self, msg: WSMessage) -> None:
        self._closing = True
        code: int = msg.data
        if self._closed:
            # The answer to our CLOSE: the handshake is complete.
            if self.close_code is None:
                self.close_code = code
            self._wake_closer()
            self._release()
            return
        self.close_code = code
        if self._autoclose:
            self._closed = True
            self._stop_heartbeat()
            # RFC 6455 §5.5.1: the answer usually echoes the status code received.
            self._write(self._writer.close(code if is_valid_close_code(code) else 1000))
            self._release()
        self._push(msg)

    def _fail(self, exc: WebSocketError) -> None:
        """A protocol violation: report it, send CLOSE with its code, drop the socket."""
        self._failed = True
        self.exception = exc
        if not self._closed:
            self._closed = True
            self.close_code = exc.code
            self._stop_heartbeat()
            self._write(self._writer.close(exc.code))
        self._push(WSMessage(WSMsgType.ERROR, exc, None))
        self._wake_closer()
        self._release()

    # -- the inbox ------------------------------------------------------------------------

    def _push(self, msg: WSMessage) -> None:
        self._inbox.append(msg)
        self._inbox_size += _size(msg)
        if self._inbox_size > INBOX_LIMIT and not self._inbox_paused:
            self._inbox_paused = True
            self._protocol.pause_reading()
        self._wake_receiver()

    def _pop(self) -> WSMessage:
        msg = self._inbox.popleft()
        data = msg[1]
        kind = type(data)
        if kind is str or kind is bytes:  # _size(msg), without the call
            self._inbox_size -= len(data)
        else:
            self._inbox_size -= _size(msg)
        if self._inbox_paused and self._inbox_size <= INBOX_LIMIT // 2:
            self._inbox_clear_paused()
        return msg

    def _inbox_clear_paused(self) -> None:
        if self._inbox_paused:
            self._inbox_paused = False
            self._protocol.resume_reading()

    def _wake_receiver(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            self._unpark(waiter)
            waiter.set_result(None)

    def _unpark(self, waiter: asyncio.Future[WSMessage | None]) -> None:
        """Before completing `waiter` other than with a message: see `Resumer`."""
        park = self._park
        if park is not None and park.waiting is waiter:
            park.hand_back()

    def _wake_closer(self) -> None:
        waiter = self._close_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def receive(self, timeout: float | None = None, iterating: bool = False) -> WSMessage:
        """Return the next message (see `WebSocketAPI.receive`).

        `iterating=True` serves ``async for`` (without a coroutine of its own): the end
        of the socket raises `StopAsyncIteration` instead of returning CLOSE/CLOSING/CLOSED.
        """
        if self._receiving:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        if self._inbox:
            msg = self._pop()  # the common case under load: a message is waiting
        else:
            self._receiving = True
            try:
                while not self._inbox:
                    if self._closed:
                        msg = self._closed_message()
                        break
                    if self._closing:
                        msg = WS_CLOSING_MESSAGE
                        break
                    # feed_data completes the waiter with the next data message itself
                    # (no trip through the inbox); None says "the state changed, look again".
                    waiter: asyncio.Future[WSMessage | None] = self._loop.create_future()
                    self._waiter = waiter
                    delay = timeout or self.receive_timeout
                    try:
                        if delay is None:
                            handed = await waiter
                        else:
                            self._arm_receive_timeout(delay)
                            try:
                                handed = await waiter
                            finally:
                                self._rt_deadline = 0.0
                    except BaseException:
                        self._reclaim(waiter)
                        raise
                    if handed is not None and self._waiter is waiter:
                        return handed  # TEXT or BINARY: never the end of an iteration
                else:
                    msg = self._pop()
            finally:
                self._waiter = None
                self._receiving = False
        if iterating and msg[0] in _END_TYPES:
            raise StopAsyncIteration
        return msg

    def _reclaim(self, waiter: asyncio.Future[WSMessage | None]) -> None:
        """Put back a message handed to a receive() that was cancelled before it woke."""
        if (
            self._waiter is waiter
            and waiter.done()
            and not waiter.cancelled()
            and waiter.exception() is None
        ):
            msg = waiter.result()
            if msg is not None:
                self._inbox.appendleft(msg)
                self._inbox_size += len(msg[1])

    def _arm_receive_timeout(self, delay: float) -> None:
        """Make the waiting receive() fail with TimeoutError after `delay` seconds.

        Why not ``asyncio.timeout`` per call: that is a timer created and cancelled for
        every message. The one timer here is only moved when it would fire too late;
        when it fires early (messages came meanwhile) it re-arms for the new deadline.
        """
        deadline = self._rt_deadline = self._loop.time() + delay
        handle = self._rt_handle
        if handle is None or handle.when() > deadline:
            if handle is not None:
                handle.cancel()
            self._rt_handle = self._loop.call_at(deadline, self._on_receive_timeout)

    def _on_receive_timeout(self) -> None:
        handle, self._rt_handle = self._rt_handle, None
        waiter, deadline = self._waiter, self._rt_deadline
        if handle is None or waiter is None or waiter.done() or not deadline:
            return  # nobody waits with a timeout: the timer lapses
        if deadline > handle.when():
            # The receive() waiting now started after this timer was set: not yet.
            self._rt_handle = self._loop.call_at(deadline, self._on_receive_timeout)
            return
        self._unpark(waiter)
        waiter.set_exception(TimeoutError())

    def _stop_receive_timeout(self) -> None:
        handle, self._rt_handle = self._rt_handle, None
        if handle is not None:
            handle.cancel()

    def _closed_message(self) -> WSMessage:
        limit = self._closed_reads_limit
        if limit:
            self._closed_reads += 1
            if self._closed_reads >= limit:
                raise RuntimeError("WebSocket connection is closed.")
        return WS_CLOSED_MESSAGE

    # -- bytes out -------------------------------------------------------------------------

    def _write(self, frames: list[bytes]) -> None:
        transport = self._protocol.transport
        if transport is not None and not transport.is_closing():
            transport.writelines(frames)

    def _check_open(self) -> asyncio.Transport:
        transport = self._protocol.transport
        if self._closed or transport is None or transport.is_closing():
            raise self._reset_error("Cannot write to closing transport")
        return transport

    async def send_frames(self, frames: list[bytes]) -> None:
        """Hand encoded frames to the transport, then wait while it is full."""
        self._check_open().writelines(frames)
        protocol = self._protocol
        if protocol._writing_paused or protocol._connection_lost:
            await self.drain()

    async def drain(self) -> None:
        """Wait while the transport is paused; the reset error once it is lost."""
        try:
            await self._protocol.drain()
        except ConnectionResetError as exc:
            raise self._reset_error(str(exc) or "Connection lost") from exc

    async def send_message(
        self, data: str | bytes | bytearray | memoryview, opcode: int, compress: bool | None
    ) -> None:
        """Encode and send one TEXT or BINARY message."""
        transport = self._protocol.transport
        if self._closed or transport is None or transport.is_closing():
            transport = self._check_open()  # raises the right error
        frames = self._writer.encode_message(data, opcode, compress=compress)
        if len(frames) == 1:
            transport.write(frames[0])  # uvloop sends a single write() at once
        else:
            transport.writelines(frames)
        # Only a paused (or lost) transport needs the drain coroutine.
        protocol = self._protocol
        if protocol._writing_paused or protocol._connection_lost:
            await self.drain()

    def write_text(self, text: str) -> bool:
        """Send a TEXT message with the defaults, without a coroutine.

        Returns True when the caller must ``await drain()`` (the transport is paused or
        lost); `WebSocketAPI.send_str` uses it to spare a coroutine per message.
        """
        protocol = self._protocol
        transport = protocol.transport
        if self._closed or transport is None or transport.is_closing():
            transport = self._check_open()  # raises the right error
        payload = text.encode()  # UTF-8 (the default: no argument to parse)
        length = len(payload)
        headers = self._text_headers
        if headers is not None and length < 126:
            transport.write(headers[length] + payload)  # the frame, without a call
        else:
            frames = self._writer.encode_message(payload, _TEXT)
            if len(frames) == 1:
                transport.write(frames[0])
            else:
                transport.writelines(frames)
        return protocol._writing_paused or protocol._connection_lost

    async def ping(self, message: str | bytes) -> None:
        """Send a PING frame."""
        self._check_open()
        await self.send_frames(self._writer.ping(message))

    async def pong(self, message: str | bytes) -> None:
        """Send an (unsolicited) PONG frame."""
        self._check_open()
        await self.send_frames(self._writer.pong(message))

    # -- closing ---------------------------------------------------------------------------

    async def close(self, code: int = 1000, message: str | bytes = b"") -> bool:
        """Run the closing handshake; False if the socket was closed already."""
        if self._closed:
            return False
        frames = self._writer.close(code, message)  # ValueError for a code nobody may send
        self._closed = True
        self._stop_heartbeat()
        self._inbox.clear()  # who closes is done reading: pending messages are dropped
        self._inbox_size = 0
        self._inbox_clear_paused()
        self._wake_receiver()
        self._waiter = None  # drops a message handed to a receive() that did not wake yet
        if self._eof or self._protocol.transport is None:
            return True
        waiter: asyncio.Future[None] | None = None
        if not self._closing:
            waiter = self._close_waiter = self._loop.create_future()
        self._write(frames)
        try:
            try:
                await self._protocol.drain()
                if waiter is not None:
                    async with asyncio.timeout(self._close_timeout):
                        await waiter
            finally:
                self._close_waiter = None
        except ConnectionResetError as exc:
            self._give_up(exc)
        except TimeoutError:
            self._give_up(TimeoutError())
        except asyncio.CancelledError:
            self._give_up(None)
            raise
        self._release()
        return True

    async def wait_closed(self) -> None:
        """Wait until a closing handshake in progress (in another task) is over."""
        waiter = self._close_waiter
        if waiter is not None and not waiter.done():
            await asyncio.shield(waiter)

    def _give_up(self, exc: BaseException | None) -> None:
        if self.close_code is None:
            self.close_code = _ABNORMAL
        if exc is not None and self.exception is None:
            self.exception = exc
        transport = self._protocol.transport
        if transport is not None:
            transport.abort()

    def _release(self) -> None:
        release, self._release_cb = self._release_cb, None
        if release is not None:
            release()

    # -- heartbeat -------------------------------------------------------------------------

    def _stop_heartbeat(self) -> None:
        handle, self._hb_handle = self._hb_handle, None
        if handle is not None:
            handle.cancel()

    def _on_heartbeat(self) -> None:
        self._hb_handle = None
        interval = self._heartbeat
        if self._closed or interval is None:
            return
        now = self._loop.time()
        due = self._last_recv + interval
        if now < due:
            # Data arrived since the timer was set: the peer is alive, look again later.
            self._hb_handle = self._loop.call_at(due, self._on_heartbeat)
            return
        self._ping_sent = now
        self._write(self._writer.ping())
        self._hb_handle = self._loop.call_at(now + interval / 2, self._on_pong_deadline)

    def _on_pong_deadline(self) -> None:
        self._hb_handle = None
        interval = self._heartbeat
        if self._closed or interval is None:
            return
        if self._inbox_paused:
            # We stopped reading the socket ourselves because the application lags
            # behind: a PONG may be waiting unread, which is not the peer's fault.
            self._last_recv = self._loop.time()
        if self._last_recv >= self._ping_sent:
            # Something arrived since the PING (its PONG or anything else).
            self._hb_handle = self._loop.call_at(self._last_recv + interval, self._on_heartbeat)
            return
        exc = self._timeout_error(f"No PONG received after {interval / 2} seconds")
        self.exception = exc
        self._closed = True
        self.close_code = _ABNORMAL
        self._push(WSMessage(WSMsgType.ERROR, exc, None))
        self._wake_closer()
        self._release()


class WebSocketAPI:
    """The WebSocket methods that server and client responses share (aiohttp 3.x API).

    Exactly one task may read (`receive()` and friends); any number may send.
    """

    _ws: WSConnection | None = None

    def _conn(self) -> WSConnection:
        ws = self._ws
        if ws is None:
            raise RuntimeError("Call .prepare() first")
        return ws

    async def _ready(self) -> WSConnection:
        """The connection, once started (subclasses may wait for a handshake here)."""
        return self._conn()

    # -- state -----------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the socket is closed or closing (CLOSE sent, or the peer is gone)."""
        ws = self._ws
        return ws is not None and ws.closed

    @property
    def close_code(self) -> int | None:
        """The close code: the peer's, or 1006 for an abnormal end; None while open."""
        ws = self._ws
        return ws.close_code if ws is not None else None

    def exception(self) -> BaseException | None:
        """The last error seen on the socket (protocol error, timeout, ...), or None."""
        ws = self._ws
        return ws.exception if ws is not None else None

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information (``peername``, ``sslcontext``, ...) or `default`."""
        ws = self._ws
        transport = ws.transport if ws is not None else None
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    # -- sending -----------------------------------------------------------------------------

    async def send_str(self, data: str, compress: int | bool | None = None) -> None:
        """Send a TEXT message. `compress=False` sends this one uncompressed."""
        ws = self._ws
        if ws is not None and compress is None and type(data) is str:
            # The common case, with one coroutine (this one) per message.
            if ws.write_text(data):
                await ws.drain()
            return
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        if ws is None:
            ws = await self._ready()
        await ws.send_message(
            data, WSMsgType.TEXT, None if compress is None else self._compress_flag(compress)
        )

    async def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | bool | None = None
    ) -> None:
        """Send a BINARY message."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        ws = self._ws
        if ws is None:
            ws = await self._ready()
        await ws.send_message(
            data, WSMsgType.BINARY, None if compress is None else self._compress_flag(compress)
        )

    async def send_json(
        self,
        data: Any,
        compress: int | bool | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> None:
        """Send `data` serialised by `dumps` as a TEXT message (TypeError if not a str)."""
        await self.send_str(dumps(data), compress=compress)

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | bool | None = None
    ) -> None:
        """Send one message with an explicit opcode (TEXT, BINARY, PING or PONG)."""
        ws = await self._ready()
        if opcode is WSMsgType.PING:
            await ws.ping(message)
        elif opcode is WSMsgType.PONG:
            await ws.pong(message)
        elif opcode in (WSMsgType.TEXT, WSMsgType.BINARY):
            await ws.send_message(message, opcode, self._compress_flag(compress))
        else:
            raise ValueError(f"send_frame cannot send {opcode!r}; use close() to close")

    async def ping(self, message: str | bytes = b"") -> None:
        """Send a PING; a `str` payload goes UTF-8 encoded."""
        ws = await self._ready()
        await ws.ping(message)

    async def pong(self, message: str | bytes = b"") -> None:
        """Send an unsolicited PONG; a `str` payload goes UTF-8 encoded."""
        ws = await self._ready()
        await ws.pong(message)

    def _compress_flag(self, compress: int | bool | None) -> bool | None:
        if compress is None:
            return None
        # Compressing is only possible when deflate was agreed; otherwise send plainly.
        return bool(compress) and self._compress_agreed()

    def _compress_agreed(self) -> bool:
        return False

    # -- receiving ---------------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """Wait for the next message.

        Returns TEXT/BINARY messages (and PING/PONG when `autoping` is off), the peer's
        CLOSE once, ERROR when the connection failed, then CLOSED (or CLOSING while a
        closing handshake started by the peer waits for `close()`). Raises
        `asyncio.TimeoutError` after `timeout` (or `receive_timeout`) seconds without a
        message; the socket stays open then.
        """
        ws = self._ws
        if ws is None:
            ws = await self._ready()
        return await ws.receive(timeout)

    async def receive_str(self, *, timeout: float | None = None) -> str:
        """Receive a TEXT message's text; TypeError for any other message."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.TEXT:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT")
        text: str = msg.data
        return text

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        """Receive a BINARY message's bytes; TypeError for any other message."""
        msg = await self.receive(timeout)
        if msg.type is not WSMsgType.BINARY:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.BINARY")
        data: bytes = msg.data
        return data

    async def receive_json(
        self, *, loads: Callable[[str], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        """Receive a TEXT message and decode it with `loads` (ValueError on bad JSON)."""
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> WebSocketAPI:
        return self

    def __anext__(self) -> Coroutine[Any, Any, WSMessage]:
        ws = self._ws
        if ws is not None and type(self).receive is WebSocketAPI.receive:
            # The connection's receive() ends the iteration itself: one coroutine per
            # message instead of two or three.
            return ws.receive(None, True)
        return self._anext()

    async def _anext(self) -> WSMessage:
        msg = await self.receive()
        if msg.type in _END_TYPES:
            raise StopAsyncIteration
        return msg

    # -- closing -----------------------------------------------------------------------------

    async def close(self, *, code: int = WSCloseCode.OK, message: str | bytes = b"") -> bool:
        """Send CLOSE and wait (up to the close timeout) for the peer's; idempotent.

        Returns True if this call closed the socket, False if it was closed already.
        """
        ws = await self._ready()
        return await ws.close(code, message)
