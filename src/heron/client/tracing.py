"""Client tracing: :class:`TraceConfig`, its signals and their parameter classes.

Every signal receiver is a coroutine function called as
``await receiver(session, trace_config_ctx, params)``; ``trace_config_ctx`` is one
object per request (a :class:`types.SimpleNamespace` by default, carrying the
``trace_request_ctx`` the caller passed to the request).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from ..signals import Signal

if TYPE_CHECKING:
    from .response import ClientResponse

__all__ = (
    "TraceConfig",
    "TraceConnectionCreateEndParams",
    "TraceConnectionCreateStartParams",
    "TraceConnectionQueuedEndParams",
    "TraceConnectionQueuedStartParams",
    "TraceConnectionReuseconnParams",
    "TraceDnsCacheHitParams",
    "TraceDnsCacheMissParams",
    "TraceDnsResolveHostEndParams",
    "TraceDnsResolveHostStartParams",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
)


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    """``on_request_start``: a request is about to be sent."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    """``on_request_chunk_sent``: a piece of the request body was written."""

    method: str
    url: URL
    chunk: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    """``on_response_chunk_received``: body bytes were read by ``ClientResponse.read()``."""

    method: str
    url: URL
    chunk: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    """``on_request_end``: the response head arrived."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    """``on_request_exception``: the request failed with ``exception``."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    """``on_request_redirect``: ``response`` is a redirect that will be followed."""

    method: str
    url: URL
    headers: CIMultiDict[str]
    response: ClientResponse


@dataclasses.dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    """``on_request_headers_sent``: the request head was written."""

    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionQueuedStartParams:
    """``on_connection_queued_start``: the pool is full; the request waits."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionQueuedEndParams:
    """``on_connection_queued_end``: the request got a slot in the pool."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionCreateStartParams:
    """``on_connection_create_start``: a new connection is being opened."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionCreateEndParams:
    """``on_connection_create_end``: the new connection is open."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceConnectionReuseconnParams:
    """``on_connection_reuseconn``: a pooled keep-alive connection is reused."""


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsResolveHostStartParams:
    """``on_dns_resolvehost_start``: ``host`` is being resolved."""

    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsResolveHostEndParams:
    """``on_dns_resolvehost_end``: ``host`` was resolved."""

    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsCacheHitParams:
    """``on_dns_cache_hit``: ``host`` was found in the DNS cache."""

    host: str


@dataclasses.dataclass(frozen=True, slots=True)
class TraceDnsCacheMissParams:
    """``on_dns_cache_miss``: ``host`` was not in the DNS cache."""

    host: str


class TraceConfig:
    """A set of tracing signals given to ``ClientSession(trace_configs=[...])``.

    ``trace_config_ctx_factory`` builds the per-request context object; it is called
    with the keyword ``trace_request_ctx``.
    """

    def __init__(self, trace_config_ctx_factory: Callable[..., Any] = SimpleNamespace) -> None:
        self._trace_config_ctx_factory = trace_config_ctx_factory
        self.on_request_start: Signal = Signal(self)
        self.on_request_chunk_sent: Signal = Signal(self)
        self.on_response_chunk_received: Signal = Signal(self)
        self.on_request_end: Signal = Signal(self)
        self.on_request_exception: Signal = Signal(self)
        self.on_request_redirect: Signal = Signal(self)
        self.on_request_headers_sent: Signal = Signal(self)
        self.on_connection_queued_start: Signal = Signal(self)
        self.on_connection_queued_end: Signal = Signal(self)
        self.on_connection_create_start: Signal = Signal(self)
        self.on_connection_create_end: Signal = Signal(self)
        self.on_connection_reuseconn: Signal = Signal(self)
        self.on_dns_resolvehost_start: Signal = Signal(self)
        self.on_dns_resolvehost_end: Signal = Signal(self)
        self.on_dns_cache_hit: Signal = Signal(self)
        self.on_dns_cache_miss: Signal = Signal(self)

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> Any:
        """Build the context object of one request."""
        return self._trace_config_ctx_factory(trace_request_ctx=trace_request_ctx)

    def _signals(self) -> list[Signal]:
        return [value for value in vars(self).values() if isinstance(value, Signal)]

    def freeze(self) -> None:
        """Forbid adding receivers (the session does this when it is created)."""
        for signal in self._signals():
            signal.freeze()

    @property
    def frozen(self) -> bool:
        """True after :meth:`freeze`."""
        return self.on_request_start.frozen


class Trace:
    """One request's view of one :class:`TraceConfig`: sends its signals (internal)."""

    __slots__ = ("_ctx", "_session", "_tc")

    def __init__(self, session: Any, trace_config: TraceConfig, ctx: Any) -> None:
        self._session = session
        self._tc = trace_config
        self._ctx = ctx

    async def _send(self, signal: Signal, params: Any) -> None:
        if signal:
            await signal.send(self._session, self._ctx, params)

    async def send_request_start(self, method: str, url: URL, headers: CIMultiDict[str]) -> None:
        await self._send(self._tc.on_request_start, TraceRequestStartParams(method, url, headers))

    async def send_request_chunk_sent(self, method: str, url: URL, chunk: bytes) -> None:
        params = TraceRequestChunkSentParams(method, url, chunk)
        await self._send(self._tc.on_request_chunk_sent, params)

    async def send_response_chunk_received(self, method: str, url: URL, chunk: bytes) -> None:
        params = TraceResponseChunkReceivedParams(method, url, chunk)
        await self._send(self._tc.on_response_chunk_received, params)

    async def send_request_end(
        self, method: str, url: URL, headers: CIMultiDict[str], response: ClientResponse
    ) -> None:
        params = TraceRequestEndParams(method, url, headers, response)
        await self._send(self._tc.on_request_end, params)

    async def send_request_exception(
        self, method: str, url: URL, headers: CIMultiDict[str], exception: BaseException
    ) -> None:
        params = TraceRequestExceptionParams(method, url, headers, exception)
        await self._send(self._tc.on_request_exception, params)

    async def send_request_redirect(
        self, method: str, url: URL, headers: CIMultiDict[str], response: ClientResponse
    ) -> None:
        params = TraceRequestRedirectParams(method, url, headers, response)
        await self._send(self._tc.on_request_redirect, params)

    async def send_request_headers(self, method: str, url: URL, headers: CIMultiDict[str]) -> None:
        params = TraceRequestHeadersSentParams(method, url, headers)
        await self._send(self._tc.on_request_headers_sent, params)

    async def send_connection_queued_start(self) -> None:
        await self._send(self._tc.on_connection_queued_start, TraceConnectionQueuedStartParams())

    async def send_connection_queued_end(self) -> None:
        await self._send(self._tc.on_connection_queued_end, TraceConnectionQueuedEndParams())

    async def send_connection_create_start(self) -> None:
        await self._send(self._tc.on_connection_create_start, TraceConnectionCreateStartParams())

    async def send_connection_create_end(self) -> None:
        await self._send(self._tc.on_connection_create_end, TraceConnectionCreateEndParams())

    async def send_connection_reuseconn(self) -> None:
        await self._send(self._tc.on_connection_reuseconn, TraceConnectionReuseconnParams())

    async def send_dns_resolvehost_start(self, host: str) -> None:
        await self._send(self._tc.on_dns_resolvehost_start, TraceDnsResolveHostStartParams(host))

    async def send_dns_resolvehost_end(self, host: str) -> None:
        await self._send(self._tc.on_dns_resolvehost_end, TraceDnsResolveHostEndParams(host))

    async def send_dns_cache_hit(self, host: str) -> None:
        await self._send(self._tc.on_dns_cache_hit, TraceDnsCacheHitParams(host))

    async def send_dns_cache_miss(self, host: str) -> None:
        await self._send(self._tc.on_dns_cache_miss, TraceDnsCacheMissParams(host))
