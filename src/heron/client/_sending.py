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

from .. import hdrs
from ._building import RequestBuildingMixin
from ._options import Arm, RaiseForStatus, RequestOptions
from .connector import Connection
from .exceptions import ConnectionTimeoutError
from .proto import BadResponseHead
from .redirects import REDIRECT_STATUSES, Hop, follow_redirect
from .reqrep import ClientRequest
from .response import ClientResponse
from .timeouts import ClientTimeout, deadline_of, earliest
from .tracing import Trace

__all__ = ("RequestSendingMixin",)


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
        self, hop: Hop, opts: RequestOptions, arm: Arm, traces: list[Trace]
    ) -> ClientResponse:
        """One request and its response head: build, connect, send, read the head."""
        req = self._make_request(hop, opts, traces)
        connector = self._connector
        # A kept-alive connection from the pool needs no waiting (traces want the
        # connection signals, so they take the long way).
        conn = None if traces or connector is None else connector._connect_from_pool(req)
        if conn is None:
            conn = await self._connect(req, traces, opts.timeout, arm[1])
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
        except BaseException:
            conn.close()
            if resp is not None:
                resp.close()
            req.terminate()
            raise
        return resp

    async def _connect(
        self, req: ClientRequest, traces: list[Trace], tm: ClientTimeout, deadline: float | None
    ) -> Connection:
        """A connection for ``req`` from the connector, within the connect and total
        timeouts (:class:`~heron.ConnectionTimeoutError` when the first runs out)."""
        connector = self._connector
        if connector is None:
            raise RuntimeError("Session is closed")
        loop = self._loop
        connect_deadline = earliest(
            deadline, deadline_of(loop.time(), tm.connect, tm.ceil_threshold)
        )
        if connect_deadline is None:
            return await connector.connect(req, traces, tm)
        try:
            async with asyncio.timeout_at(connect_deadline) as cm:
                return await connector.connect(req, traces, tm)
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
