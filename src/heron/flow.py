"""Flow control for one connection, in one small class.

:class:`BaseProtocol` tracks the two directions of back-pressure that asyncio reports:

* writing: the transport calls :meth:`pause_writing` when its send buffer passes the
  high-water mark and :meth:`resume_writing` when it drains; writers ``await drain()``
  so a fast producer never fills memory while a slow peer reads;
* reading: body readers (:class:`heron.streams.StreamReader`) call
  :meth:`pause_reading` when they buffer too much unread data and
  :meth:`resume_reading` once the application caught up.

Server and client protocols subclass it and add ``data_received`` and friends.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import cast

__all__ = ("BaseProtocol",)


class BaseProtocol(asyncio.Protocol):
    """An :class:`asyncio.Protocol` that knows how to wait for the peer to catch up."""

    # Slots: a server holds one protocol per idle keep-alive connection, and an
    # instance dict costs several times more than these fields (subclasses without
    # __slots__ still get a dict).
    __slots__ = (
        "_connection_lost",
        "_drain_waiters",
        "_loop",
        "_lost_exc",
        "_reading_paused",
        "_writing_paused",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._writing_paused = False
        self._reading_paused = False
        self._connection_lost = False
        self._lost_exc: BaseException | None = None
        # Created by the first drain() that has to wait: most connections never do.
        self._drain_waiters: deque[asyncio.Future[None]] | None = None

    # -- state ---------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True between ``connection_made`` and ``connection_lost``."""
        return self.transport is not None and not self._connection_lost

    @property
    def writing_paused(self) -> bool:
        """True while the transport asked us to stop writing."""
        return self._writing_paused

    @property
    def reading_paused(self) -> bool:
        """True while reading from the transport is paused."""
        return self._reading_paused

    # -- asyncio.Protocol callbacks -------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Remember the transport (it is a stream transport for every heron protocol)."""
        # A cast, not an isinstance check: uvloop's transports do not subclass asyncio's.
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the transport and fail every ``drain()`` waiter."""
        self._connection_lost = True
        self._lost_exc = exc
        self.transport = None
        # Writers blocked on a paused transport would otherwise wait forever.
        self._writing_paused = False
        waiters = self._drain_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_exception(self._reset_error())

    def pause_writing(self) -> None:
        """Called by the transport when its write buffer is above the high-water mark."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """Called by the transport when its write buffer drained; wakes the writers."""
        self._writing_paused = False
        waiters = self._drain_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)

    # -- flow control used by readers and writers ------------------------------

    def pause_reading(self) -> None:
        """Stop reading from the transport; does nothing if already paused or closed."""
        if self._reading_paused:
            return
        self._reading_paused = True
        transport = self.transport
        if transport is not None and not transport.is_closing():
            try:
                transport.pause_reading()
            except (AttributeError, NotImplementedError, RuntimeError):
                # Some transports (write-only pipes, uvloop after close) cannot pause;
                # flow control is best effort there, never an error for the caller.
                pass

    def resume_reading(self) -> None:
        """Resume reading from the transport; does nothing if not paused or closed."""
        if not self._reading_paused:
            return
        self._reading_paused = False
        transport = self.transport
        if transport is not None and not transport.is_closing():
            try:
                transport.resume_reading()
            except (AttributeError, NotImplementedError, RuntimeError):
                pass

    async def drain(self) -> None:
        """Wait until the transport accepts more data.

        Returns at once unless writing is paused. Raises :class:`ConnectionResetError`
        once the connection is lost, so a writer never waits on a dead peer.
        """
        if self._connection_lost:
            raise self._reset_error()
        if not self._writing_paused:
            return
        loop = self._loop if self._loop is not None else asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        waiters = self._drain_waiters
        if waiters is None:
            waiters = self._drain_waiters = deque()
        waiters.append(waiter)
        try:
            await waiter
        finally:
            # A cancelled waiter must not linger in the queue.
            try:
                waiters.remove(waiter)
            except ValueError:
                pass

    def _reset_error(self) -> ConnectionResetError:
        err = ConnectionResetError("Connection lost")
        err.__cause__ = self._lost_exc
        return err
