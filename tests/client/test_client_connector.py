"""Connectors and the pool: limits, fairness, keep-alive, Connection, DNS (B-052..B-067)."""

from __future__ import annotations

import asyncio
import socket
import sys
import types
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from client_helpers import Handler, keep_answering, read_request, response
from yarl import URL

import heron as aiohttp
from heron.abc import AbstractResolver, ResolveResult
from heron.client.reqrep import ClientRequest

RawServer = Callable[[Handler], Awaitable[URL]]


class Gate:
    """A server whose answers wait until the test opens the gate; counts connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.active = 0
        self.max_active = 0
        self.order: list[str] = []
        self.opened = asyncio.Event()

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while (req := await read_request(reader)) is not None:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.order.append(req.target)
            await self.opened.wait()
            self.active -= 1
            writer.write(response(200, req.target.encode()))
            await writer.drain()


async def fetch(session: aiohttp.ClientSession, url: URL) -> str:
    async with session.get(url) as resp:
        return await resp.text()


async def test_defaults() -> None:
    """B-055/B-062 (3.x values)."""
    conn = aiohttp.TCPConnector()
    try:
        assert conn.limit == 100
        assert conn.limit_per_host == 0
        assert conn.force_close is False
        assert conn.keepalive_timeout == 15
        assert conn.family == 0
        assert conn.use_dns_cache is True
        assert conn.ssl is True
        assert not conn.closed
    finally:
        await conn.close()
    assert conn.closed  # B-058


async def test_limit_one_serialises(raw_server: RawServer) -> None:
    """B-054: with limit=1 the second request waits for the first."""
    gate = Gate()
    url = await raw_server(gate.handler)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
        tasks = [asyncio.create_task(fetch(s, url / str(i))) for i in range(3)]
        await asyncio.sleep(0.05)
        assert gate.order == ["/0"]  # only one request reached the server
        gate.opened.set()
        assert await asyncio.gather(*tasks) == ["/0", "/1", "/2"]
    assert gate.max_active == 1
    assert gate.connections == 1


async def test_limit_per_host(raw_server: RawServer) -> None:
    gate_a, gate_b = Gate(), Gate()
    url_a = await raw_server(gate_a.handler)
    url_b = await raw_server(gate_b.handler)
    connector = aiohttp.TCPConnector(limit=10, limit_per_host=2)
    async with aiohttp.ClientSession(connector=connector) as s:
        tasks = [asyncio.create_task(fetch(s, url_a / str(i))) for i in range(4)]
        tasks += [asyncio.create_task(fetch(s, url_b / str(i))) for i in range(2)]
        await asyncio.sleep(0.05)
        assert gate_a.active == 2  # two wait for host a...
        assert gate_b.active == 2  # ...while host b is not held up by them
        gate_a.opened.set()
        gate_b.opened.set()
        await asyncio.gather(*tasks)
    assert gate_a.max_active == 2
    assert gate_a.connections == 2


async def test_waiters_served_in_order(raw_server: RawServer) -> None:
    gate = Gate()
    url = await raw_server(gate.handler)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2)) as s:
        tasks = []
        for i in range(8):
            tasks.append(asyncio.create_task(fetch(s, url / str(i))))
            await asyncio.sleep(0.005)
        gate.opened.set()
        await asyncio.gather(*tasks)
    assert gate.order == [f"/{i}" for i in range(8)]


async def test_cancelled_waiter_leaves_queue(raw_server: RawServer) -> None:
    gate = Gate()
    url = await raw_server(gate.handler)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
        first = asyncio.create_task(fetch(s, url / "first"))
        await asyncio.sleep(0.02)
        waiting = asyncio.create_task(fetch(s, url / "cancelled"))
        await asyncio.sleep(0.02)
        waiting.cancel()
        third = asyncio.create_task(fetch(s, url / "third"))
        await asyncio.sleep(0.02)
        gate.opened.set()
        assert await first == "/first"
        assert await third == "/third"
    assert "/cancelled" not in gate.order


async def test_connect_timeout_while_queued(raw_server: RawServer) -> None:
    gate = Gate()
    url = await raw_server(gate.handler)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
        first = asyncio.create_task(fetch(s, url))
        # Wait until the first request holds the only slot (however slow the machine).
        async with asyncio.timeout(5):
            while not gate.order:
                await asyncio.sleep(0.005)
        with pytest.raises(aiohttp.ConnectionTimeoutError) as info:
            await s.get(url, timeout=aiohttp.ClientTimeout(connect=0.05))
        assert isinstance(info.value.__cause__, TimeoutError)
        gate.opened.set()
        assert await first == "/"
        # The timed-out waiter left the queue: the pool serves the next request.
        async with asyncio.timeout(5):
            assert await fetch(s, url) == "/"


async def test_force_close(raw_server: RawServer) -> None:
    """B-056."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        req = await read_request(reader)
        assert req is not None
        writer.write(response(200, req.headers.get("connection", "").encode()))

    url = await raw_server(handler)
    connector = aiohttp.TCPConnector(force_close=True)
    assert connector.force_close
    async with aiohttp.ClientSession(connector=connector) as s:
        assert await fetch(s, url) == "close"
        assert await fetch(s, url) == "close"
    assert connections == 2
    with pytest.raises(ValueError):
        aiohttp.TCPConnector(force_close=True, keepalive_timeout=10)


