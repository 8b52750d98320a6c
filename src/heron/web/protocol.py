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
from ..http._known_requests import private_events
from ..http.errors import BadHttpMessage, HttpProcessingError
from ..http.models import EndOfMessage, HttpVersion10, HttpVersion11, RawRequestMessage
from ..streams import EMPTY_PAYLOAD, StreamReader, whole_reader
from ..writer import StreamWriter
from . import _inline
from ._inline import _current_tasks, _enter_task, _leave_task
from ._protocol_closing import Closing
from ._protocol_errors import ErrorReplies
from ._protocol_state import BODY, HEAD, KEEPALIVE, Handler, Rejected
from ._protocol_upgrade import Upgrades
from .request import PLAIN_HEAD, BaseRequest
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
_object_new: Final = object.__new__


class RequestHandler(Upgrades, Closing, ErrorReplies):
    """The server side of one HTTP/1.x connection.

    Created by :class:`~heron.web.Server` for each accepted connection; the keyword
    arguments are the server's connection settings (see :class:`~heron.web.Server`).
    """

    __slots__ = ()

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
        # No parser yet: one is taken from the pool with the first bytes.
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
        messages = self._messages
        if messages:
            for item in messages:
                if isinstance(item, tuple) and not item[1].is_eof():
                    item[1].set_exception(error)
            messages.clear()
        self._input_closed = True
        self._forget_plain_head()
        self._rest()  # a parser at rest can serve another connection
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
            self._buffer_upgrade_data(data)
            return
        if self._parse_failed or self._input_closed:
            return  # after a bad request: ignore everything until we close
        kind = self._timer_kind
        if kind == BODY:
            # Body bytes arrived: the client is not stalling (the pending timer
            # handle re-arms itself for the new deadline when it fires).
            self._deadline = self._loop.time() + self._body_timeout  # type: ignore[operator]
        self._head_bytes = True
        parser = self._parser
        if parser is None:
            # An idle connection. A repeat of a whole request parsed before needs no
            # parser (see KnownRequests); anything else takes one from the pool.
            known = self._pool.known
            events = known.events(data)
            if events is None and self._private is not None:
                # This connection's own repeat: a head with its cookies or credentials.
                events = private_events(self._private, data)
            if events is None:
                parser = self._parser = self._pool.take(self._own_fields)
                try:
                    events = parser.feed_data(data)
                except HttpProcessingError as exc:
                    self._feed_failed(exc)
                    events = None
                else:
                    if known.listening and parser.at_rest():
                        # The parser saw all of one message; one with a secret is
                        # handed back, for this connection only.
                        private = known.learn(data, events)
                        if private is not None:
                            self._private = private
            elif not self._messages:
                head = events[0]
                if type(head) is RawRequestMessage and head.headers is PLAIN_HEAD.headers:
                    # A repeat whose headers were seen with Host and without Expect,
                    # nothing queued: what _process() would do with these events (the
                    # head, the whole body if any, the end), without its loop (~2k
                    # instructions).
                    if len(events) == 2:
                        payload = EMPTY_PAYLOAD
                    else:
                        body: Any = events[1]  # bytes: the table keeps no other shape
                        payload = whole_reader(self, self._read_bufsize, self._loop, body, head)
                    self._dispatch((head, payload))
                    events = None
            if events is not None:
                self._process(events)
        else:
            # _feed() unrolled (one Python call less per request).
            try:
                events = parser.feed_data(data)
            except HttpProcessingError as exc:
                self._feed_failed(exc)
            else:
                self._process(events)
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
        if parser is None:
            # The first bytes of a request on an idle connection: take a parser.
            parser = self._parser = self._pool.take(self._own_fields)
        try:
            events = parser.feed_data(data)
        except HttpProcessingError as exc:
            self._feed_failed(exc)
            return
        self._process(events)

    def _feed_failed(self, exc: HttpProcessingError) -> None:
        # The parser may hand over what it completed before the error (pipelined
        # requests before a bad one): those are answered first.
        earlier = exc.events
        if earlier and self._process(earlier):
            return  # one of them was rejected already
        self._on_parse_error(exc)

    def _process(self, events: list[Any]) -> bool:
        """Queue heads and feed body bytes; return True if a request was rejected."""
        # The common case, one new request while nothing is queued, goes straight to
        # _dispatch without a queue (every body byte is fed before it runs).
        first: tuple[RawRequestMessage, StreamReader] | None = None
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
                headers = event.headers
                if headers is not PLAIN_HEAD.headers:
                    if hdrs.HOST not in headers:
                        if event.version != HttpVersion10:
                            # RFC 9112 §3.2: an HTTP/1.1 request without Host gets 400.
                            if first is not None:
                                self._queue(first)  # answered before the rejection
                            self._reject(BadHttpMessage("Missing Host header"), event)
                            return True
                    elif hdrs.EXPECT not in headers:
                        PLAIN_HEAD.headers = headers  # repeats skip these lookups
                if i < count and type(events[i]) is EndOfMessage:
                    i += 1  # no body at all: share the empty reader
                    payload = EMPTY_PAYLOAD
                elif i + 1 < count and type(events[i + 1]) is EndOfMessage:
                    # The whole body came with the head (one piece): one call.
                    payload = whole_reader(self, self._read_bufsize, self._loop, events[i], event)
                    i += 2
                else:
                    payload = self._payload = StreamReader(
                        self, self._read_bufsize, loop=self._loop
                    )
                if not got_head and not self._messages:
                    first = (event, payload)
                else:
                    if first is not None:
                        self._queue(first)
                        first = None
                    self._queue((event, payload))
                got_head = True
            elif kind is EndOfMessage:
                if self._payload is not None:
                    self._payload.feed_eof()
                    self._payload = None
            else:
                self._on_upgrade(event)
        if got_head:
            self._dispatch(first)
            messages = self._messages
            if (
                messages is not None
                and len(messages) >= self._max_pipelined
                and not self._pipeline_paused
            ):
                self.pause_reading()
                self._pipeline_paused = True
        return False

    # -- the connection's task ------------------------------------------------------------

    async def _run(self) -> None:
        manager = self._manager
        loop = self._loop
        try:
            while True:
                inline = self._inline
                if inline is not None:
                    self._inline = None
                    if not inline.done:
                        inline.park = self._parking_place()
                    keep_alive = await inline  # started in data_received, finished here
                    self._timer_kind = 0
                    if not keep_alive:
                        await self._lingering_close()
                        break
                    continue
                messages = self._messages
                if not messages:
                    if self._upgraded and self._on_data is None:
                        data = self._decline_upgrade()
                        if data:
                            self._feed(data)
                        continue
                    if self._close_requested or self._input_closed:
                        if self._parse_failed:
                            await self._lingering_close()  # after a 408 or a bad request
                        break
                    # Wait for the next request (awaited here, not in a helper: an
                    # idle connection keeps one coroutine frame less).
                    if self._timer_kind == 0:
                        self._head_bytes = False
                        self._arm(KEEPALIVE, loop.time() + self._keepalive_timeout)
                        self._rest()
                    waiter = self._waiter = loop.create_future()
                    try:
                        await waiter
                    finally:
                        self._waiter = None
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

    def _forget_plain_head(self) -> None:
        """The connection is gone: if PLAIN_HEAD still marks its last head with cookies
        or credentials, unmark it (a process-wide reference must not keep them)."""
        plain = PLAIN_HEAD.headers
        if plain is None:
            return
        parser = self._parser
        for own in (self._own_fields, None if parser is None else parser.own_fields):
            if own is not None and own[1][0] is plain:
                PLAIN_HEAD.headers = None
                return

    def _parking_place(self) -> _inline.Parking | None:
        park = self._parking
        if park is None and self._task is not None and self._context is not None:
            if not _inline.AVAILABLE:
                return None  # handlers are not run inline at all
            park = self._parking = _inline.Parking(self._loop, self._task, self._context)
        return park

    def park_for(self, source: _inline.Waits) -> _inline.Parking | None:
        """Let the handler park on ``source._waiter`` (see ``_inline.Parking``).

        The caller completes that future with ``Parking.resume`` while it is the
        parked one. None when handlers of this connection cannot be parked.
        """
        park = self._parking_place()
        if park is not None:
            park.source = source
        return park

    def _dispatch(self, first: tuple[RawRequestMessage, StreamReader] | None) -> None:
        """Serve ``first`` and queued requests at once if the connection's task is idle.

        Each handler runs inline (see ``_inline``) until it finishes or has to wait;
        a waiting one, anything unusual and a busy task fall back to waking the task
        (``first`` then goes to the front of the queue). ``enter_task``,
        ``run_inline``, ``leave_task``, ``_arm`` and ``_rest`` are unrolled here:
        this runs for nearly every request.
        """
        waiter, task, loop, context = self._waiter, self._task, self._loop, self._context
        if (
            waiter is None
            or waiter.done()
            or self._handling
            or task is None
            or context is None
            or not _inline.AVAILABLE
            or loop in _current_tasks  # type: ignore[operator]  # called from a coroutine
        ):
            if first is not None:
                self._queue(first)
            self._wake()
            return
        _enter_task(loop, task)  # type: ignore[misc]
        manager = self._manager
        try:
            while True:
                if first is not None:
                    message, payload = first
                    first = None
                else:
                    messages = self._messages
                    if not messages or type(messages[0]) is not tuple:  # none, or Rejected
                        break
                    message, payload = messages.popleft()  # type: ignore[misc]
                    if self._pipeline_paused and len(messages) < self._max_pipelined:
                        self._pipeline_paused = False
                        self.resume_reading()
                self._timer_kind = 0  # busy: no deadline while a request is served
                manager.requests_count += 1
                coro = self._handle(message, payload, manager.request_handler)
                try:
                    pending = context.run(coro.send, None)
                except StopIteration as stop:
                    if stop.value:
                        self._timer_kind = 0  # the body deadline ends with the request
                        continue
                    self._inline = _inline.finished(coro, stop.value)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException as exc:
                    self._inline = _inline.failed(coro, exc)
                else:
                    self._inline = _inline.waiting(coro, pending)
                break  # the task finishes it (or closes the connection)
        finally:
            _leave_task(loop, task)  # type: ignore[misc]
        if self._inline is not None or self._messages or self._upgraded or self._close_requested:
            self._wake()
        elif self._timer_kind == 0:
            # Idle again, as the task would be waiting for the next request.
            self._head_bytes = False
            self._timer_kind = KEEPALIVE
            self._deadline = deadline = loop.time() + self._keepalive_timeout
            timer = self._timer
            if timer is None or timer.when() > deadline:
                self._arm(KEEPALIVE, deadline)
            self._rest()  # a parser at rest can serve another connection

    async def _handle(
        self, message: RawRequestMessage, payload: StreamReader, handler: Handler
    ) -> bool:
        """Serve one request; return whether the connection may be kept alive."""
        loop = self._loop
        task = self._task
        assert task is not None
        # StreamWriter(self, loop) without the class call (per request): must set
        # what StreamWriter.__init__ sets without callbacks.
        writer = _object_new(StreamWriter)
        writer._protocol = self
        writer.loop = loop
        request = self._manager.request_factory(message, payload, self, writer, task)
        access_logger = self._access_logger
        # perf_counter, not loop.time(): uvloop's clock has millisecond resolution and
        # only advances once per loop iteration, so fast requests would log 0.
        start = time.perf_counter() if access_logger is not None and access_logger.enabled else None
        # payload._eof / payload._size: is_eof() and at_eof() without the calls (the
        # reader is always a StreamReader made by _process, or EMPTY_PAYLOAD).
        if payload is not EMPTY_PAYLOAD and self._body_timeout and not payload._eof:
            self._arm(BODY, loop.time() + self._body_timeout)
        self._handling = True
        try:
            resp: StreamResponse | None = None
            headers = message.headers
            if headers is not PLAIN_HEAD.headers and hdrs.EXPECT in headers:
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
            if payload is not EMPTY_PAYLOAD and (payload._size or not payload._eof):
                self._drop_unread_body(request, message, payload, resp)
            try:
                # A whole Response goes out without the two coroutines of the
                # general path (prepare() and write_eof()).
                if type(resp) is Response and resp._send_now(request):
                    if self._writing_paused or self._connection_lost:
                        await self.drain()
                    keep_alive = bool(resp._keep_alive)  # set by _send_now
                else:
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
        if not keep_alive or self._close_requested or self._connection_lost:
            return False  # (_connection_lost: `not self.connected` once connected)
        if payload is not EMPTY_PAYLOAD and (payload._size or not payload._eof):
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
