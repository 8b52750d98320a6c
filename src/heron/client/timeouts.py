"""Client timeouts: :class:`ClientTimeout` and the deadline arithmetic behind it."""

from __future__ import annotations

import dataclasses
import math

__all__ = ("DEFAULT_TIMEOUT", "ClientTimeout")


@dataclasses.dataclass(frozen=True, slots=True)
class ClientTimeout:
    """Timeouts of one request, in seconds; ``None`` or ``0`` disables one.

    * ``total`` — the whole operation: connecting, sending, receiving the head and
      reading the body (raises :class:`asyncio.TimeoutError`, or
      :class:`~heron.ConnectionTimeoutError` when it expires while connecting);
    * ``connect`` — getting a connection, including waiting for a free slot in the
      pool (raises :class:`~heron.ConnectionTimeoutError`);
    * ``sock_connect`` — opening one socket to the peer, the TCP and TLS handshakes
      (raises :class:`~heron.ConnectionTimeoutError`);
    * ``sock_read`` — the longest silence between two pieces of the response
      (raises :class:`~heron.SocketTimeoutError`);
    * ``ceil_threshold`` — timeouts at or above this many seconds are rounded up to a
      whole second so their timers fire together (fewer wake-ups).

    Use ``dataclasses.replace(timeout, total=...)`` to derive a variant.
    """

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5


DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)
"""The session default: five minutes for everything, 30 seconds per connection attempt."""


def deadline_of(loop_time: float, delay: float | None, ceil_threshold: float) -> float | None:
    """The loop time at which ``delay`` seconds from ``loop_time`` elapse (or None).

    Long delays are rounded up to the next whole second, as aiohttp does, so that many
    timers end up on the same tick.
    """
    if not delay:
        return None
    when = loop_time + delay
    if delay >= ceil_threshold:
        return float(math.ceil(when))
    return when


def earliest(*deadlines: float | None) -> float | None:
    """The earliest of the given deadlines, ignoring ``None``."""
    result: float | None = None
    for when in deadlines:
        if when is not None and (result is None or when < result):
            result = when
    return result
