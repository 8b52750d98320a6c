"""One :class:`RequestHandler` per connection: parse, dispatch, answer, keep alive.

``data_received`` feeds the sans-IO parser directly; request heads go into a bounded
queue and body bytes into each request's :class:`~heron.streams.StreamReader`. One
task per connection (not per request) takes requests from the queue in order, awaits
the handler inline and writes its response, so pipelined requests are answered in
the order they came.

Timers (one lazily re-armed ``call_at`` handle per connection):

* request head deadline (``request_head_timeout``): a new connection must deliver a
  complete request head in time, and so must a kept-alive connection once the first
  byte of its next request arrived. Silent clients are closed; clients that sent part
  of a head get ``408``. Trickling bytes never extend the deadline.
* keep-alive (``keepalive_timeout``, 75 s): an idle kept-alive connection is closed.
* request body (``body_read_timeout``, 60 s): while a handler waits for body bytes
  and reading is not paused, the client must send something at least this often;
  otherwise the read fails with 408 and the connection closes.

Requests rejected before a handler sees them (malformed, or HTTP/1.1 without
``Host``) are answered after the good requests pipelined before them, logged in the
access log, and the connection closes. A response that leaves a large request body
unread says ``Connection: close`` instead of reading the rest of the upload.

Upgrades: after a ``101`` response a handler (the WebSocket layer) calls
:meth:`RequestHandler.switch_protocol` and receives the raw bytes from then on.
"""

from __future__ import annotations

import asyncio
import contextvars
import html
import socket
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import hdrs
from ..flow import BaseProtocol
from ..http.errors import BadHttpMessage, HttpProcessingError
from ..http.models import EndOfMessage, HttpVersion10, HttpVersion11, RawRequestMessage, Upgrade
from ..http.parser import HttpRequestParser
from ..http.reasons import reason_phrase
from ..http.serializer import serialize_response_head
from ..streams import EMPTY_PAYLOAD, StreamReader
from ..writer import StreamWriter
from ._inline import InlineRun, enter_task, leave_task, run_inline
from .exceptions import HTTPException, HTTPExpectationFailed
from .log import server_logger
from .request import BaseRequest
from .response import SERVER_SOFTWARE, Response, StreamResponse, _http_date

if TYPE_CHECKING:
    import logging

    from .log import AbstractAccessLogger
    from .server import Server

__all__ = ("RequestHandler",)

_HEAD: Final = 1
_KEEPALIVE: Final = 2
_BODY: Final = 3

# The request line logged for a request that could not be parsed (aiohttp's choice).
_UNKNOWN_REQUEST: Final = RawRequestMessage(
    "UNKNOWN",
    "/",
    HttpVersion11,
    CIMultiDictProxy(CIMultiDict()),
    (),
    True,
    None,
    False,
    False,
    URL("/"),
)


class _Rejected:
    """A request answered with an error status; it never reaches the handler."""

    __slots__ = ("error", "message")

    def __init__(self, error: HttpProcessingError, message: RawRequestMessage | None) -> None:
        self.error = error
        self.message = message  # the head, when it was parsed (a missing Host)


_Item = tuple[RawRequestMessage, StreamReader] | _Rejected
_Handler = Callable[["BaseRequest"], Awaitable[StreamResponse]]


