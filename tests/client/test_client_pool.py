"""The pool's edges: leaks, closing with work in flight, slots handed over, keep-alive cleanup."""

from __future__ import annotations

import asyncio
import gc
import socket
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import trustme
from client_helpers import Handler, keep_answering, read_request, response
from yarl import URL

import heron as aiohttp
from heron.client.reqrep import ClientRequest
from heron.client.resolver import AsyncResolver, ThreadedResolver

RawServer = Callable[[Handler], Awaitable[URL]]
NO_TIMEOUT = aiohttp.ClientTimeout()


def ok_server(raw_server: RawServer) -> Awaitable[URL]:
    return raw_server(lambda r, w: keep_answering(r, w, lambda req: response(200, b"ok")))


async def connect(connector: aiohttp.BaseConnector, url: URL) -> aiohttp.Connection:
    loop = asyncio.get_running_loop()
    return await connector.connect(ClientRequest("GET", url, loop=loop), [], NO_TIMEOUT)


class Reports:
    """Collects what client objects report to the loop's exception handler."""

    def __init__(self) -> None:
        self.contexts: list[dict[str, Any]] = []
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_exception_handler()
        self._loop.set_exception_handler(lambda loop, ctx: self.contexts.append(ctx))

    def restore(self) -> None:
        self._loop.set_exception_handler(self._previous)


async def test_unclosed_connection_warns_and_frees_its_slot(raw_server: RawServer) -> None:
    url = await ok_server(raw_server)
    connector = aiohttp.TCPConnector(limit=1)
    conn = await connect(connector, url)
    assert repr(conn).startswith("Connection<")
    assert conn.loop is asyncio.get_running_loop()
    reports = Reports()
    try:
        with pytest.warns(ResourceWarning, match="Unclosed connection"):
            del conn
            gc.collect()
    finally:
        reports.restore()
    assert [ctx["message"] for ctx in reports.contexts] == ["Unclosed connection"]
    assert "client_connection" in reports.contexts[0]
    # The forgotten connection gave its slot back: the next one does not wait.
    again = await asyncio.wait_for(connect(connector, url), 1)
    again.close()
    await connector.close()


async def test_unclosed_connector_with_idle_connections_warns(raw_server: RawServer) -> None:
    url = await ok_server(raw_server)
    # (no keep-alive timer: a pending timer would keep the connector alive)
    connector = aiohttp.TCPConnector(keepalive_timeout=None)
    conn = await connect(connector, url)
    transport = conn.transport
    conn.release()  # idle in the pool now
    reports = Reports()
    try:
        with pytest.warns(ResourceWarning, match="Unclosed connector"):
            del connector, conn
            gc.collect()
    finally:
        reports.restore()
    assert [ctx["message"] for ctx in reports.contexts] == ["Unclosed connector"]
    assert len(reports.contexts[0]["connections"]) == 1
    assert transport is not None and transport.is_closing()  # closed on the way out


async def test_connector_as_context_manager_closes_connections_in_use(
    raw_server: RawServer,
) -> None:
    url = await ok_server(raw_server)
    async with aiohttp.TCPConnector() as connector:
        conn = await connect(connector, url)
        transport = conn.transport
    assert connector.closed
    assert transport is not None and transport.is_closing()
    conn.release()  # after close: a no-op that still frees nothing twice
    assert conn.closed


async def test_closing_connector_fails_queued_requests(raw_server: RawServer) -> None:
    url = await ok_server(raw_server)
    connector = aiohttp.TCPConnector(limit=1)
    held = await connect(connector, url)
    queued = asyncio.create_task(connect(connector, url))
    await asyncio.sleep(0.01)
    assert not queued.done()
    await connector.close()
    with pytest.raises(aiohttp.ClientConnectionError, match="Connector is closed"):
        await queued
    held.release()


async def test_connector_closed_while_connecting(raw_server: RawServer) -> None:
    url = await ok_server(raw_server)

    class Slow(aiohttp.TCPConnector):
        async def _create_connection(self, *args: Any) -> Any:
            protocol = await super()._create_connection(*args)
            await asyncio.sleep(0.02)
            return protocol

    connector = Slow()
    task = asyncio.create_task(connect(connector, url))
    await asyncio.sleep(0.005)
    await connector.close()
    with pytest.raises(aiohttp.ClientConnectionError, match="Connector is closed"):
        await task


async def test_slot_handed_to_a_cancelled_waiter_goes_to_the_next(raw_server: RawServer) -> None:
    """A waiter cancelled just after it was handed a slot (before it could run) — the
    race of a timeout with a freed slot — passes the slot on instead of losing it."""
    url = await ok_server(raw_server)
    connector = aiohttp.TCPConnector(limit=1)
    held = await connect(connector, url)
    second = asyncio.create_task(connect(connector, url))
    await asyncio.sleep(0.01)
    third = asyncio.create_task(connect(connector, url))
    await asyncio.sleep(0.01)
    held.release()  # hands the slot to `second`...
    second.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await second
    conn = await asyncio.wait_for(third, 1)
    conn.close()
    await connector.close()


