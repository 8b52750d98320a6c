"""How a server connection ends: unread request bodies, lingering close, shutdown.

When a handler answers without reading the whole body, the rest is read and dropped
(keep-alive) only if it all arrived or at most ``read_bufsize`` bytes of a
``Content-Length`` body remain; otherwise the response says ``Connection: close``
and the connection closes after a short lingering half-close, so that the kernel
does not reset a response the client has not read yet.
"""

from __future__ import annotations

import asyncio

from ..flow import BaseProtocol
from ..http.errors import HttpProcessingError
from ..http.models import RawRequestMessage
from ..streams import StreamReader
from ._protocol_timers import Timers
from .request import BaseRequest
from .response import StreamResponse

__all__ = ("Closing",)


class Closing(Timers):
    """Ending a connection politely (mixed into the request handler)."""

    __slots__ = ()

    def _drop_unread_body(
        self,
        request: BaseRequest,
        message: RawRequestMessage,
        payload: StreamReader,
        resp: StreamResponse,
    ) -> None:
        """The handler left part of the body unread: close unless the rest is cheap.

        A large upload is not worth receiving only to throw it away.
        """
        if self._body_left_is_small(request, message, payload):
            return  # read and dropped after the response (see _discard_body)
        if resp.prepared:
            self._close_requested = True  # too late to say so: just close after it
        else:
            resp.force_close()  # say so: the client may stop uploading

    def _body_left_is_small(
        self, request: BaseRequest, message: RawRequestMessage, payload: StreamReader
    ) -> bool:
        """Whether the unread rest of a body is cheap to read and drop (keeping alive)."""
        if payload.is_eof():
            return True  # everything arrived; it only waits in the buffer
        if request._expect_continue:
            return False  # we never said "continue": the client may never send it
        length = request.content_length
        if length is None or message.compression:
            return False  # chunked or decoded: what is left on the wire is unknown
        return length - payload.total_bytes <= self._read_bufsize

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
        # Past the handler's pipelining check in resume_reading: read (and drop) it all.
        BaseProtocol.resume_reading(self)
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
