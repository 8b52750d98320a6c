"""The client's connection protocol: feeds responses to the parser, bodies to readers.

One :class:`ResponseHandler` lives as long as its TCP (or UNIX, or TLS) connection and
serves the requests sent over it one after the other. For each request the caller
arms it with :meth:`ResponseHandler.start_response`; bytes from the socket then go
straight into that response's sans-IO parser, the body into a
:class:`~heron.streams.StreamReader`, and the end of the message calls back so the
connection can go back to the pool before the application even read the body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ..flow import BaseProtocol
from ..http._response_fast import LazyResponseHead
from ..http.errors import HttpProcessingError
from ..http.models import EndOfMessage, RawResponseMessage, Upgrade
from ..http.parser import END_OF_CHUNK, HttpResponseParser
from ..streams import StreamReader
from .exceptions import (
    ClientOSError,
    ClientPayloadError,
    ServerDisconnectedError,
    SocketTimeoutError,
)

__all__ = ("BadResponseHead", "ResponseHandler")

# The head and its body: a reader, or the whole body when it came with the head (no
# reader is made then; the response builds one only if asked for its ``content``).
# (The head is a LazyResponseHead, a RawResponseMessage look-alike, when the parser's
# short path took the response.)
HeadResult = tuple[RawResponseMessage | LazyResponseHead, StreamReader | bytes]


class BadResponseHead(Exception):
    """The response head could not be parsed; the response turns it into a
    :class:`~heron.ClientResponseError` that knows the request."""

    def __init__(self, error: HttpProcessingError) -> None:
        super().__init__(error)
        self.error = error


class ResponseHandler(BaseProtocol):
    """Client side of one connection (see the module docstring).

    Public for connectors and for the WebSocket client: after a ``101 Switching
    Protocols`` answer, :meth:`switch_protocol` hands every further byte to the new
    protocol's reader.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._loop: asyncio.AbstractEventLoop = loop
        self._parser: HttpResponseParser | None = None
        # The last finished parser, reset for the next response when it allows
        # (one llhttp parser per connection instead of one per response).
        self._spare: HttpResponseParser | None = None
        self._head_waiter: asyncio.Future[HeadResult] | None = None
        self._payload: StreamReader | None = None
        self._on_complete: Callable[[], None] | None = None
        self._continue_waiter: asyncio.Future[bool] | None = None
        self._should_close = False
        # Whether bytes of the response in progress were received (the session may
        # resend an idempotent request whose pooled connection died before any).
        # Set only where llhttp is fed and cleared at each response's end: the
        # whole-in-one-read path never needs to touch it.
        self._partial = False
        self._upgraded = False
        self._upgrade_tail = b""
        self._upgrade_feed: Callable[[bytes], None] | None = None
        self._upgrade_lost: Callable[[BaseException | None], None] | None = None
        # Per-response settings (set_response_params).
        self._read_until_eof = True
        self._auto_decompress = True
        self._max_line_size = 8190
        self._max_field_size = 8190
        self._read_bufsize = 2**16
        self._max_decompressed_size: int | None = None
        self._sock_read: float | None = None
        self._deadline: float | None = None
        # A released Connection object of this socket that was never shown to
        # anyone, for the connector to lend again (see _short.py: no new object and
        # no __del__ call per request).
        self._spare_conn: Any = None
        # The tuple the settings came from (_prepare), None after set_response_params:
        # the same tuple again means the same settings (see _start_plain).
        self._params: tuple[Any, ...] | None = None
        # One lazily re-armed timer covers both sock_read and the total deadline.
        self._timer: asyncio.TimerHandle | None = None
        self._last_read = 0.0
        self.closed: asyncio.Future[None] = loop.create_future()

    # -- state ---------------------------------------------------------------------

    @property
    def should_close(self) -> bool:
        """True when the connection must not be reused for another request."""
        transport = self.transport
        return (
            self._should_close
            or self._upgraded
            or self._parser is not None
            or transport is None
            or self._connection_lost
            or transport.is_closing()
        )

    @property
    def answered(self) -> bool:
        """True if bytes of the response in progress (or of the one that failed) were
        received: a request that failed before any may be resent elsewhere."""
        return self._partial

    @property
    def upgraded(self) -> bool:
        """True after the server switched protocols (a 101 answer or a CONNECT tunnel)."""
        return self._upgraded

    def is_connected(self) -> bool:
        """True while the transport is open."""
        return self.transport is not None and not self.transport.is_closing()

    def force_close(self) -> None:
        """Mark the connection as not reusable."""
        self._should_close = True

    def close(self) -> None:
        """Close the transport."""
        transport = self.transport
        if transport is not None:
            transport.close()
        self._should_close = True

    def abort(self) -> None:
        """Close the transport without flushing."""
        transport = self.transport
        if transport is not None:
            transport.abort()
        self._should_close = True

    # -- arming one response ---------------------------------------------------------

    def set_response_params(
        self,
        *,
        read_until_eof: bool = True,
        auto_decompress: bool = True,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        read_bufsize: int = 2**16,
        max_decompressed_size: int | None = None,
        sock_read: float | None = None,
        deadline: float | None = None,
    ) -> None:
        """Set how the next response is parsed and how long it may take."""
        self._read_until_eof = read_until_eof
        self._auto_decompress = auto_decompress
        self._max_line_size = max_line_size
        self._max_field_size = max_field_size
        self._read_bufsize = read_bufsize
        self._max_decompressed_size = max_decompressed_size
        self._sock_read = sock_read or None
        self._deadline = deadline
        self._params = None

    def _prepare(self, params: tuple[Any, ...], deadline: float | None) -> None:
        """:meth:`set_response_params` from a tuple the session built once per options:
        ``(read_until_eof, auto_decompress, max_line_size, max_field_size, read_bufsize,
        sock_read)``."""
        (
            self._read_until_eof,
            self._auto_decompress,
            self._max_line_size,
            self._max_field_size,
            self._read_bufsize,
            sock_read,
        ) = params
        self._max_decompressed_size = None
        self._sock_read = sock_read or None
        self._deadline = deadline
        self._params = params

    def _start_plain(
        self, params: tuple[Any, ...], deadline: float | None, on_complete: Callable[[], None]
    ) -> asyncio.Future[HeadResult]:
        """``_prepare(params, deadline)`` then ``start_response("GET", on_complete)``
        (the session's short path), shortened for the usual case: the same settings
        tuple as for the previous response, whose parser can be reused, and no
        ``sock_read`` timer to restart."""
        parser = self._spare
        if (
            params is not self._params
            or parser is None
            or self._sock_read is not None
            or self._connection_lost
            # (then the parser was made or checked for exactly these settings)
            or not parser.reset("GET", self._read_until_eof)
        ):
            self._prepare(params, deadline)
            return self.start_response("GET", on_complete)
        self._spare = None
        self._parser = parser
        self._on_complete = on_complete
        self._deadline = deadline
        waiter: asyncio.Future[HeadResult] = self._loop.create_future()
        self._head_waiter = waiter
        if deadline is not None:
            # Usually the timer armed for an earlier request fires early enough (as
            # in start_response).
            timer = self._timer
            if timer is None or timer.when() > deadline:
                self._arm_timer()
        return waiter

    def start_response(
        self, method: str, on_complete: Callable[[], None] | None = None
    ) -> asyncio.Future[HeadResult]:
        """Expect the response to a ``method`` request; the future gets its head.

        ``on_complete()`` is called once the whole message arrived (the body sits in
        the reader then), which is when a kept-alive connection can be reused.
        """
        parser, self._spare = self._spare, None
        if (
            parser is None
            or parser.max_line_size != self._max_line_size
            or parser.max_field_size != self._max_field_size
            or parser.auto_decompress != self._auto_decompress
            or parser.max_decompressed_size != self._max_decompressed_size
            or not parser.reset(method, self._read_until_eof)
        ):
            parser = HttpResponseParser(
                method=method,
                read_until_eof=self._read_until_eof,
                auto_decompress=self._auto_decompress,
                max_line_size=self._max_line_size,
                max_field_size=self._max_field_size,
                chunk_ends=True,  # so that ClientResponse.content.readchunk() reports them
                # The body is streamed to the user, who bounds what they keep; a fixed
                # cap here would make large compressed downloads fail (None: no cap).
                max_decompressed_size=self._max_decompressed_size,
            )
        self._parser = parser
        self._payload = None
        self._on_complete = on_complete
        waiter: asyncio.Future[HeadResult] = self._loop.create_future()
        self._head_waiter = waiter
        if self.transport is None or self._connection_lost:
            waiter.set_exception(ServerDisconnectedError())
            self._parser = None
        elif self._sock_read is not None:
            self._last_read = self._loop.time()
            self._arm_timer()
        elif self._deadline is not None:
            # Usually the timer armed for an earlier request fires early enough: it
            # then re-arms itself for this deadline (no new handle per request).
            timer = self._timer
            if timer is None or timer.when() > self._deadline:
                self._arm_timer()
        return waiter

    def expect_continue(self) -> asyncio.Future[bool]:
        """A future that becomes True on ``100 Continue``, False on a final answer."""
        waiter: asyncio.Future[bool] = self._loop.create_future()
        self._continue_waiter = waiter
        return waiter

    def set_exception(self, exc: BaseException) -> None:
        """Fail the response in progress (for example: the request body failed to send)."""
        self._should_close = True
        self._fail(exc, exc)
        self.abort()

    # -- the WebSocket / upgrade seam ------------------------------------------------

    def switch_protocol(
        self,
        feed_data: Callable[[bytes], None],
        connection_lost: Callable[[BaseException | None], None],
    ) -> None:
        """After a 101 answer: send every further byte to ``feed_data``.

        The bytes that arrived right after the 101 head are passed at once;
        ``connection_lost(exc)`` is called when the connection closes.
        """
        if not self._upgraded:
            raise RuntimeError("switch_protocol() needs a response that upgraded")
        self._upgrade_feed = feed_data
        self._upgrade_lost = connection_lost
        tail, self._upgrade_tail = self._upgrade_tail, b""
        if tail:
            feed_data(tail)
        if not self.connected:
            connection_lost(self._lost_exc)

    # -- asyncio callbacks -----------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        parser = self._parser
        if parser is None:
            if self._upgrade_feed is not None:
                self._upgrade_feed(data)
            elif self._upgraded:
                self._upgrade_tail += data
            else:
                # Bytes nobody asked for: the peer is confused; never reuse this socket.
                self._should_close = True
            return
        if self._sock_read is not None:
            self._last_read = self._loop.time()
        if self._continue_waiter is not None:
            self._check_continue(data)
        elif self._head_waiter is not None:
            # The usual answer: one small response in one read, handed over without
            # an event list (the parser's short path; None: parse as usual below).
            whole = parser.feed_whole(data)
            if whole is not None:
                if whole[0].should_close:
                    self._should_close = True
                waiter, self._head_waiter = self._head_waiter, None
                if not waiter.done():
                    waiter.set_result(whole)
                # _on_end() without its call (per request), and without a reader to end:
                self._spare, self._parser = parser, None
                if self._reading_paused:
                    self.resume_reading()
                on_complete, self._on_complete = self._on_complete, None
                if on_complete is not None:
                    on_complete()
                return
        self._partial = True
        try:
            events = parser.feed_data(data)
        except HttpProcessingError as exc:
            self._on_parse_error(exc)
            return
        self._dispatch(events)
        if parser.trailing_data:
            self._should_close = True  # bytes after the response: the peer is confused

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._should_close = True
        self._cancel_timer()
        parser = self._parser
        if parser is not None:
            try:
                self._dispatch(parser.feed_eof())
            except HttpProcessingError as perr:
                self._on_parse_error(perr)
        if self._parser is not None or self._head_waiter is not None:
            self._parser = None
            if exc is not None:
                err: BaseException = ClientOSError(*exc.args) if exc.args else ClientOSError()
                err.__cause__ = exc
            else:
                err = ServerDisconnectedError()
            payload_err = ClientPayloadError(
                "Response payload is not completed: connection lost"
                if exc is None
                else f"Response payload is not completed: {exc!r}"
            )
            payload_err.__cause__ = exc
            self._fail(err, payload_err)
        if self._upgrade_lost is not None:
            self._upgrade_lost(exc)
        if not self.closed.done():
            self.closed.set_result(None)

    def replace_transport(self, transport: asyncio.Transport) -> None:
        """Continue over ``transport`` (the TLS layer started inside a CONNECT tunnel)."""
        self.transport = transport
        self._upgraded = False
        self._upgrade_tail = b""

    # -- internals -------------------------------------------------------------------

    def _check_continue(self, data: bytes) -> None:
        waiter = self._continue_waiter
        if waiter is not None and data[:5] == b"HTTP/" and data[8:13] == b" 100 ":
            self._continue_waiter = None
            if not waiter.done():
                waiter.set_result(True)

    def _dispatch(self, events: list[Any]) -> None:
        if 2 <= len(events) <= 3 and self._whole_message(events):
            return
        payload = self._payload
        for event in events:
            if type(event) is bytes:
                if payload is not None:
                    payload.feed_data(event)
            elif event is END_OF_CHUNK:
                if payload is not None:
                    payload.end_http_chunk_receiving()
            elif isinstance(event, RawResponseMessage):
                payload = self._on_head(event)
            elif isinstance(event, EndOfMessage):
                self._on_end()
            elif isinstance(event, Upgrade):
                self._on_upgrade(event)
                return

    def _whole_message(self, events: list[Any]) -> bool:
        """A small response that came in whole (head, body, end in one read): hand
        the body over as bytes, without a reader. False (nothing done) otherwise."""
        message = events[0]
        end = events[-1]
        if (
            type(message) is not RawResponseMessage
            or message.upgrade
            or message.chunked
            or type(end) is not EndOfMessage
            or (len(events) == 3 and type(events[1]) is not bytes)
            or self._head_waiter is None
        ):
            return False
        if message.should_close:
            self._should_close = True
        self._release_continue_waiter()
        waiter, self._head_waiter = self._head_waiter, None
        if not waiter.done():
            waiter.set_result((message, events[1] if len(events) == 3 else b""))
        self._on_end()
        return True

    def _release_continue_waiter(self) -> None:
        continue_waiter = self._continue_waiter
        if continue_waiter is not None:
            self._continue_waiter = None
            if not continue_waiter.done():
                continue_waiter.set_result(False)

    def _on_head(self, message: RawResponseMessage) -> StreamReader:
        payload = StreamReader(self, self._read_bufsize, loop=self._loop)
        if message.chunked:
            payload.begin_http_chunk_receiving()
        self._payload = payload
        if message.should_close:
            self._should_close = True
        if message.upgrade:
            # EndOfMessage precedes Upgrade: the connection must not go back to the
            # pool then, it is about to belong to the new protocol (WebSocket).
            self._on_complete = None
        self._release_continue_waiter()
        waiter, self._head_waiter = self._head_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((message, payload))
        return payload

    def _on_end(self) -> None:
        self._spare, self._parser = self._parser, None
        self._partial = False
        # The timer stays armed: the next response usually needs it again, and it
        # re-arms itself or lapses (cheaper than a cancel and a new handle per request).
        payload = self._payload
        self._payload = None
        # The body is in the reader now: let the socket serve the next request.
        if self._reading_paused:
            self.resume_reading()
        if payload is not None:
            payload.feed_eof()
        on_complete, self._on_complete = self._on_complete, None
        if on_complete is not None:
            on_complete()

    def _on_upgrade(self, event: Upgrade) -> None:
        self._upgraded = True
        self._upgrade_tail += event.tail
        self._parser = None
        self._cancel_timer()
        payload = self._payload
        self._payload = None
        if payload is not None:
            payload.feed_eof()
        self._on_complete = None

    def _on_parse_error(self, exc: HttpProcessingError) -> None:
        self._parser = None
        self._should_close = True
        if exc.events:
            # What the failing feed completed first (a valid head before a bad body):
            # the caller gets the response, and the error when reading its body.
            self._dispatch(exc.events)
        payload_err = ClientPayloadError(f"Response payload is not completed: {exc!r}")
        payload_err.__cause__ = exc
        self._fail(BadResponseHead(exc), payload_err)
        self.abort()

    def _fail(self, head_exc: BaseException, payload_exc: BaseException) -> None:
        """Deliver an error to whoever waits: the head future, else the body reader."""
        self._cancel_timer()
        self._parser = None
        self._on_complete = None
        continue_waiter, self._continue_waiter = self._continue_waiter, None
        if continue_waiter is not None and not continue_waiter.done():
            continue_waiter.set_result(False)
        waiter, self._head_waiter = self._head_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(head_exc)
            return
        payload, self._payload = self._payload, None
        if payload is not None and not payload.is_eof():
            payload.set_exception(payload_exc)

    # -- timeouts --------------------------------------------------------------------

    def _arm_timer(self) -> None:
        when = self._deadline
        if self._sock_read is not None:
            read_when = self._last_read + self._sock_read
            if when is None or read_when < when:
                when = read_when
        if when is None:
            return
        timer = self._timer
        if timer is not None:
            if timer.when() <= when:
                return  # fires early enough; it re-arms itself for the rest
            timer.cancel()
        self._timer = self._loop.call_at(when, self._on_timer)

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _on_timer(self) -> None:
        self._timer = None
        if self._parser is None:
            return
        now = self._loop.time()
        if self._deadline is not None and now >= self._deadline:
            self._timeout(TimeoutError())
        elif (
            self._sock_read is not None
            and now >= self._last_read + self._sock_read
            and not self.reading_paused
        ):
            self._timeout(SocketTimeoutError("Timeout on reading data from socket"))
        else:
            if self.reading_paused:
                # The application is slow, not the server: silence is not its fault.
                self._last_read = now
            self._arm_timer()

    def _timeout(self, exc: BaseException) -> None:
        self._should_close = True
        self._fail(exc, exc)
        self.abort()
