"""DNS resolvers: :class:`ThreadedResolver` (the default) and :class:`AsyncResolver` (aiodns)."""

from __future__ import annotations

import asyncio
import importlib
import socket
from types import ModuleType
from typing import Any

from .abc import AbstractResolver, ResolveResult

__all__ = ("AsyncResolver", "DefaultResolver", "ThreadedResolver")

# The results are numeric addresses: connecting to them must not trigger another lookup.
_NUMERIC_FLAGS = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
_NAMEINFO_FLAGS = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV


def _import_aiodns() -> ModuleType:
    """aiodns, imported on first use: it pulls in c-ares bindings (~10 ms at import),
    which a program that never builds an :class:`AsyncResolver` should not pay for."""
    try:
        return importlib.import_module("aiodns")
    except ImportError:
        raise RuntimeError("Resolver requires aiodns library") from None


async def _ipv6_host_port(
    loop: asyncio.AbstractEventLoop, address: tuple[Any, ...]
) -> tuple[str, int]:
    """Host and port of an IPv6 sockaddr, keeping a link-local scope (``fe80::1%eth0``)."""
    if len(address) > 3 and address[3]:
        host, port = await loop.getnameinfo(address, _NAMEINFO_FLAGS)
        return host, int(port)
    return str(address[0]), int(address[1])


class ThreadedResolver(AbstractResolver):
    """Resolves with the system's ``getaddrinfo`` in the loop's thread pool."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the addresses of ``host``; raises :class:`OSError` when there are none."""
        loop = self._loop or asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
        )
        results: list[ResolveResult] = []
        for fam, _type, proto, _canon, address in infos:
            if fam == socket.AF_INET6:
                if len(address) < 3:
                    continue  # Python built without IPv6 support
                addr_host, addr_port = await _ipv6_host_port(loop, address)
            else:
                addr_host, addr_port = str(address[0]), int(address[1])
            results.append(
                ResolveResult(
                    hostname=host,
                    host=addr_host,
                    port=addr_port,
                    family=fam,
                    proto=proto,
                    flags=_NUMERIC_FLAGS,
                )
            )
        if not results:
            raise OSError(socket.EAI_NONAME, f"DNS lookup failed for {host}")
        return results

    async def close(self) -> None:
        """Nothing to release."""


class AsyncResolver(AbstractResolver):
    """Resolves with c-ares through :mod:`aiodns` (install the ``speedups`` extra)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        aiodns = _import_aiodns()
        kwargs.pop("loop", None)
        self._dns_error: type[Exception] = aiodns.error.DNSError
        self._resolver = aiodns.DNSResolver(*args, **kwargs)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the addresses of ``host``; raises :class:`OSError` when there are none."""
        try:
            resp = await self._resolver.getaddrinfo(
                host, port=port, type=socket.SOCK_STREAM, family=family, flags=socket.AI_ADDRCONFIG
            )
        except self._dns_error as exc:
            msg = exc.args[1] if len(exc.args) >= 2 else "DNS lookup failed"
            raise OSError(None, msg) from exc
        results: list[ResolveResult] = []
        for node in resp.nodes:
            address: tuple[Any, ...] = node.addr
            if node.family == socket.AF_INET6:
                if len(address) > 3 and address[3]:
                    resolved = await self._resolver.getnameinfo(
                        (address[0].decode("ascii"), *address[1:]), _NAMEINFO_FLAGS
                    )
                    addr_host = resolved.node
                else:
                    addr_host = address[0].decode("ascii")
            else:
                addr_host = address[0].decode("ascii")
            results.append(
                ResolveResult(
                    hostname=host,
                    host=addr_host,
                    port=int(address[1]),
                    family=node.family,
                    proto=0,
                    flags=_NUMERIC_FLAGS,
                )
            )
        if not results:
            raise OSError(socket.EAI_NONAME, f"DNS lookup failed for {host}")
        return results

    async def close(self) -> None:
        """Stop the c-ares channel."""
        self._resolver.cancel()


DefaultResolver = ThreadedResolver
"""The resolver a :class:`~heron.TCPConnector` uses when given none."""
