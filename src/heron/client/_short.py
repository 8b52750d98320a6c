"""The short path of :class:`~heron.ClientSession`: a plain GET over a pooled connection.

``session.get(url)`` without options, on a session without default headers, cookies,
credentials, proxy or tracing, sends the same bytes every time for the same URL. What
the general pipeline works out per request (URL, request object, head, pool key,
request info) is worked out once per URL here (:class:`_Target`), and one coroutine
does the rest: take an idle connection, arm its protocol, write the head, wait for the
head of the answer. Anything else (no idle connection, a new URL that is not plain,
cookies in the jar, default headers added later...) takes the general path, which
behaves the same, only slower.
"""

from __future__ import annotations

import math
from typing import Any

from yarl import URL

from .. import hdrs
from ..http._response_fast import LazyResponseHead
from ..typedefs import StrOrURL
from ._building import URL_CACHE_MAX
from ._options import RequestOptions
from ._sending import RequestSendingMixin, may_resend
from .abc import AbstractCookieJar
from .exceptions import ClientError
from .proto import BadResponseHead
from .redirects import REDIRECT_STATUSES, Hop
from .reqrep import ConnectionKey, RequestInfo
from .response import ClientResponse
from .tracing import Trace, TraceConfig

__all__ = ("NOTHING", "NO_TRACES", "ShortPathMixin")

# Most requests pass no options: their settings are built once per session and shared.
NO_TRACES: list[Trace] = []
NOTHING = (None, None, None, None, None)  # no data, headers, auth, cookies or params
_UNKNOWN: Any = object()  # "this URL was not looked at yet"


class _Target:
    """What a plain GET of one URL sends, worked out once."""

    __slots__ = ("head", "info", "key", "url")

    def __init__(self, url: URL, key: ConnectionKey, head: bytes, info: RequestInfo) -> None:
        self.url = url
        self.key = key
        self.head = head
        self.info = info


class ShortPathMixin(RequestSendingMixin):
    """:class:`~heron.ClientSession`'s short path for plain GETs (module docstring)."""

    _cookie_jar: AbstractCookieJar
    _trace_configs: list[TraceConfig]
    # Whether the session's fixed settings allow the short path at all.
    _short_ok: bool
    # Request URL argument -> its target, or None when it must take the general path.
    _short_targets: dict[StrOrURL, _Target | None]

    async def _run(
        self,
        method: str,
        str_or_url: StrOrURL,
        opts: RequestOptions,
        params_tuple: tuple[Any, ...],
        what: Any,
        trace_request_ctx: Any,
        raise_for_status: Any,
    ) -> ClientResponse:
        raise NotImplementedError  # pragma: no cover - ClientSession's

    def _short_target(self, str_or_url: StrOrURL) -> _Target | None:
        """The target of a plain GET of ``str_or_url`` (remembered), or None."""
        target = None
        try:
            url = self._urls.get(str_or_url)
            if url is None:
                url = self._build_url(str_or_url)
        except (ClientError, TypeError):
            return None  # not remembered: the general path raises the error
        if url.raw_user is None and url.raw_password is None and not url.raw_fragment:
            req = self._plain_request(hdrs.METH_GET, url)
            base = req._base
            if base is not None and req.proxy is None:
                head = base.head(hdrs.METH_GET, req._request_target())
                target = _Target(url, req.connection_key, head, req.request_info)
        if len(self._short_targets) >= URL_CACHE_MAX:
            self._short_targets.clear()
        self._short_targets[str_or_url] = target
        return target

    async def _run_short(
        self,
        method: str,
        str_or_url: StrOrURL,
        opts: RequestOptions,
        params_tuple: tuple[Any, ...],
    ) -> ClientResponse:
        """A plain GET: the short path when possible, else the general one."""
        connector = self._connector
        try:
            target = self._short_targets.get(str_or_url, _UNKNOWN)
        except TypeError:  # unhashable: no URL at all, the general path says so
            target = None
        if target is _UNKNOWN:
            target = self._short_target(str_or_url)
        conn = (
            None
            if target is None
            or connector is None
            or self._trace_configs
            or self._default_headers
            or len(self._cookie_jar)
            else connector._pooled(target.key)
        )
        if conn is None:
            return await self._run(method, str_or_url, opts, params_tuple, NOTHING, None, None)
        assert target is not None
        protocol = conn._protocol
        assert protocol is not None
        transport = protocol.transport
        assert transport is not None  # (_pooled() lends open connections only)
        # Written first, the rest prepared while the server works on it: nothing can
        # be read before this coroutine waits, so arming the protocol after the
        # write is as safe as before it, and a lone request's latency is shorter.
        transport.write(target.head)
        loop = self._loop
        tm = opts.timeout
        total = tm.total
        deadline: float | None = None
        if total:
            # deadline_of() without its call: rounded up to a whole second when long
            when = loop.time() + total
            deadline = float(math.ceil(when)) if total >= tm.ceil_threshold else when
        resp = ClientResponse._plain(method, target.url, target.info, loop, self)
        link = resp._link
        link.connection = conn
        resend = False
        try:
            waiter = protocol._start_plain(params_tuple, deadline, link)
            try:
                message, payload = await waiter
            except BadResponseHead as exc:
                raise resp._bad_head(exc) from exc.error
            if type(message) is LazyResponseHead:
                # The usual answer (whole, from the parser's short path): what
                # _head_received() and _sets_cookie() do with it, without their calls.
                resp.version = message.version
                resp.status = message.code
                resp.reason = message.reason
                resp._lazy = message
                resp._whole = payload  # type: ignore[assignment]  # (always bytes then)
                cookies = message.sets_cookie
                if conn._protocol is None and conn._source_traceback is None:
                    # Released before anyone could see it (the response is not
                    # returned yet): the connector may lend this object again.
                    protocol._spare_conn = conn
            else:
                resp._head_received(message, payload)
                cookies = resp._sets_cookie()
        except BaseException as exc:
            conn.close()
            resp.close()
            # (conn is pooled: see _send_hop; a GET has no body)
            if not may_resend(exc, protocol, method, b""):
                raise
            resend = True  # sent below, so that its own error is not chained to this one
        if resend:
            # The plain GET once more, on a new connection: its pooled one had died.
            hop = self._plain_hop(method, target)
            resp = await self._send_hop(hop, opts, (params_tuple, deadline), NO_TRACES, True)
            cookies = resp._sets_cookie()
        if cookies or (opts.allow_redirects and resp.status in REDIRECT_STATUSES):
            hop = self._plain_hop(method, target)
            resp = await self._follow_redirects(
                hop, resp, opts, (params_tuple, deadline), NO_TRACES
            )
        if self._raise_for_status is not False:
            await self._check_status(resp, None)
        return resp

    def _plain_hop(self, method: str, target: _Target) -> Hop:
        """The general path's description of a plain request (to resend or redirect it)."""
        return Hop(method, target.url, None, self._default_headers.copy(), None, None, None)