async def test_keepalive_timeout_expires(raw_server: RawServer) -> None:
    """B-052: an idle connection older than keepalive_timeout is not reused."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await keep_answering(reader, writer, lambda r: response(200, b"ok"))

    url = await raw_server(handler)
    connector = aiohttp.TCPConnector(keepalive_timeout=0.05)
    async with aiohttp.ClientSession(connector=connector) as s:
        await fetch(s, url)
        await fetch(s, url)
        assert connections == 1
        await asyncio.sleep(0.15)
        await fetch(s, url)
    assert connections == 2


async def test_server_closed_idle_connection_not_reused(raw_server: RawServer) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        writer.write(response(200, b"ok"))
        await writer.drain()
        # and close: the pooled socket dies while idle

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        await fetch(s, url)
        await asyncio.sleep(0.05)
        assert await fetch(s, url) == "ok"
    assert connections == 2


async def test_connection_api(raw_server: RawServer) -> None:
    """B-059/B-060 and the Connection attributes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    url = await raw_server(handler)
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector()
    timeout = aiohttp.ClientTimeout()

    async def connect() -> aiohttp.Connection:
        return await connector.connect(ClientRequest("GET", url, loop=loop), [], timeout)

    conn = await connect()
    assert conn.transport is not None and conn.protocol is not None
    assert not conn.closed
    conn.release()
    assert conn.closed
    again = await connect()
    assert again.protocol is not None  # the released socket is reused
    again.close()
    assert again.closed
    detached = await connect()
    transport = detached.transport
    detached.detach()
    assert detached.closed
    detached.release()
    assert transport is not None and not transport.is_closing()  # detached: left open
    transport.close()
    await connector.close()
    with pytest.raises(aiohttp.ClientConnectionError):
        await connect()


