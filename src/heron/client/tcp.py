"""HTTP and HTTPS over TCP: :class:`TCPConnector` (DNS cache, TLS, proxies, happy eyeballs)."""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl as _ssl
import types
from asyncio.staggered import staggered_race
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..helpers import is_ip_address
from .abc import AbstractResolver, ResolveResult
from .connector import BaseConnector
from .exceptions import (
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientProxyConnectionError,
    ConnectionTimeoutError,
    ServerFingerprintMismatch,
)
from .proto import ResponseHandler
from .proxy import open_tunnel
from .resolver import DefaultResolver
from .tls import Fingerprint, SSLSetting, ssl_context_for, validate_ssl

if TYPE_CHECKING:
    from .reqrep import ClientRequest
    from .timeouts import ClientTimeout
    from .tracing import Trace

__all__ = ("TCPConnector",)

_ConnectResult = tuple[asyncio.Transport, ResponseHandler]


def _interleave(hosts: list[ResolveResult], first_family_count: int = 1) -> list[ResolveResult]:
    """Alternate address families (RFC 8305 §4) so a dead IPv6 path costs one delay."""
    by_family: dict[int, list[ResolveResult]] = {}
    for host in hosts:
        by_family.setdefault(host["family"], []).append(host)
    if len(by_family) < 2:
        return hosts
    groups = list(by_family.values())
    result: list[ResolveResult] = []
    first = groups[0]
    result.extend(first[:first_family_count])
    queues = [first[first_family_count:], *groups[1:]]
    while any(queues):
        for queue in queues:
            if queue:
                result.append(queue.pop(0))
    return result


