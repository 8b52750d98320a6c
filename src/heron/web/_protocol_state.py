"""The settings and state of one server connection, shared by the protocol's parts.

:class:`~heron.web.protocol.RequestHandler` is assembled from small mixins, each in
its own module (timers, error replies, closing, upgrades); they all build on
:class:`ConnectionState`, which holds every attribute and the few methods that all
of them use. Methods are looked up on the final class (CPython caches that lookup),
so the split costs nothing per request.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from ..flow import BaseProtocol
from ..http._known_requests import KnownRequests, PrivateRequest
from ..http.errors import HttpProcessingError
from ..http.models import RawRequestMessage
from ..http.parser import HttpRequestParser, OwnFields
from ..streams import StreamReader
from ._inline import InlineRun, Parking
from .log import server_logger

if TYPE_CHECKING:
    import logging

    from .log import AbstractAccessLogger
    from .request import BaseRequest
    from .response import StreamResponse
    from .server import Server

__all__ = ("BODY", "HEAD", "KEEPALIVE", "ConnectionState", "Handler", "Item", "Rejected")

# What the connection's one timer currently guards (0: nothing).
HEAD: Final = 1
KEEPALIVE: Final = 2
BODY: Final = 3


class Rejected:
    """A request answered with an error status; it never reaches the handler."""

    __slots__ = ("error", "message")

    def __init__(self, error: HttpProcessingError, message: RawRequestMessage | None) -> None:
        self.error = error
        self.message = message  # the head, when it was parsed (a missing Host)


Item = tuple[RawRequestMessage, StreamReader] | Rejected
Handler = Callable[["BaseRequest"], Awaitable["StreamResponse"]]


class ParserPool:
    """Request parsers at rest, shared by the connections of the same settings.

    A connection holds a parser only while a request is in flight: an idle
    kept-alive connection gives its parser back here and takes one again with the
    first byte of its next request (a parser is the largest per-connection object,
    and servers hold many idle connections). At most ``MAX_FREE`` parsers wait.
    ``known`` holds the whole requests parsers with these settings have parsed
    before: a connection recognises a repeat without taking a parser at all.
    """

    __slots__ = ("args", "free", "known")

    MAX_FREE: Final = 128

    def __init__(self, args: tuple[int, int, int, bool]) -> None:
        self.args = args
        self.free: list[HttpRequestParser] = []
        self.known = KnownRequests()

    def take(self, own_fields: OwnFields | None = None) -> HttpRequestParser:
        """A parser at rest from the pool, or a fresh one when the pool is empty,
        given the taking connection's ``own_fields`` (see HttpRequestParser)."""
        # pop() and IndexError, not a check first: the pool is shared by the loops of
        # every thread, another may take the last parser between the two.
        try:
            parser = self.free.pop()
        except IndexError:
            line, field, headers, decompress = self.args
            parser = HttpRequestParser(
                max_line_size=line,
                max_field_size=field,
                max_headers=headers,
                auto_decompress=decompress,
            )
        if own_fields is not None:
            parser.own_fields = own_fields
        return parser

    def give(self, parser: HttpRequestParser) -> None:
        """Keep ``parser`` (already released) for another connection, up to ``MAX_FREE``."""
        free = self.free
        if len(free) < self.MAX_FREE:
            free.append(parser)


# One pool per distinct parser settings (in practice one per application).
_POOLS: dict[tuple[int, int, int, bool], ParserPool] = {}


def parser_pool(args: tuple[int, int, int, bool]) -> ParserPool:
    """The shared pool of parsers made with ``args``."""
    pool = _POOLS.get(args)
    if pool is None:
        pool = _POOLS.setdefault(args, ParserPool(args))
    return pool


class ConnectionState(BaseProtocol):
    """Settings, per-connection state and the public knobs of a server connection."""

    # Slots, not an instance dict: a server may hold tens of thousands of idle
    # connections, and per-connection bytes are what limits that.
    __slots__ = (
        "_access_logger",
        "_body_timeout",
        "_close_requested",
        "_context",
        "_deadline",
        "_debug",
        "_handler_cancellation",
        "_handling",
        "_head_bytes",
        "_head_timeout",
        "_inline",
        "_input_closed",
        "_keepalive_timeout",
        "_lingering_time",
        "_lost_waiter",
        "_manager",
        "_max_pipelined",
        "_messages",
        "_on_data",
        "_on_lost",
        "_on_shutdown",
        "_own_fields",
        "_parking",
        "_parse_failed",
        "_parser",
        "_payload",
        "_pipeline_paused",
        "_pool",
        "_private",
        "_read_bufsize",
        "_task",
        "_tcp_keepalive",
        "_timer",
        "_timer_kind",
        "_upgrade_data",
        "_upgraded",
        "_waiter",
        "logger",
    )

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
        self._pool = parser_pool((max_line_size, max_field_size, max_headers, auto_decompress))
        # The last whole request with cookies or credentials this connection sent, kept
        # for its repeats (see KnownRequests.learn); it goes with the connection.
        self._private: PrivateRequest | None = None
        # Its last checked head fields with such secrets (see HttpRequestParser.own_fields),
        # handed to each parser it takes: the process-wide head table never keeps them.
        self._own_fields: OwnFields | None = None
        self._max_pipelined = max_pipelined
        self._lingering_time = lingering_time
        self._read_bufsize = read_bufsize
        self._handler_cancellation = handler_cancellation
        self._debug = loop.get_debug() if debug is None else debug
        # The parser, while a request is in flight (see ParserPool).
        self._parser: HttpRequestParser | None = None
        # Parse nothing more (timed out, body deadline missed, connection lost).
        self._input_closed = False
        # Requests waiting for the connection's task; created when first needed
        # (pipelining, a busy task), as most connections never queue anything.
        self._messages: deque[Item] | None = None
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
        self._upgrade_data: list[bytes] | None = None
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
        # Where the task's handler may be parked (see _inline.Parking); created when a
        # handler first waits.
        self._parking: Parking | None = None

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

    def _queue(self, item: Item) -> None:
        """Queue ``item`` for the connection's task."""
        messages = self._messages
        if messages is None:
            messages = self._messages = deque()
        messages.append(item)

    def _reject(self, exc: HttpProcessingError, message: RawRequestMessage | None) -> None:
        """Queue an error answer after the requests before it; parse nothing more."""
        self._parse_failed = True
        self.pause_reading()
        self._queue(Rejected(exc, message))
        self._wake()

    def _rest(self) -> None:
        """The connection is idle between requests: give its parser back to the pool."""
        parser = self._parser
        if parser is not None:
            own = parser.own_fields  # release() drops it: the next connection must not see it
            if parser.release():
                if own is not None:
                    self._own_fields = own
                self._parser = None
                self._pool.give(parser)

    def _wake(self) -> None:
        """Wake the connection's task if it waits for a request."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
