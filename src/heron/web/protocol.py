"""One :class:`RequestHandler` per connection: parse, dispatch, answer, keep alive.

``data_received`` feeds the sans-IO parser directly; request heads go into a bounded
queue and body bytes into each request's :class:`~heron.streams.StreamReader`. One
task per connection (not per request) takes requests from the queue in order, awaits
the handler inline and writes its response, so pipelined requests are answered in
the order they came. A request that arrives while the task is idle is started right
in ``data_received`` (``_inline.py``).

This module holds that common path. The rest of the connection lives in mixins,
each in its own module, all built on the shared state of ``_protocol_state.py``:

* ``_protocol_timers.py``: the request head, keep-alive and request body deadlines;
* ``_protocol_errors.py``: requests rejected before a handler sees them (malformed,
  or HTTP/1.1 without ``Host``: answered after the good requests pipelined before
  them, logged in the access log, then the connection closes), handler failures and
  ``Expect``;
* ``_protocol_closing.py``: unread request bodies (a response that leaves a large
  body unread says ``Connection: close`` instead of reading the rest of the upload),
  lingering close and graceful shutdown;
* ``_protocol_upgrade.py``: after a ``101`` response a handler (the WebSocket layer)
  calls :meth:`RequestHandler.switch_protocol` and receives the raw bytes from then on.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
import time
from typing import Any, Final

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import hdrs
from ..http.errors import BadHttpMessage, HttpProcessingError
from ..http.models import EndOfMessage, HttpVersion10, HttpVersion11, RawRequestMessage
from ..http.parser import HttpRequestParser
from ..streams import EMPTY_PAYLOAD, StreamReader
from ..writer import StreamWriter
from ._inline import enter_task, leave_task, run_inline
from ._protocol_closing import Closing
from ._protocol_errors import ErrorReplies
from ._protocol_state import BODY, HEAD, KEEPALIVE, Handler, Rejected
from ._protocol_upgrade import Upgrades
from .request import BaseRequest
from .response import Response, StreamResponse

__all__ = ("RequestHandler",)

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


class RequestHandler(Upgrades, Closing, ErrorReplies):
    """The server side of one HTTP/1.x connection.

    Created by :class:`~heron.web.Server` for each accepted connection; the keyword
    arguments are the server's connection settings (see :class:`~heron.web.Server`).
    """

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
        self._arm(HEAD, self._loop.time() + self._head_timeout)

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
        if kind == BODY:
            # Body bytes arrived: the client is not stalling (the pending timer
            # handle re-arms itself for the new deadline when it fires).
            self._deadline = self._loop.time() + self._body_timeout  # type: ignore[operator]
        self._head_bytes = True
        self._feed(data)
        if kind == KEEPALIVE and self._timer_kind == KEEPALIVE and self._head_bytes:
            # The next request started and is still waiting (its head incomplete, or
            # queued for the task): it now has a deadline to complete its head. A
            # request already answered inline re-armed the keep-alive timer instead.
            self._arm(HEAD, self._loop.time() + self._head_timeout)

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
                        data = self._decline_upgrade()
                        if data:
                            self._feed(data)
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
                if isinstance(item, Rejected):
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
            self._arm(KEEPALIVE, loop.time() + self._keepalive_timeout)
        waiter = self._waiter = loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

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
            while messages and type(messages[0]) is tuple:  # not a Rejected
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
            self._arm(KEEPALIVE, loop.time() + self._keepalive_timeout)

    async def _handle(
        self, message: RawRequestMessage, payload: StreamReader, handler: Handler
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
            self._arm(BODY, loop.time() + self._body_timeout)
        self._handling = True
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
                    if resp is None:
                        return False  # failed after its head was sent: cut the response
                else:
                    # type() first: isinstance() with an ABC-derived class is slow.
                    if type(result) is not Response and not isinstance(result, StreamResponse):
                        result = self._handler_returned(request, result)
                    resp = result
            if payload is not EMPTY_PAYLOAD and not payload.at_eof():
                self._drop_unread_body(request, message, payload, resp)
            try:
                await resp.prepare(request)
                await resp.write_eof()
                keep_alive = bool(resp.keep_alive)
            except Exception as exc:
                keep_alive = await self._send_failed(request, resp, exc)  # or re-raised
        except ConnectionError:
            return False  # the client went away: nothing to answer, nothing to log
        finally:
            self._handling = False
        if start is not None and access_logger is not None:
            access_logger.log(request, resp, time.perf_counter() - start)
        if self._on_data is not None:
            return False  # the connection was handed over and the handler is done
        if not keep_alive or self._close_requested or not self.connected:
            return False
        if payload is not EMPTY_PAYLOAD and not payload.at_eof():
            return await self._discard_body(request, payload)
        return True

    async def _answer_rejected(self, item: Rejected) -> None:
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