class TCPConnector(BaseConnector):
    """The default connector: TCP sockets, optionally TLS, directly or via a proxy.

    * ``ssl`` — True verifies certificates (default), False does not, an
      :class:`_ssl.SSLContext` is used as given, a :class:`~heron.Fingerprint` pins;
    * ``use_dns_cache``/``ttl_dns_cache`` — cache resolutions for 10 s (None: forever);
    * ``family`` — 0 for IPv4 and IPv6, or ``socket.AF_INET``/``AF_INET6``;
    * ``local_addr`` — ``(host, port)`` to bind before connecting;
    * ``resolver`` — an :class:`~heron.abc.AbstractResolver` (default: threaded);
    * ``happy_eyeballs_delay`` — start the next address after this many seconds
      while the previous one still connects (None: one after the other);
    * and :class:`~heron.BaseConnector`'s pool arguments.
    """

    def __init__(
        self,
        *,
        ssl: SSLSetting | None = True,
        verify_ssl: bool = True,
        fingerprint: bytes | None = None,
        use_dns_cache: bool = True,
        ttl_dns_cache: float | None = 10,
        family: int = 0,
        ssl_context: _ssl.SSLContext | None = None,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        resolve: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if resolve is not None:  # 0.x name of use_dns_cache (docs/legacy.md)
            from ..legacy.client import resolve_given

            use_dns_cache = resolve_given(resolve)
        self._ssl: SSLSetting = _merge_ssl(ssl, verify_ssl, ssl_context, fingerprint)
        self._resolver_owner = resolver is None
        self._resolver: AbstractResolver = resolver or DefaultResolver(loop=self._loop)
        self._use_dns_cache = use_dns_cache
        self._ttl_dns_cache = ttl_dns_cache
        self._cached: dict[tuple[str, int], tuple[list[ResolveResult], float]] = {}
        self._resolving: dict[tuple[str, int], asyncio.Future[list[ResolveResult]]] = {}
        self._family = family
        self._local_addr = local_addr
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave

    # -- properties ------------------------------------------------------------------

    @property
    def family(self) -> int:
        """The address family to connect with (0: any)."""
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        """Whether resolutions are cached."""
        return self._use_dns_cache

    @property
    def ssl(self) -> SSLSetting:
        """The connector's default ``ssl`` setting."""
        return self._ssl

    @property
    def cached_hosts(self) -> Mapping[tuple[str, int], list[ResolveResult]]:
        """A read-only view of the DNS cache: ``(host, port) -> addresses``."""
        return types.MappingProxyType({k: v[0] for k, v in self._cached.items()})

    @property
    def resolve(self) -> bool:
        """Deprecated 0.x name of :attr:`use_dns_cache`."""
        from ..legacy.client import connector_alias

        connector_alias(self, "resolve", "use_dns_cache")
        return self._use_dns_cache

    @property
    def resolved_hosts(self) -> Mapping[tuple[str, int], list[ResolveResult]]:
        """Deprecated 0.x name of :attr:`cached_hosts`."""
        from ..legacy.client import connector_alias

        connector_alias(self, "resolved_hosts", "cached_hosts")
        return self.cached_hosts

    def clear_resolved_hosts(self, host: str | None = None, port: int | None = None) -> None:
        """Deprecated 0.x name of :meth:`clear_dns_cache`."""
        from ..legacy.client import connector_alias

        connector_alias(self, "clear_resolved_hosts()", "clear_dns_cache()")
        self.clear_dns_cache(host, port)

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget ``(host, port)``'s addresses, or every cached address."""
        if host is not None and port is not None:
            self._cached.pop((host, port), None)
        elif host is not None or port is not None:
            raise ValueError("either both host and port or none of them are allowed")
        else:
            self._cached.clear()

    def close(self) -> Awaitable[None]:
        """Close all connections and pending resolutions; await it to close the resolver."""
        for fut in self._resolving.values():
            fut.cancel()
        self._resolving.clear()
        was_closed = self._closed
        super().close()
        if self._resolver_owner and not was_closed:
            return _OnAwait(self._resolver.close)
        return _OnAwait(None)

    # -- DNS -------------------------------------------------------------------------

    async def _resolve_host(self, host: str, port: int, traces: list[Trace]) -> list[ResolveResult]:
        if is_ip_address(host):
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            return [
                ResolveResult(
                    hostname=host,
                    host=host,
                    port=port,
                    family=family,
                    proto=0,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        if not self._use_dns_cache:
            return await self._resolve_traced(host, port, traces)
        key = (host, port)
        cached = self._cached.get(key)
        if cached is not None:
            addrs, stamp = cached
            if self._ttl_dns_cache is None or self._loop.time() - stamp < self._ttl_dns_cache:
                for trace in traces:
                    await trace.send_dns_cache_hit(host)
                return addrs
            del self._cached[key]
        for trace in traces:
            await trace.send_dns_cache_miss(host)
        pending = self._resolving.get(key)
        if pending is not None:
            # Someone resolves this host already: share the answer, don't ask twice.
            return await asyncio.shield(pending)
        fut: asyncio.Future[list[ResolveResult]] = self._loop.create_future()
        self._resolving[key] = fut
        try:
            addrs = await self._resolve_traced(host, port, traces)
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: maybe nobody else waits
            raise
        else:
            self._cached[key] = (addrs, self._loop.time())
            if not fut.done():
                fut.set_result(addrs)
            return addrs
        finally:
            self._resolving.pop(key, None)

    async def _resolve_traced(
        self, host: str, port: int, traces: list[Trace]
    ) -> list[ResolveResult]:
        for trace in traces:
            await trace.send_dns_resolvehost_start(host)
        addrs = await self._resolver.resolve(host, port, family=socket.AddressFamily(self._family))
        for trace in traces:
            await trace.send_dns_resolvehost_end(host)
        return addrs

    # -- TLS -------------------------------------------------------------------------

    def _effective_ssl(self, req: ClientRequest) -> SSLSetting:
        return self._ssl if req.ssl is True else req.ssl

    def _ssl_context(self, req: ClientRequest) -> _ssl.SSLContext | None:
        if not req.is_ssl():
            return None
        return ssl_context_for(self._effective_ssl(req))

    def _fingerprint(self, req: ClientRequest) -> Fingerprint | None:
        setting = self._effective_ssl(req)
        return setting if isinstance(setting, Fingerprint) else None

    # -- connecting --------------------------------------------------------------------

    async def _create_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        if req.proxy is not None:
            return await self._create_proxy_connection(req, traces, timeout)
        _, protocol = await self._create_direct_connection(req, traces, timeout)
        return protocol

    async def _create_direct_connection(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: ClientTimeout,
        *,
        client_error: type[ClientConnectorError] = ClientConnectorError,
    ) -> _ConnectResult:
        host = req.url.raw_host or ""
        port = req.port or 0
        try:
            hosts = await self._resolve_host(host.rstrip("."), port, traces)
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise ClientConnectorDNSError(req.connection_key, exc) from exc
        sslcontext = self._ssl_context(req)
        server_hostname = (req.server_hostname or host).rstrip(".") if sslcontext else None
        if self._happy_eyeballs_delay is not None:
            hosts = _interleave(hosts, self._interleave or 1)
        attempts = [
            functools.partial(
                self._connect_one, req, h, sslcontext, server_hostname, timeout, client_error
            )
            for h in hosts
        ]
        transport, protocol = await self._race(attempts)
        fingerprint = self._fingerprint(req)
        if fingerprint is not None and sslcontext is not None:
            try:
                fingerprint.check(transport)
            except ServerFingerprintMismatch as exc:
                exc.host, exc.port = host, port
                transport.close()
                raise
        return transport, protocol

    async def _race(
        self, attempts: Sequence[Callable[[], Awaitable[_ConnectResult]]]
    ) -> _ConnectResult:
        """Try the addresses: in turn, or staggered (happy eyeballs) with a delay."""
        if len(attempts) == 1 or self._happy_eyeballs_delay is None:
            last_exc: BaseException | None = None
            for attempt in attempts:
                try:
                    return await attempt()
                except (ClientConnectorError, ConnectionTimeoutError) as exc:
                    last_exc = exc
            assert last_exc is not None
            raise last_exc
        opened: list[_ConnectResult] = []

        async def tracked(attempt: Callable[[], Awaitable[_ConnectResult]]) -> _ConnectResult:
            result = await attempt()
            opened.append(result)
            return result

        winner, _, errors = await staggered_race(
            [functools.partial(tracked, a) for a in attempts], self._happy_eyeballs_delay
        )
        for result in opened:
            if result is not winner:
                result[0].close()  # a slower attempt that also connected
        if winner is None:
            real = [e for e in errors if e is not None]
            raise real[-1] if real else OSError("no address to connect to")
        return winner  # type: ignore[no-any-return]

    async def _connect_one(
        self,
        req: ClientRequest,
        host: ResolveResult,
        sslcontext: _ssl.SSLContext | None,
        server_hostname: str | None,
        timeout: ClientTimeout,
        client_error: type[ClientConnectorError],
    ) -> _ConnectResult:
        try:
            async with asyncio.timeout(timeout.sock_connect or None):
                transport, protocol = await self._loop.create_connection(
                    self._protocol_factory,
                    host["host"],
                    host["port"],
                    ssl=sslcontext,
                    family=host["family"],
                    proto=host["proto"],
                    flags=host["flags"],
                    server_hostname=server_hostname,
                    local_addr=self._local_addr,
                )
        except TimeoutError as exc:
            raise ConnectionTimeoutError(f"Connection timeout to host {req.url}") from exc
        except _ssl.CertificateError as exc:
            raise ClientConnectorCertificateError(req.connection_key, exc) from exc
        except _ssl.SSLError as exc:
            raise ClientConnectorSSLError(req.connection_key, exc) from exc
        except OSError as exc:
            raise client_error(req.connection_key, exc) from exc
        return transport, protocol

    async def _create_proxy_connection(
        self, req: ClientRequest, traces: list[Trace], timeout: ClientTimeout
    ) -> ResponseHandler:
        from .reqrep import ClientRequest as _Request

        assert req.proxy is not None
        proxy_req = _Request(
            "GET",
            req.proxy,
            headers=req.proxy_headers,
            loop=self._loop,
            ssl=req.ssl if req.proxy.scheme == "https" else True,
        )
        transport, protocol = await self._create_direct_connection(
            proxy_req, traces, timeout, client_error=ClientProxyConnectionError
        )
        if not req.is_ssl():
            return protocol  # plain HTTP: the request goes to the proxy in absolute form
        try:
            tls_transport = await open_tunnel(
                self._loop, req, protocol, self._ssl_context(req), timeout
            )
        except BaseException:
            transport.close()
            raise
        protocol.replace_transport(tls_transport)
        fingerprint = self._fingerprint(req)
        if fingerprint is not None:
            try:
                fingerprint.check(tls_transport)
            except ServerFingerprintMismatch as exc:
                exc.host, exc.port = req.host, req.port
                tls_transport.close()
                raise
        return protocol


class _OnAwait:
    """``connector.close()``'s result: runs ``factory()`` only if awaited (no
    "never awaited" warning for callers that ignore it, as aiohttp 2.x code does)."""

    __slots__ = ("_factory",)

    def __init__(self, factory: Callable[[], Awaitable[None]] | None) -> None:
        self._factory = factory

    def __await__(self) -> Generator[Any, None, None]:
        if self._factory is not None:
            yield from self._factory().__await__()


def _merge_ssl(
    ssl_setting: SSLSetting | None,
    verify_ssl: bool,
    ssl_context: _ssl.SSLContext | None,
    fingerprint: bytes | None,
) -> SSLSetting:
    """Fold the deprecated ``verify_ssl``/``ssl_context``/``fingerprint`` into ``ssl``."""
    setting = validate_ssl(ssl_setting)
    legacy = [x for x in (not verify_ssl or None, ssl_context, fingerprint) if x is not None]
    if len(legacy) > 1 or (legacy and setting is not True):
        raise ValueError(
            "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"
        )
    if not verify_ssl:
        return False
    if ssl_context is not None:
        return ssl_context
    if fingerprint is not None:
        return Fingerprint(fingerprint)
    return setting
