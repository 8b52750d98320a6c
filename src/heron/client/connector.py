"""Connection pooling: :class:`BaseConnector`, :class:`Connection`, :class:`UnixConnector`.

A connector hands out :class:`Connection` objects, reusing idle keep-alive connections
to the same endpoint (the :class:`~heron.client.request.ConnectionKey`) and opening
new ones through :meth:`BaseConnector._create_connection`. Two limits bound the
connections in use: ``limit`` in total and ``limit_per_host`` per endpoint. A request
that finds its limit reached waits in one FIFO queue; a freed slot is handed to the
oldest waiter that may use it, so no request starves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import sys
import traceback
import warnings
from collections import deque
from collections.abc import Awaitable, Generator
from typing import TYPE_CHECKING, Any

from .exceptions import (
    ClientConnectionError,
    ConnectionTimeoutError,
    UnixClientConnectorError,
)
from .proto import ResponseHandler
from .reqrep import ConnectionKey
from .timeouts import ClientTimeout

if TYPE_CHECKING:
    from .reqrep import ClientRequest
    from .tracing import Trace

__all__ = ("BaseConnector", "Connection", "UnixConnector")

_DEFAULT_KEEPALIVE = 15.0
# SSL transports that do not finish their shutdown are aborted after this long.
_CLEANUP_CLOSED_PERIOD = 2.0


class _Done:
    """An already finished awaitable: ``close()`` can be awaited or not."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover


_DONE = _Done()


class _Slot:
    """Stands for a connection being opened, so it counts against the limits."""

    __slots__ = ()


_Held = ResponseHandler | _Slot


