"""Protocol upgrades of a server connection: handing the socket to another protocol.

When the parser emits ``Upgrade(tail)`` it stops; later bytes are buffered here. A
handler that answered ``101`` calls :meth:`Upgrades.switch_protocol` and receives
the raw bytes from then on; a handler that answered normally declines the upgrade,
and the connection goes on parsing HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ..http.models import Upgrade
from ._protocol_timers import Timers

if TYPE_CHECKING:
    from ..flow import BaseProtocol

__all__ = ("Upgrades",)


class _Relay(asyncio.Protocol):
    """The transport's protocol once a connection is handed over.

    ``data_received`` *is* the new protocol's callback (an instance slot shadowing
    the method), so every chunk reaches it without a hop through the request handler
    (one Python call less per WebSocket message). Everything else the transport
    reports (loss, EOF, write back-pressure) still goes to the request handler,
    which keeps the server's connection tracking, ``drain()`` and shutdown working.
    """

    __slots__ = ("_handler", "data_received")

    def __init__(self, handler: BaseProtocol, on_data: Callable[[bytes], None]) -> None:
        self._handler = handler
        self.data_received = on_data  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._handler.connection_lost(exc)

    def eof_received(self) -> bool | None:
        return self._handler.eof_received()

    def pause_writing(self) -> None:
        self._handler.pause_writing()

    def resume_writing(self) -> None:
        self._handler.resume_writing()


class Upgrades(Timers):
    """The upgrade hand-off (mixed into the request handler)."""

    __slots__ = ()

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
        transport = self.transport
        if transport is None:
            raise ConnectionResetError("Connection lost")
        self._on_data = on_data
        self._on_lost = on_lost
        self._on_shutdown = on_shutdown
        self._close_requested = True
        self._cancel_timer()
        if self._upgraded:
            self._deliver_upgrade_data()
        if self.transport is transport and not transport.is_closing():
            # From now on the transport calls on_data itself (see _Relay); transports
            # that cannot switch protocols keep calling data_received, which forwards.
            try:
                transport.set_protocol(_Relay(self, on_data))
            except (AttributeError, NotImplementedError):
                pass

    def _on_upgrade(self, event: Upgrade) -> None:
        self._upgraded = True
        if event.tail:
            self._buffer_upgrade_data(event.tail)
        if self._on_data is not None:
            self._deliver_upgrade_data()

    def _buffer_upgrade_data(self, data: bytes) -> None:
        # The buffer is created on first use: most connections never upgrade.
        if self._upgrade_data is None:
            self._upgrade_data = []
        self._upgrade_data.append(data)

    def _take_upgrade_data(self) -> bytes:
        buffered, self._upgrade_data = self._upgrade_data, None
        return b"".join(buffered) if buffered else b""

    def _deliver_upgrade_data(self) -> None:
        data = self._take_upgrade_data()
        if data and self._on_data is not None:
            self._on_data(data)

    def _decline_upgrade(self) -> bytes:
        """The handler answered an upgrade request normally: go on parsing HTTP.

        Returns the bytes that followed the request, for the caller to parse next.
        """
        self._upgraded = False
        data = self._take_upgrade_data()
        if self._parser is None:
            return b""
        self._parser.continue_after_upgrade()
        return data