class RequestHandler(BaseProtocol):
    """The server side of one HTTP/1.x connection.

    Created by :class:`~heron.web.Server` for each accepted connection; the keyword
    arguments are the server's connection settings (see :class:`~heron.web.Server`).
    """

    def __init__(
        self,
        manager: Server,
        *,
        loop: asyncio.AbstractEventLoop,
        keepalive_timeout: float = 75.0,
        request_head_timeout: float = 30.0,
        body_read_timeout: float | None = 60.0,
        tcp_keepalive: bool = True,
        logger: logging.Logger = server_logger,
        access_logger: AbstractAccessLogger | None = None,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_pipelined: int = 16,
        lingering_time: float = 10.0,
        read_bufsize: int = 2**16,
        auto_decompress: bool = True,
        handler_cancellation: bool = False,
        debug: bool | None = None,
    ) -> None:
        super().__init__(loop)
        self._loop: asyncio.AbstractEventLoop = loop
        self._manager = manager
        self._keepalive_timeout = keepalive_timeout
        self._head_timeout = request_head_timeout
        self._body_timeout = body_read_timeout
        self._tcp_keepalive = tcp_keepalive
        self.logger = logger
        self._access_logger = access_logger
        self._parser_args = (max_line_size, max_field_size, max_headers, auto_decompress)
        self._max_pipelined = max_pipelined
        self._lingering_time = lingering_time
        self._read_bufsize = read_bufsize
        self._handler_cancellation = handler_cancellation
        self._debug = loop.get_debug() if debug is None else debug

        self._parser: HttpRequestParser | None = None
        self._messages: deque[_Item] = deque()
        self._payload: StreamReader | None = None  # the body being received
        self._waiter: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._handling = False
        self._close_requested = False
        self._parse_failed = False
        self._pipeline_paused = False
        self._lost_waiter: asyncio.Future[None] | None = None
        # Upgrade state: the parser stopped at Upgrade(tail); bytes after it wait here.
        self._upgraded = False
        self._upgrade_data: list[bytes] = []
        self._on_data: Callable[[bytes], None] | None = None
        self._on_lost: Callable[[BaseException | None], None] | None = None
        self._on_shutdown: Callable[[], Awaitable[object]] | None = None
        # Timer state.
        self._timer: asyncio.TimerHandle | None = None
        self._timer_kind = 0
        self._deadline = 0.0
        self._head_bytes = False
        # A handler started inline in data_received that the task must finish.
        self._inline: InlineRun[bool] | None = None
        self._context: contextvars.Context | None = None

    # -- public knobs ------------------------------------------------------------

    @property
    def keepalive_timeout(self) -> float:
        """Seconds an idle kept-alive connection stays open."""
        return self._keepalive_timeout

    def keep_alive(self, val: bool) -> None:
        """Allow (True) or forbid (False) more requests on this connection."""
        self._close_requested = not val

    def force_close(self) -> None:
        """Close the connection after the current request."""
        self._close_requested = True

    def close(self) -> None:
        """Stop after the request in progress; an idle connection closes at once."""
        self._close_requested = True
        self._wake()

    # -- asyncio.Protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Start the connection's task and the request head deadline."""
        super().connection_made(transport)
        if self._tcp_keepalive:
            sock = transport.get_extra_info("socket")
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                except OSError:  # pragma: no cover - platform specific
                    pass
        line, field, headers, decompress = self._parser_args
        self._parser = HttpRequestParser(
            max_line_size=line,
            max_field_size=field,
            max_headers=headers,
            auto_decompress=decompress,
        )
        self._manager.connection_made(self, transport)
        # The task gets its own context, so that handlers started inline (see
        # _dispatch) run in the same context as the ones the task runs itself.
        self._context = contextvars.copy_context()
        self._task = self._loop.create_task(self._run(), context=self._context)
        self._arm(_HEAD, self._loop.time() + self._head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail unfinished bodies, stop the task (or cancel the handler if configured)."""
        super().connection_lost(exc)
        self._manager.connection_lost(self, exc)
        self._cancel_timer()
        if self._on_lost is not None:
            on_lost, self._on_lost = self._on_lost, None
            self._on_data = None
            on_lost(exc)
        error = ConnectionResetError("Connection lost")
        error.__cause__ = exc
        if self._payload is not None:
            self._payload.set_exception(error)
            self._payload = None
        for item in self._messages:
            if isinstance(item, tuple) and not item[1].is_eof():
                item[1].set_exception(error)
        self._messages.clear()
        self._parser = None
        if self._lost_waiter is not None and not self._lost_waiter.done():
            self._lost_waiter.set_result(None)
        self._wake()
        task = self._task
        if self._handling and self._handler_cancellation and task is not None:
            task.cancel()

    def data_received(self, data: bytes) -> None:
        """Feed the parser (or the upgraded protocol)."""
        if self._on_data is not None:
            self._on_data(data)
            return
        if self._upgraded:
            self._upgrade_data.append(data)
            return
        if self._parse_failed or self._parser is None:
            return  # after a bad request: ignore everything until we close
        kind = self._timer_kind
        if kind == _BODY:
            # Body bytes arrived: the client is not stalling (the pending timer
            # handle re-arms itself for the new deadline when it fires).
            self._deadline = self._loop.time() + self._body_timeout  # type: ignore[operator]
        self._head_bytes = True
        self._feed(data)
        if kind == _KEEPALIVE and self._timer_kind == _KEEPALIVE and self._head_bytes:
            # The next request started and is still waiting (its head incomplete, or
            # queued for the task): it now has a deadline to complete its head. A
            # request already answered inline re-armed the keep-alive timer instead.
            self._arm(_HEAD, self._loop.time() + self._head_timeout)

    def resume_reading(self) -> None:
        """Resume reading unless too many pipelined requests are still queued."""
        if self._pipeline_paused:
            return
        super().resume_reading()

    # -- parsing -----------------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        parser = self._parser
        assert parser is not None
        try:
            events = parser.feed_data(data)
        except HttpProcessingError as exc:
            # The parser may hand over what it completed before the error (pipelined
            # requests before a bad one): those are answered first.
            earlier = exc.events
            if earlier and self._process(earlier):
                return  # one of them was rejected already
            self._on_parse_error(exc)
            return
        self._process(events)

    def _process(self, events: list[Any]) -> bool:
        """Queue heads and feed body bytes; return True if a request was rejected."""
        messages = self._messages
        got_head = False
        count = len(events)
        i = 0
        while i < count:
            event = events[i]
            i += 1
            kind = type(event)
            if kind is bytes:
                assert self._payload is not None
                self._payload.feed_data(event)
            elif kind is RawRequestMessage:
                if hdrs.HOST not in event.headers and event.version != HttpVersion10:
                    # RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400.
                    self._reject(BadHttpMessage("Missing Host header"), event)
                    return True
                if i < count and type(events[i]) is EndOfMessage:
                    i += 1  # no body at all: share the empty reader
                    payload = EMPTY_PAYLOAD
                else:
                    payload = self._payload = StreamReader(
                        self, self._read_bufsize, loop=self._loop
                    )
                messages.append((event, payload))
                got_head = True
            elif kind is EndOfMessage:
                if self._payload is not None:
                    self._payload.feed_eof()
                    self._payload = None
            else:
                self._on_upgrade(event)
        if got_head:
            self._dispatch()
            if len(messages) >= self._max_pipelined and not self._pipeline_paused:
                self.pause_reading()
                self._pipeline_paused = True
        return False

    def _on_parse_error(self, exc: HttpProcessingError) -> None:
        if self._payload is not None:
            # The request whose body broke is queued or being handled: its handler sees
            # the error when it reads the body (or the server does when it skips the
            # rest), and the connection closes after its response. Requests queued
            # before it are still answered normally.
            self._parse_failed = True
            self.pause_reading()
            self._payload.set_exception(exc)
            self._payload = None
        else:
            self._reject(exc, None)

    def _reject(self, exc: HttpProcessingError, message: RawRequestMessage | None) -> None:
        """Queue an error answer after the requests before it; parse nothing more."""
        self._parse_failed = True
        self.pause_reading()
        self._messages.append(_Rejected(exc, message))
        self._wake()

    def _on_upgrade(self, event: Upgrade) -> None:
        self._upgraded = True
        if event.tail:
            self._upgrade_data.append(event.tail)
        if self._on_data is not None:
            self._deliver_upgrade_data()

    def _deliver_upgrade_data(self) -> None:
        data = b"".join(self._upgrade_data)
        self._upgrade_data.clear()
        if data and self._on_data is not None:
            self._on_data(data)

    def _decline_upgrade(self) -> None:
        """The handler answered an upgrade request normally: go on parsing HTTP."""
        self._upgraded = False
        data = b"".join(self._upgrade_data)
        self._upgrade_data.clear()
        if self._parser is not None:
            self._parser.continue_after_upgrade()
            if data:
                self._feed(data)

    def switch_protocol(
        self,
        on_data: Callable[[bytes], None],
        on_lost: Callable[[BaseException | None], None],
        on_shutdown: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Hand the connection to another protocol after a ``101`` response.

        ``on_data`` first receives the bytes that followed the request head, then
        every chunk the peer sends; ``on_lost`` is called once when the connection
        closes. ``await on_shutdown()``, if given, runs first in a graceful
        :meth:`shutdown` (a WebSocket closes itself with 1001 there). The request
        handler keeps running; when it returns, the connection is closed. Write
        with ``transport.write`` and ``await drain()``; use
        ``pause_reading()``/``resume_reading()`` for back-pressure.
        """
        if self.transport is None:
            raise ConnectionResetError("Connection lost")
        self._on_data = on_data
        self._on_lost = on_lost
        self._on_shutdown = on_shutdown
        self._close_requested = True
        self._cancel_timer()
        if self._upgraded:
            self._deliver_upgrade_data()

    # -- the connection's task ------------------------------------------------------------

    async def _run(self) -> None:
        manager = self._manager
        messages = self._messages
        try:
            while True:
                inline = self._inline
                if inline is not None:
                    self._inline = None
                    keep_alive = await inline  # started in data_received, finished here
                    self._timer_kind = 0
                    if not keep_alive:
                        await self._lingering_close()
                        break
                    continue
                if not messages:
                    if self._upgraded and self._on_data is None:
                        self._decline_upgrade()
                        continue
                    if self._close_requested or self._parser is None:
                        if self._parse_failed:
                            await self._lingering_close()  # after a 408 or a bad request
                        break
                    await self._wait_for_request()
                    continue
                item = messages.popleft()
                self._timer_kind = 0  # busy: no deadline while a request is served
                if self._pipeline_paused and len(messages) < self._max_pipelined:
                    self._pipeline_paused = False
                    self.resume_reading()
                if isinstance(item, _Rejected):
                    await self._answer_rejected(item)
                    await self._lingering_close()
                    break
                manager.requests_count += 1
                keep_alive = await self._handle(item[0], item[1], manager.request_handler)
                self._timer_kind = 0  # the body deadline, if any, ends with the request
                if not keep_alive:
                    await self._lingering_close()
                    break
        except asyncio.CancelledError as exc:
            # Connection lost with handler_cancellation, or forced shutdown. A handler
            # started inline that the task had not taken over yet gets the cancellation.
            inline, self._inline = self._inline, None
            if inline is not None:
                inline.cancel = exc
                try:
                    await inline
                except (asyncio.CancelledError, Exception):
                    pass  # the connection ends either way, as after any cancellation
        finally:
            self._cancel_timer()
            transport = self.transport
            if transport is not None:
                transport.close()

    async def _wait_for_request(self) -> None:
        loop = self._loop
        if self._timer_kind == 0:
            self._head_bytes = False
            self._arm(_KEEPALIVE, loop.time() + self._keepalive_timeout)
        waiter = self._waiter = loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _dispatch(self) -> None:
        """Serve newly queued requests at once if the connection's task is idle.

        Each handler runs inline (see ``_inline``) until it finishes or has to wait;
        a waiting one, anything unusual and a busy task fall back to waking the task.
        """
        waiter, task, loop = self._waiter, self._task, self._loop
        if waiter is None or waiter.done() or self._handling or task is None:
            self._wake()
            return
        if self._context is None or not enter_task(loop, task):
            self._wake()  # called from a coroutine: leave it to the task
            return
        messages = self._messages
        manager = self._manager
        try:
            while messages and type(messages[0]) is tuple:  # not a _Rejected
                message, payload = messages.popleft()  # type: ignore[misc]
                self._timer_kind = 0  # busy: no deadline while a request is served
                if self._pipeline_paused and len(messages) < self._max_pipelined:
                    self._pipeline_paused = False
                    self.resume_reading()
                manager.requests_count += 1
                run = run_inline(
                    self._handle(message, payload, manager.request_handler), self._context
                )
                if run is not None:
                    self._inline = run  # the task finishes it (or closes the connection)
                    break
                self._timer_kind = 0  # the body deadline, if any, ends with the request
        finally:
            leave_task(loop, task)
        if self._inline is not None or messages or self._upgraded or self._close_requested:
            self._wake()
        elif self._timer_kind == 0:
            self._head_bytes = False  # idle again, as _wait_for_request would be
            self._arm(_KEEPALIVE, loop.time() + self._keepalive_timeout)

    async def _handle(
        self, message: RawRequestMessage, payload: StreamReader, handler: _Handler
    ) -> bool:
        """Serve one request; return whether the connection may be kept alive."""
        loop = self._loop
        task = self._task
        assert task is not None
        request = self._manager.request_factory(
            message, payload, self, StreamWriter(self, loop), task
        )
        access_logger = self._access_logger
        # perf_counter, not loop.time(): uvloop's clock has millisecond resolution and
        # only advances once per loop iteration, so fast requests would log 0.
        start = time.perf_counter() if access_logger is not None and access_logger.enabled else None
        if payload is not EMPTY_PAYLOAD and self._body_timeout and not payload.is_eof():
            self._arm(_BODY, loop.time() + self._body_timeout)
        self._handling = True
        drop_body = False
        try:
            resp: StreamResponse | None = None
            if hdrs.EXPECT in message.headers:
                resp = self._check_expect(request, message)
            if resp is None:
                # The handler is awaited here, not in a helper: one coroutine less.
                try:
                    result: object = await handler(request)
                except Exception as exc:
                    resp = self._handler_failed(request, exc)
                else:
                    # type() first: isinstance() with an ABC-derived class is slow.
                    if type(result) is Response or isinstance(result, StreamResponse):
                        resp = result
                    else:
                        resp = self._handler_returned(request, result)
                if resp is None:
                    return False  # failed after its head was sent: cut the response
            if payload is not EMPTY_PAYLOAD and not payload.at_eof():
                drop_body = not self._body_left_is_small(request, message, payload)
                if drop_body and not resp.prepared:
                    resp.force_close()  # say so: the client may stop uploading
            try:
                await resp.prepare(request)
                await resp.write_eof()
            except ConnectionError:
                raise
            except Exception as exc:
                await self._send_failed(request, resp, exc)
                keep_alive = False
            else:
                keep_alive = bool(resp.keep_alive)
        except ConnectionError:
            return False  # the client went away: nothing to answer, nothing to log
        finally:
            self._handling = False
        if start is not None and access_logger is not None:
            access_logger.log(request, resp, time.perf_counter() - start)
        if self._on_data is not None:
            return False  # the connection was handed over and the handler is done
        if drop_body or not keep_alive or self._close_requested or not self.connected:
            return False
        if payload is not EMPTY_PAYLOAD and not payload.at_eof():
            return await self._discard_body(request, payload)
        return True

    def _body_left_is_small(
        self, request: BaseRequest, message: RawRequestMessage, payload: StreamReader
    ) -> bool:
        """Whether the unread rest of a body is cheap to read and drop (keeping alive).

        A large upload is not worth receiving only to throw it away: the response
        says ``Connection: close`` instead.
        """
        if payload.is_eof():
            return True  # everything arrived; it only waits in the buffer
        if request._expect_continue:
            return False  # we never said "continue": the client may never send it
        length = request.content_length
        if length is None or message.compression:
            return False  # chunked or decoded: what is left on the wire is unknown
        return length - payload.total_bytes <= self._read_bufsize

    def _check_expect(self, request: BaseRequest, message: RawRequestMessage) -> Response | None:
        expect = message.headers.get(hdrs.EXPECT)
        if expect is None or message.version < HttpVersion11:
            return None  # RFC 9110 §10.1.1: ignore Expect in HTTP/1.0
        if expect.strip().lower() == "100-continue":
            if request.body_exists:
                # Sent lazily, when the handler first touches the body.
                request._expect_continue = True
            return None
        exc = HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
        exc.force_close()
        return exc

    def _handler_failed(self, request: BaseRequest, exc: Exception) -> StreamResponse | None:
        """The response for what the handler raised (None: too late to answer)."""
        if isinstance(exc, HTTPException):
            return None if request._head_sent else exc
        if isinstance(exc, HttpProcessingError):
            # The body turned out malformed while the handler read it.
            if request._head_sent:
                return None
            return self._error_response(exc.code or 400, exc.message)
        if isinstance(exc, ConnectionError) and not self.connected:
            raise exc  # the client left: no response, no log
        if request._head_sent:
            # A response is half sent; the peer sees it cut short.
            self.logger.exception("Error handling request", exc_info=exc)
            return None
        return self.handle_error(request, 500, exc)

    def _handler_returned(self, request: BaseRequest, resp: object) -> StreamResponse:
        err = TypeError(f"Web handler returned {type(resp).__name__!r}, not a response")
        return self.handle_error(request, 500, err)

    async def _send_failed(
        self, request: BaseRequest, resp: StreamResponse, exc: Exception
    ) -> None:
        """Sending ``resp`` raised: answer 500 if nothing was sent yet."""
        if resp.prepared:
            # The head is gone already: all we can do is cut the message short.
            self.logger.exception("Error sending response", exc_info=exc)
            return
        err = self.handle_error(request, 500, exc)
        await err.prepare(request)
        await err.write_eof()

    async def _discard_body(self, request: BaseRequest, payload: StreamReader) -> bool:
        """Read what the handler left of the body, so the next request can be parsed."""
        if request._expect_continue:
            return False  # we never said "continue": the client may not send the body
        try:
            async with asyncio.timeout(self._lingering_time):
                while await payload.readany():
                    pass
        except (TimeoutError, ConnectionError, HttpProcessingError):
            return False
        return payload.at_eof() and not self._close_requested

    async def _lingering_close(self) -> None:
        """Close after flushing, reading and discarding what the peer still sends.

        Closing with unread data makes the kernel send a reset, which can destroy a
        response the client has not read yet (an error reply to an oversized body).
        """
        transport = self.transport
        if transport is None or transport.is_closing() or self._on_data is not None:
            return
        if not self._payload_pending() or not transport.can_write_eof():
            return
        self._payload = None
        self._parse_failed = True  # from now on data_received discards
        self._pipeline_paused = False
        super().resume_reading()
        transport.write_eof()
        self._lost_waiter = self._loop.create_future()
        try:
            async with asyncio.timeout(min(self._lingering_time, 2.0)):
                await self._lost_waiter
        except TimeoutError:
            pass

    def _payload_pending(self) -> bool:
        # Unread request bytes may still be in flight if a body was cut short or the
        # request was rejected before it was read.
        return self._parse_failed or self._payload is not None or bool(self._messages)

    # -- errors --------------------------------------------------------------------------------

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        """Log a handler failure and build the error response (the connection closes).

        The traceback appears in the body (HTML-escaped) only in debug mode.
        """
        if exc is not None:
            self.logger.exception("Error handling request", exc_info=exc)
        title = f"{status} {reason_phrase(status)}"
        if self._debug and exc is not None:
            tb = html.escape("".join(traceback.format_exception(exc)))
            body = (
                f"<html><head><title>{title}</title></head><body>"
                f"<h1>{title}</h1><h2>Traceback:</h2><pre>{tb}</pre></body></html>"
            )
            resp = Response(status=status, text=body, content_type="text/html")
        else:
            text = message or "The server could not complete the request."
            resp = Response(status=status, text=f"{title}\n\n{text}\n")
        resp.force_close()
        return resp

    def _error_response(self, status: int, detail: str) -> Response:
        resp = Response(status=status, text=_error_text(status, detail))
        resp.force_close()
        return resp

    async def _answer_rejected(self, item: _Rejected) -> None:
        """Answer a request that never reached the handler; the connection then closes.

        The access log gets a line for it too; a head that could not be parsed is
        logged as ``UNKNOWN / HTTP/1.1``.
        """
        access_logger = self._access_logger
        if access_logger is not None and not access_logger.enabled:
            access_logger = None
        start = time.perf_counter() if access_logger is not None else 0.0
        task = self._task
        assert task is not None
        request = BaseRequest(
            item.message or _UNKNOWN_REQUEST,
            EMPTY_PAYLOAD,
            self,
            StreamWriter(self, self._loop),
            task,
            self._loop,
        )
        error = item.error
        resp = self._error_response(error.code or 400, error.message)
        try:
            await resp.prepare(request)
            await resp.write_eof()
        except ConnectionError:
            return
        if access_logger is not None:
            access_logger.log(request, resp, time.perf_counter() - start)

    def _write_simple(self, status: int, text: str) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        body = text.encode("utf-8", "replace")
        head = serialize_response_head(
            HttpVersion11,
            status,
            None,
            (
                (hdrs.CONTENT_TYPE, "text/plain; charset=utf-8"),
                (hdrs.CONTENT_LENGTH, str(len(body))),
                (hdrs.CONNECTION, "close"),
                (hdrs.DATE, _http_date()),
                (hdrs.SERVER, SERVER_SOFTWARE),
            ),
        )
        transport.write(head + body)

    # -- timers ----------------------------------------------------------------------------------

    def _arm(self, kind: int, deadline: float) -> None:
        self._timer_kind = kind
        self._deadline = deadline
        timer = self._timer
        if timer is None:
            self._timer = self._loop.call_at(deadline, self._on_timer)
        elif timer.when() > deadline:
            timer.cancel()
            self._timer = self._loop.call_at(deadline, self._on_timer)
        # Otherwise the pending handle fires early and re-arms itself for the deadline:
        # a busy connection costs one timer per timeout period, not one per request.

    def _cancel_timer(self) -> None:
        self._timer_kind = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        kind = self._timer_kind
        if kind == _BODY:
            self._on_body_timer()
            return
        if kind == 0 or self._handling or self._messages or not self.connected:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._on_timer)
            return
        self._timer_kind = 0
        if kind == _HEAD and self._head_bytes:
            self._write_simple(408, _error_text(408, "The request head was not received in time"))
            self._parse_failed = True  # linger: the client may still be sending its head
        else:
            self._parser = None  # idle or silent: nothing in flight, close at once
        self.close()

    def _on_body_timer(self) -> None:
        payload = self._payload
        timeout = self._body_timeout
        if payload is None or timeout is None or not self.connected:
            self._timer_kind = 0  # the body is complete (or gone): no deadline
            return
        now = self._loop.time()
        if now < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._on_timer)
            return
        if self.reading_paused or payload._waiter is None:
            # Silence counts only while the handler waits and we read: if we paused
            # reading (back-pressure) or nobody waits for the body, start over.
            self._arm(_BODY, now + timeout)
            return
        self._timer_kind = 0
        self._payload = None
        self._close_requested = True
        self._parser = None  # read nothing more from this client
        payload.set_exception(
            HttpProcessingError(f"No request body data received for {timeout:g} seconds", code=408)
        )

    # -- graceful shutdown ----------------------------------------------------------------------

    async def shutdown(self, timeout: float | None = 15.0) -> None:
        """Finish the request in progress (up to ``timeout`` seconds), then close."""
        self._close_requested = True
        self._cancel_timer()
        self._wake()
        on_shutdown, self._on_shutdown = self._on_shutdown, None
        if on_shutdown is not None and self.connected:
            # An upgraded connection (a WebSocket) ends its own protocol politely first.
            try:
                await asyncio.wait_for(on_shutdown(), timeout)
            except Exception as exc:
                self.logger.debug("Error in the upgraded protocol's shutdown: %r", exc)
        task = self._task
        if task is not None and not task.done():
            _, pending = await asyncio.wait({task}, timeout=timeout)
            if pending:
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
        transport = self.transport
        if transport is not None:
            transport.close()


def _error_text(status: int, detail: str) -> str:
    detail = detail.replace("\r", " ").replace("\n", " ")
    if len(detail) > 200:
        detail = detail[:200] + "..."
    return f"{status} {reason_phrase(status)}: {detail}\n" if detail else f"{status}\n"
