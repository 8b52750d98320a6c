"""Sending for :class:`~heron.ClientSession`: connect, send, read the head, follow redirects.

The pipeline of one request, as named steps: :meth:`_traced_request` (the trace
signals around the rest) -> :meth:`_send_following_redirects` -> :meth:`_send_hop`
(build, connect, send, read the head) and :meth:`_follow_redirects` (store cookies,
turn a 3xx into the next hop with :func:`~heron.client.redirects.follow_redirect`).
The untraced path of ``ClientSession._run`` calls :meth:`_send_hop` and
:meth:`_follow_redirects` itself, one coroutine fewer per request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .. import hdrs
from ..multipart_writer import MultipartWriter
from ..payload import BytesPayload
from ._building import RequestBuildingMixin
from ._options import Arm, RaiseForStatus, RequestOptions
from .connector import BaseConnector, Connection
from .exceptions import (
    ClientConnectionResetError,
    ClientOSError,
    ConnectionTimeoutError,
    ServerDisconnectedError,
)
from .proto import BadResponseHead, ResponseHandler
from .redirects import REDIRECT_STATUSES, Hop, follow_redirect
from .reqrep import ClientRequest
from .response import ClientResponse
from .timeouts import ClientTimeout, deadline_of, earliest
from .tracing import Trace

__all__ = ("IDEMPOTENT_METHODS", "RequestSendingMixin", "may_resend")

# RFC 9110 9.2.2: the methods whose repetition has the effect of one request, which
# RFC 9112 9.3.1 lets a client resend by itself after a connection failure.
# (The safe methods, which ClientRequest already lists, and PUT and DELETE.)
IDEMPOTENT_METHODS = ClientRequest.GET_METHODS | {hdrs.METH_PUT, hdrs.METH_DELETE}
# What a connection that died under a request raises while the head is awaited: the
# server closed it (an idle keep-alive socket it had timed out), or reset it.
_DEAD_CONNECTION = (ServerDisconnectedError, ClientOSError, ClientConnectionResetError)


def may_resend(exc: BaseException, protocol: ResponseHandler, method: str, body: Any) -> bool:
    """Whether a request that failed with ``exc`` on a pooled connection may be sent
    once more on a new one: its connection died before any byte of the answer came,
    its method is idempotent and its body can be sent again.

    Only a pooled connection qualifies (the caller checks): a server may close an
    idle keep-alive socket just as the client reuses it, which is no failure of
    the request. A new connection failing so is one.
    """
    return (
        isinstance(exc, _DEAD_CONNECTION)
        and not protocol.answered
        and method in IDEMPOTENT_METHODS
        and resendable(body)
    )


def resendable(body: Any) -> bool:
    """Whether ``body`` (a request's) can be written again: bytes and payloads that
    hold their bytes (``str``, JSON, url-encoded forms), and multipart bodies made of
    those; not files or streams, which the first attempt consumed."""
    if isinstance(body, bytes | BytesPayload):
        return True
    if isinstance(body, MultipartWriter):
        return all(resendable(part) for part in body)
    return False


class RequestSendingMixin(RequestBuildingMixin):
    """:class:`~heron.ClientSession`'s steps from a hop to its final response."""

    _requote_redirect_url: bool
    _raise_for_status: RaiseForStatus
    # Whether the request and response classes keep the stock send()/start(), which
    # _send_hop then runs without their coroutines.
    _sync_send: bool
    _sync_start: bool

    async def _traced_request(
        self,
        hop: Hop,
        opts: RequestOptions,
        arm: Arm,
        traces: list[Trace],
        raise_for_status: RaiseForStatus | None,
    ) -> ClientResponse:
        """The request with its redirects and status check, between the trace signals."""
        for trace in traces:
            await trace.send_request_start(hop.method, hop.url, hop.headers)
        try:
            resp = await self._send_following_redirects(hop, opts, arm, traces)
            await self._check_status(resp, raise_for_status)
            for trace in traces:
                await trace.send_request_end(hop.method, hop.url, hop.headers, resp)
            return resp
        except BaseException as exc:
            for trace in traces:
                await trace.send_request_exception(hop.method, hop.url, hop.headers, exc)
            raise

    async def _send_following_redirects(
        self, hop: Hop, opts: RequestOptions, arm: Arm, traces: list[Trace]
    ) -> ClientResponse:
        """Send ``hop``, then each redirect it leads to; return the final response."""
        resp = await self._send_hop(hop, opts, arm, traces)
        if resp._sets_cookie() or (opts.allow_redirects and resp.status in REDIRECT_STATUSES):
            resp = await self._follow_redirects(hop, resp, opts, arm, traces)
        return resp

    async def _follow_redirects(
        self,
        hop: Hop,
        resp: ClientResponse,
        opts: RequestOptions,
        arm: Arm,
        traces: list[Trace],
    ) -> ClientResponse:
        """Store the cookies of ``resp`` (the answer to ``hop``) and follow its redirects."""
        history: list[ClientResponse] = []
        while True:
            self._store_cookies(resp)
            if not opts.allow_redirects or resp.status not in REDIRECT_STATUSES:
                break
            if not await follow_redirect(
                hop, resp, history, opts.max_redirects, traces, requote=self._requote_redirect_url
            ):
                break
            resp = await self._send_hop(hop, opts, arm, traces)
        if history:
            resp._history = tuple(history)
        return resp

    async def _send_hop(
        self,
        hop: Hop,
        opts: RequestOptions,
        arm: Arm,
        traces: list[Trace],
        fresh: bool = False,
    ) -> ClientResponse:
        """One request and its response head: build, connect, send, read the head.

        An idempotent request whose pooled connection turns out dead (closed or reset
        before any byte of the answer) is sent once more on a new connection, as
        aiohttp 3.x does (:func:`may_resend`). ``fresh``: this is that resend already
        (the short path's): a new connection at once, and no further resend.
        """
        req = self._make_request(hop, opts, traces)
        connector = self._connector
        # A kept-alive connection from the pool needs no waiting (traces want the
        # connection signals, so they take the long way).
        conn = None if traces or fresh or connector is None else connector._connect_from_pool(req)
        if conn is None:
            conn = await self._connect(req, traces, opts.timeout, arm[1], fresh)
        # (a loop that runs twice at most: ``fresh`` is true for the resend)
        while True:
            protocol = conn.protocol
            assert protocol is not None
            protocol._prepare(*arm)
            resp = None
            try:
                if self._sync_send:
                    resp = req._send(conn)
                    if self._sync_start:
                        # start() inlined (one coroutine less): _send already tied the
                        # response to conn.
                        head_future = resp._head_future
                        assert head_future is not None
                        try:
                            message, payload = await head_future
                        except BadResponseHead as exc:
                            raise resp._bad_head(exc) from exc.error
                        resp._head_received(message, payload)
                    else:
                        await resp.start(conn)
                else:
                    resp = await req.send(conn)
                    await resp.start(conn)
                return resp
            except BaseException as exc:
                conn.close()
                if resp is not None:
                    resp.close()
                req.terminate()
                if fresh or conn._fresh or not may_resend(exc, protocol, req.method, req.body):
                    raise
            fresh = True
            conn = await self._connect(req, traces, opts.timeout, arm[1], True)

    async def _connect(
        self,
        req: ClientRequest,
        traces: list[Trace],
        tm: ClientTimeout,
        deadline: float | None,
        fresh: bool = False,
    ) -> Connection:
        """A connection for ``req`` from the connector (``fresh``: a new one, never
        from the pool), within the connect and total timeouts
        (:class:`~heron.ConnectionTimeoutError` when the first runs out)."""
        connector = self._connector
        if connector is None:
            raise RuntimeError("Session is closed")
        loop = self._loop
        connect_deadline = earliest(
            deadline, deadline_of(loop.time(), tm.connect, tm.ceil_threshold)
        )
        if fresh and type(connector).connect is BaseConnector.connect:
            coro = connector._lend(req, traces, tm, False)
        else:
            # (a connector with a connect() of its own may not open sockets the usual
            # way: it decides; the caller still resends only once)
            coro = connector.connect(req, traces, tm)
        if connect_deadline is None:
            return await coro
        try:
            async with asyncio.timeout_at(connect_deadline) as cm:
                return await coro
        except TimeoutError as exc:
            if cm.expired():
                raise ConnectionTimeoutError(f"Connection timeout to host {req.url}") from exc
            raise

    def _store_cookies(self, resp: ClientResponse) -> None:
        """Put the ``Set-Cookie`` headers of ``resp`` into the jar."""
        set_cookies = resp.headers.getall(hdrs.SET_COOKIE, ())
        if set_cookies:
            self._cookie_jar.update_cookies_from_headers(set_cookies, resp.url)

    async def _check_status(
        self, resp: ClientResponse, raise_for_status: RaiseForStatus | None
    ) -> None:
        """Apply the request's ``raise_for_status`` (else the session's) to ``resp``."""
        check = self._raise_for_status if raise_for_status is None else raise_for_status
        if check is True:
            resp.raise_for_status()
        elif check is not False and callable(check):
            await check(resp)