async def test_connect_timeout_racing_a_freed_slot(raw_server: RawServer) -> None:
    """The connect timeout fires around the moment a slot is freed: the request either
    gets the connection or ConnectionTimeoutError (never a bare CancelledError), and
    the slot is never lost."""
    url = await ok_server(raw_server)
    loop = asyncio.get_running_loop()
    outcomes = set()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
        for offset in (-0.002, -0.001, 0, 0.001, 0.002):
            held = await s.get(url)  # holds the only slot
            await held.read()
            timeout = aiohttp.ClientTimeout(connect=0.02)
            loop.call_at(loop.time() + 0.02 + offset, held.close)
            try:
                async with s.get(url, timeout=timeout) as resp:
                    assert await resp.read() == b"ok"
                outcomes.add("ok")
            except aiohttp.ConnectionTimeoutError:
                outcomes.add("timeout")
            await asyncio.sleep(0.003)
        async with s.get(url, timeout=aiohttp.ClientTimeout(total=1)) as resp:
            assert await resp.read() == b"ok"  # the slot came back every time
    assert outcomes <= {"ok", "timeout"}


async def test_waiters_of_other_hosts_are_not_blocked_by_limit_per_host(
    raw_server: RawServer,
) -> None:
    url_a = await ok_server(raw_server)
    url_b = await ok_server(raw_server)
    connector = aiohttp.TCPConnector(limit=2, limit_per_host=1)
    a1 = await connect(connector, url_a)
    a2 = asyncio.create_task(connect(connector, url_a))  # waits: a's host limit
    await asyncio.sleep(0.01)
    b1 = await asyncio.wait_for(connect(connector, url_b), 1)  # b's host is free
    b2 = asyncio.create_task(connect(connector, url_b))  # waits: total and b's limit
    await asyncio.sleep(0.01)
    assert not a2.done() and not b2.done()
    a1.release()
    conn = await asyncio.wait_for(a2, 1)
    assert not b2.done()
    b1.release()
    for c in (conn, await asyncio.wait_for(b2, 1)):
        c.close()
    await connector.close()


async def test_keepalive_cleanup_closes_each_connection_after_its_own_idle_time(
    raw_server: RawServer,
) -> None:
    """Idle connections are closed once idle for ``keepalive_timeout``, never before
    (one cleanup timer re-arms itself for the younger connection)."""
    url = await ok_server(raw_server)
    keepalive = 0.1
    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(keepalive_timeout=keepalive)
    old = await connect(connector, url)
    young = await connect(connector, url)
    old_transport, young_transport = old.transport, young.transport
    assert old_transport is not None and young_transport is not None
    old.release()
    old_idle = loop.time()
    await asyncio.sleep(keepalive / 2)
    young.release()
    young_idle = loop.time()
    closed_at: dict[str, float] = {}
    async with asyncio.timeout(5):
        while len(closed_at) < 2:
            for name, transport in (("old", old_transport), ("young", young_transport)):
                if name not in closed_at and transport.is_closing():
                    closed_at[name] = loop.time()
            await asyncio.sleep(0.005)
    assert closed_at["old"] - old_idle >= keepalive
    assert closed_at["young"] - young_idle >= keepalive
    assert closed_at["old"] <= closed_at["young"]
    await connector.close()


async def test_idle_connection_closed_by_peer_is_not_reused(raw_server: RawServer) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        writer.write(response(200, b"ok"))
        await writer.drain()
        # and close: the client's pooled connection is dead

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        for _ in range(2):
            async with s.get(url) as resp:
                assert await resp.read() == b"ok"
            await asyncio.sleep(0.02)
    assert connections == 2


async def test_unsolicited_bytes_on_idle_connection_prevent_reuse(raw_server: RawServer) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        writer.write(response(200, b"ok"))
        await writer.drain()
        await asyncio.sleep(0.01)
        writer.write(b"HTTP/1.1 200 OK\r\n")  # a confused peer answers nothing
        await writer.drain()
        await keep_answering(reader, writer, lambda r: response(200, b"ok"))

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as resp:
            assert await resp.read() == b"ok"
        await asyncio.sleep(0.05)
        async with s.get(url) as resp:
            assert await resp.read() == b"ok"
    assert connections == 2


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