class Connection:
    """One connection lent by a connector to a request.

    ``release()`` gives it back for reuse, ``close()`` closes the socket, ``detach()``
    keeps the socket open but takes it out of the connector's hands.
    """

    __slots__ = ("__weakref__", "_connector", "_key", "_loop", "_protocol", "_source_traceback")

    # False: the socket was idle in the pool before this request, so the server may
    # have closed it meanwhile (see _FreshConnection). A class attribute: nothing to
    # store per request.
    _fresh = False

    def __init__(
        self,
        connector: BaseConnector,
        key: ConnectionKey,
        protocol: ResponseHandler,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._connector = connector
        self._key = key
        self._protocol: ResponseHandler | None = protocol
        self._loop = loop
        self._source_traceback = (
            traceback.extract_stack(sys._getframe(1)) if loop.get_debug() else None
        )

    def __repr__(self) -> str:
        return f"Connection<{self._key}>"

    def __del__(self, _warnings: Any = warnings) -> None:
        if self._protocol is None:
            return
        _warnings.warn(f"Unclosed connection {self!r}", ResourceWarning, source=self)
        if self._loop.is_closed():
            return
        self._connector._release(self._key, self._protocol, should_close=True)
        context: dict[str, Any] = {"client_connection": self, "message": "Unclosed connection"}
        if self._source_traceback is not None:
            context["source_traceback"] = self._source_traceback
        self._loop.call_exception_handler(context)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop (deprecated in aiohttp 3.x; kept for old code)."""
        return self._loop

    @property
    def transport(self) -> asyncio.Transport | None:
        """The transport, None once released, closed or detached."""
        return self._protocol.transport if self._protocol is not None else None

    @property
    def protocol(self) -> ResponseHandler | None:
        """The connection's :class:`~heron.client.proto.ResponseHandler`."""
        return self._protocol

    @property
    def closed(self) -> bool:
        """True after ``close()``, ``release()`` or ``detach()``, or once the peer closed."""
        return self._protocol is None or not self._protocol.is_connected()

    def close(self) -> None:
        """Close the socket; it is not reused."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            self._connector._release(self._key, protocol, should_close=True)

    def release(self) -> None:
        """Give the socket back to the pool (closed instead if it cannot be reused)."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            # (the connector checks protocol.should_close itself)
            self._connector._release(self._key, protocol, should_close=False)

    def detach(self) -> None:
        """Stop tracking the socket: a later ``release()`` or ``close()`` does nothing."""
        protocol, self._protocol = self._protocol, None
        if protocol is not None:
            self._connector._release_slot(self._key, protocol)


class _FreshConnection(Connection):
    """A :class:`Connection` over a socket opened for this very request.

    The session resends an idempotent request whose connection died before any byte
    of the answer only if that connection came from the pool (the server may have
    closed it while idle); a fresh one failing is a real failure.
    """

    __slots__ = ()

    _fresh = True


class BaseConnector:
    """The connection pool; subclasses implement :meth:`_create_connection`.

    * ``keepalive_timeout`` (15 s) — how long an idle connection is kept for reuse;
    * ``force_close`` — close every connection after its response instead;
    * ``limit`` (100) — connections in use at once in total, 0 for no limit;
    * ``limit_per_host`` (0) — connections in use at once per endpoint;
    * ``enable_cleanup_closed`` — abort TLS connections whose shutdown hangs.
    """

    _cleanup_closed_period = _CLEANUP_CLOSED_PERIOD
    _closed = True  # until __init__ finished: __del__ of a half-built connector is a no-op

    def __init__(
        self,
        *,
        keepalive_timeout: float | object | None = ...,
        force_close: bool = False,
        limit: int = 100,
        limit_per_host: int = 0,
        enable_cleanup_closed: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        timeout_ceil_threshold: float = 5,
        share_cookies: bool | None = None,
        conn_timeout: float | None = None,
    ) -> None:
        if share_cookies is not None:  # 0.x argument: accepted, ignored (docs/legacy.md)
            from ..legacy.client import share_cookies_given

            share_cookies_given()
        if conn_timeout is not None:  # 0.x argument: the socket connect timeout
            from ..legacy.client import conn_timeout_given

            conn_timeout_given()
        self._conn_timeout = conn_timeout
        if force_close:
            if keepalive_timeout is not ... and keepalive_timeout is not None:
                raise ValueError("keepalive_timeout cannot be set if force_close is True")
            keepalive: float | None = None
        elif keepalive_timeout is ...:
            keepalive = _DEFAULT_KEEPALIVE
        else:
            keepalive = float(keepalive_timeout) if keepalive_timeout else None  # type: ignore[arg-type]
        self._loop = loop or asyncio.get_running_loop()
        self._keepalive_timeout = keepalive
        self._force_close = force_close
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._cleanup_closed_disabled = not enable_cleanup_closed
        self._timeout_ceil_threshold = timeout_ceil_threshold
        self._conns: dict[ConnectionKey, list[tuple[ResponseHandler, float]]] = {}
        self._acquired: set[_Held] = set()
        self._acquired_per_host: dict[ConnectionKey, set[_Held]] = {}
        self._waiters: deque[tuple[ConnectionKey, asyncio.Future[None], _Slot]] = deque()
        self._cleanup_handle: asyncio.TimerHandle | None = None
        self._cleanup_closed_transports: list[asyncio.Transport] = []
        self._cleanup_closed_handle: asyncio.TimerHandle | None = None
        self._closed = False
        self._source_traceback = (
            traceback.extract_stack(sys._getframe(1)) if self._loop.get_debug() else None
        )

    def __del__(self, _warnings: Any = warnings) -> None:
        if self._closed or not self._conns:
            return
        conns = [repr(p) for conns in self._conns.values() for p, _ in conns]
        self._close_all()
        _warnings.warn(f"Unclosed connector {self!r}", ResourceWarning, source=self)
        context: dict[str, Any] = {
            "connector": self,
            "connections": conns,
            "message": "Unclosed connector",
        }
        if self._source_traceback is not None:
            context["source_traceback"] = self._source_traceback
        if not self._loop.is_closed():
            self._loop.call_exception_handler(context)

    async def __aenter__(self) -> BaseConnector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- properties ------------------------------------------------------------------

    @property
    def force_close(self) -> bool:
        """Whether connections are closed after each response."""
        return self._force_close

    @property
    def limit(self) -> int:
        """Total connections in use at once (0: unlimited)."""
        return self._limit

    @property
    def limit_per_host(self) -> int:
        """Connections in use at once per endpoint (0: unlimited)."""
        return self._limit_per_host

    @property
    def keepalive_timeout(self) -> float | None:
        """Seconds an idle connection stays in the pool."""
        return self._keepalive_timeout

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    # -- closing ---------------------------------------------------------------------

    def close(self) -> Awaitable[None]:
        """Close every connection, idle or in use. Returns an awaitable."""
        if not self._closed:
            self._closed = True
            self._close_all()
        return _DONE

    def _close_all(self) -> None:
        for conns in self._conns.values():
            for protocol, _ in conns:
                protocol.close()
        for held in self._acquired:
            if isinstance(held, ResponseHandler):
                held.close()
        for transport in self._cleanup_closed_transports:
            transport.abort()
        self._conns.clear()
        self._acquired.clear()
        self._acquired_per_host.clear()
        self._cleanup_closed_transports.clear()
        for handle in (self._cleanup_handle, self._cleanup_closed_handle):
            if handle is not None:
                handle.cancel()
        self._cleanup_handle = self._cleanup_closed_handle = None
        while self._waiters:
            _, waiter, _ = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ClientConnectionError("Connector is closed."))

    # -- lending -----------------------------------------------------------------------

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> Connection:
        """Get a connection for ``req``: a pooled one, or a new one (waiting for a slot)."""
        return await self._lend(req, traces, timeout, True)

    async def _lend(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout, reuse: bool
    ) -> Connection:
        """:meth:`connect`; with ``reuse`` false always a new connection (the session's
        one resend of a request whose pooled connection had died)."""
        if self._closed:
            raise ClientConnectionError("Connector is closed.")
        key = req.connection_key
        slot = _Slot()
        if self._slot_available(key):
            self._acquire(key, slot)
        else:
            await self._wait_for_slot(key, slot, traces)
        try:
            protocol = self._get(key) if reuse else None
            created = protocol is None
            if protocol is not None:
                for trace in traces:
                    await trace.send_connection_reuseconn()
            else:
                for trace in traces:
                    await trace.send_connection_create_start()
                conn_timeout = self._conn_timeout
                if conn_timeout is not None and conn_timeout < (timeout.sock_connect or math.inf):
                    timeout = dataclasses.replace(timeout, sock_connect=conn_timeout)
                protocol = await self._create_connection(req, traces, timeout)
                for trace in traces:
                    await trace.send_connection_create_end()
        except BaseException:
            self._release_slot(key, slot)
            raise
        if self.closed:  # closed while we were connecting
            protocol.close()
            raise ClientConnectionError("Connector is closed.")
        # Swap the placeholder for the protocol without freeing the slot in between.
        self._acquired.discard(slot)
        self._acquired.add(protocol)
        per_host = self._acquired_per_host.get(key)
        if per_host is not None:
            per_host.discard(slot)
            per_host.add(protocol)
        if created:
            return _FreshConnection(self, key, protocol, self._loop)
        return Connection(self, key, protocol, self._loop)

    def _connect_from_pool(self, req: ClientRequest) -> Connection | None:
        """A pooled connection for ``req`` if one is idle and a slot is free, else None.

        The synchronous fast path of :meth:`connect` for kept-alive connections.
        """
        return self._pooled(req.connection_key)

    def _pooled(self, key: ConnectionKey) -> Connection | None:
        """A pooled connection for ``key`` if one is idle and a slot is free, else None."""
        conns = self._conns.get(key)
        if not conns or self._closed:
            return None
        limit = self._limit
        if self._limit_per_host:
            if not self._slot_available(key):
                return None
        elif limit and len(self._acquired) >= limit:
            return None
        # Why inline: this runs per request; the usual case (the warmest idle socket
        # is fine, no per-host limit) is _get() and _acquire() without their calls.
        protocol, since = conns[-1]
        keepalive = self._keepalive_timeout
        if (
            not self._limit_per_host
            and not protocol.should_close
            and (keepalive is None or self._loop.time() - since <= keepalive)
        ):
            if len(conns) == 1:
                del self._conns[key]
            else:
                conns.pop()
            self._acquired.add(protocol)
            spare = protocol._spare_conn
            if spare is not None and not self._loop.get_debug():  # (debug: a new origin)
                # The session's short path handed back a Connection nobody ever saw
                # (released before its response was returned): lend it again. (Its
                # key equals ``key``: a socket is always pooled under one key.)
                protocol._spare_conn = None
                spare._protocol = protocol
                return spare  # type: ignore[no-any-return]
            return Connection(self, key, protocol, self._loop)
        found = self._get(key)
        if found is None:
            return None
        self._acquire(key, found)
        return Connection(self, key, found, self._loop)

    def _slot_available(self, key: ConnectionKey) -> bool:
        if self._limit and len(self._acquired) >= self._limit:
            return False
        if self._limit_per_host:
            per_host = self._acquired_per_host.get(key)
            if per_host is not None and len(per_host) >= self._limit_per_host:
                return False
        return True

    def _acquire(self, key: ConnectionKey, held: _Held) -> None:
        self._acquired.add(held)
        if self._limit_per_host:
            self._acquired_per_host.setdefault(key, set()).add(held)

    async def _wait_for_slot(self, key: ConnectionKey, slot: _Slot, traces: list[Trace]) -> None:
        waiter: asyncio.Future[None] = self._loop.create_future()
        entry = (key, waiter, slot)
        self._waiters.append(entry)
        for trace in traces:
            await trace.send_connection_queued_start()
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # We were handed a slot but leave: pass it on.
                self._release_slot(key, slot)
            else:
                try:
                    self._waiters.remove(entry)
                except ValueError:
                    pass
            raise
        try:
            for trace in traces:
                await trace.send_connection_queued_end()
        except BaseException:
            self._release_slot(key, slot)  # the slot is ours now: never keep it on failure
            raise

    def _wake_waiters(self) -> None:
        """Hand free slots to the oldest waiters that may use them."""
        waiters = self._waiters
        if not waiters:
            return
        keep: deque[tuple[ConnectionKey, asyncio.Future[None], _Slot]] = deque()
        while waiters:
            entry = waiters.popleft()
            key, waiter, slot = entry
            if waiter.done():
                continue
            if self._slot_available(key):
                self._acquire(key, slot)
                waiter.set_result(None)
            else:
                keep.append(entry)
                if self._limit and len(self._acquired) >= self._limit:
                    break  # nobody else can proceed either
        keep.extend(waiters)
        self._waiters = keep

    def _get(self, key: ConnectionKey) -> ResponseHandler | None:
        conns = self._conns.get(key)
        if not conns:
            return None
        now = self._loop.time()
        keepalive = self._keepalive_timeout
        while conns:
            protocol, since = conns.pop()  # the most recently used: warmest socket
            # (should_close is also true once the transport is closing or gone.)
            if not protocol.should_close and (keepalive is None or now - since <= keepalive):
                if not conns:
                    del self._conns[key]
                return protocol
            protocol.close()
        del self._conns[key]
        return None

    def _release_slot(self, key: ConnectionKey, held: _Held) -> None:
        """Free the slot of ``held`` (a protocol or placeholder) and wake waiters."""
        self._acquired.discard(held)
        if self._acquired_per_host:
            per_host = self._acquired_per_host.get(key)
            if per_host is not None:
                per_host.discard(held)
                if not per_host:
                    del self._acquired_per_host[key]
        if self._waiters and not self._closed:
            self._wake_waiters()

    def _release(
        self, key: ConnectionKey, protocol: ResponseHandler, *, should_close: bool
    ) -> None:
        """Take ``protocol`` back: into the pool, or closed."""
        if self._closed:
            protocol.close()
            self._release_slot(key, protocol)
            return
        if should_close or self._force_close or protocol.should_close:
            self._close_protocol(protocol)
        else:
            now = self._loop.time()
            idle = self._conns.get(key)
            if idle is None:
                self._conns[key] = [(protocol, now)]
            else:
                idle.append((protocol, now))
            if self._cleanup_handle is None and self._keepalive_timeout is not None:
                self._cleanup_handle = self._loop.call_at(
                    now + self._keepalive_timeout, self._cleanup
                )
        if self._acquired_per_host or self._waiters:
            self._release_slot(key, protocol)
        else:
            self._acquired.discard(protocol)  # (all _release_slot does then, per request)

    def _close_protocol(self, protocol: ResponseHandler) -> None:
        transport = protocol.transport
        protocol.close()
        if (
            not self._cleanup_closed_disabled
            and transport is not None
            and transport.get_extra_info("sslcontext") is not None
        ):
            self._cleanup_closed_transports.append(transport)
            if self._cleanup_closed_handle is None:
                self._cleanup_closed_handle = self._loop.call_later(
                    self._cleanup_closed_period, self._cleanup_closed
                )

    def _cleanup(self) -> None:
        """Close idle connections older than the keep-alive timeout."""
        self._cleanup_handle = None
        keepalive = self._keepalive_timeout
        if keepalive is None or self._closed:
            return
        now = self._loop.time()
        next_due: float | None = None
        for key in list(self._conns):
            alive = []
            for protocol, since in self._conns[key]:
                if now - since >= keepalive or not protocol.is_connected():
                    protocol.close()
                else:
                    alive.append((protocol, since))
                    due = since + keepalive
                    next_due = due if next_due is None else min(next_due, due)
            if alive:
                self._conns[key] = alive
            else:
                del self._conns[key]
        if next_due is not None:
            self._cleanup_handle = self._loop.call_at(next_due, self._cleanup)

    def _cleanup_closed(self) -> None:
        """Abort TLS transports that still did not finish closing."""
        self._cleanup_closed_handle = None
        for transport in self._cleanup_closed_transports:
            if transport is not None:
                transport.abort()
        self._cleanup_closed_transports = []

    # -- opening -----------------------------------------------------------------------

    def _protocol_factory(self) -> ResponseHandler:
        return ResponseHandler(self._loop)

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        """Open a new connection for ``req`` (implemented by subclasses)."""
        raise NotImplementedError


class UnixConnector(BaseConnector):
    """Connects every request over the UNIX domain socket at ``path``."""

    def __init__(self, path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._path = path

    @property
    def path(self) -> str:
        """The socket path."""
        return self._path

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        try:
            async with asyncio.timeout(timeout.sock_connect or None):
                _, protocol = await self._loop.create_unix_connection(
                    self._protocol_factory, self._path
                )
        except TimeoutError as exc:
            raise ConnectionTimeoutError(f"Connection timeout to unix socket {self._path}") from exc
        except OSError as exc:
            raise UnixClientConnectorError(self._path, req.connection_key, exc) from exc
        return protocol
