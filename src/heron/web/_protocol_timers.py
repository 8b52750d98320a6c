"""The deadlines of a server connection: one lazily re-armed ``call_at`` handle.

* request head (``request_head_timeout``): a new connection must deliver a complete
  request head in time, and so must a kept-alive connection once the first byte of
  its next request arrived. Silent clients are closed; clients that sent part of a
  head get ``408``. Trickling bytes never extend the deadline.
* keep-alive (``keepalive_timeout``, 75 s): an idle kept-alive connection is closed.
* request body (``body_read_timeout``, 60 s): while a handler waits for body bytes
  and reading is not paused, the client must send something at least this often;
  otherwise the read fails with 408 and the connection closes.

Moving a deadline later only records it: the pending handle fires at the old time
and re-arms itself for the new one, so a busy connection costs one timer per timeout
period, not one per request.
"""

from __future__ import annotations

from ..http.errors import HttpProcessingError
from ._protocol_state import BODY, HEAD, ConnectionState

__all__ = ("Timers",)


class Timers(ConnectionState):
    """The connection's head, keep-alive and body deadlines (mixed into the handler)."""

    __slots__ = ()

    def _arm(self, kind: int, deadline: float) -> None:
        self._timer_kind = kind
        self._deadline = deadline
        timer = self._timer
        if timer is None:
            self._timer = self._loop.call_at(deadline, self._on_timer)
        elif timer.when() > deadline:
            timer.cancel()
            self._timer = self._loop.call_at(deadline, self._on_timer)
        # Otherwise the pending handle fires early and re-arms itself for the deadline.

    def _cancel_timer(self) -> None:
        self._timer_kind = 0
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        kind = self._timer_kind
        if kind == BODY:
            self._on_body_timer()
            return
        if kind == 0 or self._handling or self._messages or not self.connected:
            return
        if self._loop.time() < self._deadline:
            self._timer = self._loop.call_at(self._deadline, self._on_timer)
            return
        self._timer_kind = 0
        if kind == HEAD and self._head_bytes:
            # Answered (and access-logged) by the task like any request refused before
            # its handler; then a lingering close, as the client may still be sending.
            error = HttpProcessingError(
                code=408, message="The request head was not received in time"
            )
            self._reject(error, None)
            return
        # Idle or silent: nothing in flight, close at once.
        self._input_closed = True
        self._parser = None
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
            self._arm(BODY, now + timeout)
            return
        self._timer_kind = 0
        self._payload = None
        self._close_requested = True
        self._input_closed = True  # read nothing more from this client
        self._parser = None
        payload.set_exception(
            HttpProcessingError(f"No request body data received for {timeout:g} seconds", code=408)
        )