async def test_connector_close_closes_connections(raw_server: RawServer) -> None:
    """B-058."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, lambda r: response(200, b"ok"))

    url = await raw_server(handler)
    connector = aiohttp.TCPConnector()
    session = aiohttp.ClientSession(connector=connector)
    resp = await session.get(url)
    await resp.read()
    await session.close()
    assert connector.closed
    assert session.closed


async def test_connector_owner_false(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, lambda r: response(200, b"ok"))

    url = await raw_server(handler)
    connector = aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector, connector_owner=False) as s:
        await fetch(s, url)
    assert not connector.closed
    async with aiohttp.ClientSession(connector=connector, connector_owner=False) as s:
        assert await fetch(s, url) == "ok"
    await connector.close()


class CountingResolver(AbstractResolver):
    def __init__(self, address: str = "127.0.0.1") -> None:
        self.calls: list[str] = []
        self.address = address

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        await asyncio.sleep(0.01)
        return [
            ResolveResult(
                hostname=host, host=self.address, port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        pass


async def test_dns_cache_and_ttl(raw_server: RawServer) -> None:
    """B-065/B-066 and the TTL."""
    url = await raw_server(
        lambda r, w: keep_answering(r, w, lambda req: response(200, req.headers["host"].encode()))
    )
    resolver = CountingResolver()
    connector = aiohttp.TCPConnector(resolver=resolver, ttl_dns_cache=0.1, force_close=True)
    named = url.with_host("example.test")
    async with aiohttp.ClientSession(connector=connector) as s:
        results = await asyncio.gather(*(fetch(s, named) for _ in range(3)))
        assert results == [f"example.test:{url.port}"] * 3
        assert resolver.calls == ["example.test"]  # concurrent lookups shared
        assert isinstance(connector.cached_hosts, types.MappingProxyType)
        assert ("example.test", url.port) in connector.cached_hosts
        await asyncio.sleep(0.15)
        await fetch(s, named)
        assert len(resolver.calls) == 2  # the TTL expired
        connector.clear_dns_cache("example.test", url.port)
        assert not connector.cached_hosts
        await fetch(s, named)
        connector.clear_dns_cache()
        assert not connector.cached_hosts
        with pytest.raises(ValueError):
            connector.clear_dns_cache("example.test")


async def test_no_dns_cache(raw_server: RawServer) -> None:
    url = await raw_server(lambda r, w: keep_answering(r, w, lambda req: response(200, b"ok")))
    resolver = CountingResolver()
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
    async with aiohttp.ClientSession(connector=connector) as s:
        await fetch(s, url.with_host("example.test"))
        await fetch(s, url.with_host("example.test"))
    assert resolver.calls == ["example.test", "example.test"]


async def test_dns_failure_is_connector_error() -> None:
    class Failing(CountingResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            raise OSError(socket.EAI_NONAME, "no such host")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=Failing())) as s:
        with pytest.raises(aiohttp.ClientConnectorDNSError) as info:
            await s.get("http://nowhere.test/")
    assert isinstance(info.value, aiohttp.ClientConnectorError)
    assert info.value.host == "nowhere.test"


async def test_threaded_resolver() -> None:
    resolver = aiohttp.ThreadedResolver()
    hosts = await resolver.resolve("localhost", 80, family=socket.AF_INET)
    assert hosts[0]["host"] == "127.0.0.1"
    assert hosts[0]["port"] == 80
    assert hosts[0]["hostname"] == "localhost"
    await resolver.close()


async def test_async_resolver() -> None:
    resolver = aiohttp.AsyncResolver()
    try:
        hosts = await resolver.resolve("127.0.0.1", 443, family=socket.AF_INET)
        assert hosts[0]["host"] == "127.0.0.1"
        assert hosts[0]["port"] == 443
    finally:
        await resolver.close()


async def test_refused_connection() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectorError) as info:
            await s.get(f"http://127.0.0.1:{port}/")
    err = info.value
    assert isinstance(err, aiohttp.ClientOSError) and isinstance(err, OSError)
    assert err.port == port
    assert "Cannot connect to host 127.0.0.1" in str(err)


async def test_happy_eyeballs_falls_back(raw_server: RawServer) -> None:
    """A dead first address does not stop the next one from being tried."""
    url = await raw_server(lambda r, w: keep_answering(r, w, lambda req: response(200, b"ok")))

    class TwoAddresses(CountingResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            dead = ResolveResult(
                hostname=host, host="127.0.0.1", port=1, family=socket.AF_INET, proto=0, flags=0
            )
            alive = ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
            return [dead, alive]

    for delay in (None, 0.01):
        connector = aiohttp.TCPConnector(resolver=TwoAddresses(), happy_eyeballs_delay=delay)
        async with aiohttp.ClientSession(connector=connector) as s:
            assert await fetch(s, url.with_host("two.test")) == "ok"


async def test_local_addr(raw_server: RawServer) -> None:
    seen: list[str] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(writer.get_extra_info("peername")[0])
        await keep_answering(reader, writer, lambda r: response(200, b"ok"))

    url = await raw_server(handler)
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.1", 0))
    async with aiohttp.ClientSession(connector=connector) as s:
        await fetch(s, url)
    assert seen == ["127.0.0.1"]


@pytest.mark.skipif(sys.platform == "win32", reason="UNIX sockets")
async def test_unix_connector(tmp_path: Path) -> None:
    """B-067."""
    path = str(tmp_path / "sock")

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, lambda r: response(200, r.target.encode()))
        writer.close()

    server = await asyncio.start_unix_server(handler, path)
    try:
        connector = aiohttp.UnixConnector(path=path)
        assert connector.path == path
        async with aiohttp.ClientSession(connector=connector) as s:
            assert await fetch(s, URL("http://unix.example/x")) == "/x"
        missing = aiohttp.UnixConnector(path=str(tmp_path / "missing"))
        async with aiohttp.ClientSession(connector=missing) as s:
            with pytest.raises(aiohttp.UnixClientConnectorError):
                await s.get("http://unix.example/")
    finally:
        server.close()
        await server.wait_closed()