async def test_enable_cleanup_closed_aborts_tls_transports(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_ctx, client_ctx = tls

    gone = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(200, b"ok", [("Connection", "close")]))
        await writer.drain()
        try:
            await reader.read()
        except (ConnectionError, ssl.SSLError):
            pass
        gone.set()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    transports: list[asyncio.BaseTransport | None] = []

    class Recording(aiohttp.TCPConnector):
        async def _create_connection(self, *args: Any) -> Any:
            protocol = await super()._create_connection(*args)
            transports.append(protocol.transport)
            return protocol

    connector = Recording(ssl=client_ctx, enable_cleanup_closed=True)
    connector._cleanup_closed_period = 0.05  # instead of 2 s
    try:
        async with aiohttp.ClientSession(connector=connector) as s:
            async with s.get(f"https://127.0.0.1:{port}/") as resp:
                assert await resp.read() == b"ok"
            (transport,) = transports
            assert transport is not None and transport.is_closing()
            await asyncio.sleep(0.1)  # past the cleanup period: the transport is aborted
            async with asyncio.timeout(5):
                await gone.wait()  # the server saw the connection end
    finally:
        server.close()


# -- resolvers -------------------------------------------------------------------------


async def test_threaded_resolver_ipv6_and_errors() -> None:
    resolver = ThreadedResolver()
    (result,) = await resolver.resolve("::1", 8080, family=socket.AF_INET6)
    assert (result["host"], result["port"], result["family"]) == ("::1", 8080, socket.AF_INET6)
    assert result["flags"] & socket.AI_NUMERICHOST
    (scoped,) = await resolver.resolve("fe80::1%lo", 80, family=socket.AF_INET6)
    assert scoped["host"] == "fe80::1%lo"  # the scope survives
    with pytest.raises(OSError):
        await resolver.resolve("no-such-host.invalid", 80)
    await resolver.close()


async def test_async_resolver_localhost_and_ipv6() -> None:
    pytest.importorskip("aiodns")
    resolver = AsyncResolver()
    try:
        results = await resolver.resolve("localhost", 80)
        assert {(r["host"], r["port"], r["family"]) for r in results} == {
            ("127.0.0.1", 80, socket.AF_INET)
        }
        assert results[0]["hostname"] == "localhost"
        (v6,) = await resolver.resolve("::1", 443, family=socket.AF_INET6)
        assert (v6["host"], v6["port"]) == ("::1", 443)
    finally:
        await resolver.close()


async def test_async_resolver_failure_is_oserror() -> None:
    pytest.importorskip("aiodns")
    # A name server that does not exist on loopback: c-ares fails at once, offline.
    resolver = AsyncResolver(nameservers=["127.0.0.1"], timeout=0.2, tries=1)
    try:
        with pytest.raises(OSError) as info:
            await resolver.resolve("no-such-host.invalid", 80)
        assert info.value.__cause__ is not None
    finally:
        await resolver.close()


async def test_async_resolver_in_a_connector(raw_server: RawServer) -> None:
    pytest.importorskip("aiodns")
    url = await ok_server(raw_server)
    connector = aiohttp.TCPConnector(resolver=AsyncResolver())
    async with aiohttp.ClientSession(connector=connector) as s:
        async with s.get(url.with_host("localhost")) as resp:
            assert await resp.read() == b"ok"
        assert ("localhost", url.port) in connector.cached_hosts


# -- the connection protocol's edges ----------------------------------------------------


async def test_connection_reset_while_waiting_for_head(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        sock = writer.get_extra_info("socket")
        # Linger 0: close() sends a RST instead of a FIN.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectionError):
            await s.get(url)


async def test_expect100_server_closes_without_answer(raw_server: RawServer) -> None:
    received: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader, body=False)
        writer.close()
        received.append(await reader.read())

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await s.post(url, data=b"secret body", expect100=True)
    assert b"secret body" not in b"".join(received)


async def test_sock_read_does_not_count_time_the_application_paused_reading(
    raw_server: RawServer,
) -> None:
    body = b"x" * 256 * 1024

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(200, body))
        await writer.drain()
        await reader.read()

    url = await raw_server(handler)
    timeout = aiohttp.ClientTimeout(sock_read=0.05)
    async with (
        aiohttp.ClientSession(read_bufsize=1024) as s,
        s.get(url, timeout=timeout) as resp,
    ):
        await asyncio.sleep(0.2)  # slow application: the client stops reading
        assert await resp.read() == body


def test_async_resolver_without_aiodns_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # aiodns is imported when the first AsyncResolver is built, not with heron.
    monkeypatch.setitem(sys.modules, "aiodns", None)
    with pytest.raises(RuntimeError, match="requires aiodns"):
        AsyncResolver()


def test_importing_heron_leaves_aiodns_unloaded() -> None:
    code = "import sys, heron, heron.web; print('aiodns' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "False", out.stderr
