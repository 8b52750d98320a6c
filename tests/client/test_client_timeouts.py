"""Each timeout kind raises what aiohttp 3.x raises."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from client_helpers import Handler, read_request, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


async def silent(raw_server: RawServer, *, head: bool = False, delay_body: float = 0) -> URL:
    """A server that reads the request and then says nothing (or only the head)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        if head:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
            await writer.drain()
        if delay_body:
            for _ in range(7):
                await asyncio.sleep(delay_body)
                writer.write(b"x")
                await writer.drain()
        await reader.read()

    return await raw_server(handler)


def test_client_timeout_fields() -> None:
    tm = aiohttp.ClientTimeout(total=1, sock_read=2)
    assert (tm.total, tm.connect, tm.sock_read, tm.sock_connect) == (1, None, 2, None)
    assert tm.ceil_threshold == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        tm.total = 3  # type: ignore[misc]
    assert dataclasses.replace(tm, total=5).total == 5


async def test_default_timeout() -> None:
    async with aiohttp.ClientSession() as s:
        assert s.timeout.total == 300
        assert s.timeout.sock_connect == 30


async def test_total_timeout_waiting_for_head(raw_server: RawServer) -> None:
    url = await silent(raw_server)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.1)) as s:
        with pytest.raises(asyncio.TimeoutError):
            await s.get(url)


async def test_total_timeout_covers_body(raw_server: RawServer) -> None:
    url = await silent(raw_server, head=True)
    async with aiohttp.ClientSession() as s:
        resp = await s.get(url, timeout=aiohttp.ClientTimeout(total=0.1))
        with pytest.raises(asyncio.TimeoutError):
            await resp.read()
        resp.close()


async def test_sock_read_timeout(raw_server: RawServer) -> None:
    url = await silent(raw_server)
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.SocketTimeoutError) as info:
            await s.get(url, timeout=aiohttp.ClientTimeout(sock_read=0.05))
    assert isinstance(info.value, aiohttp.ServerTimeoutError)
    assert isinstance(info.value, asyncio.TimeoutError)


async def test_sock_read_timeout_in_body(raw_server: RawServer) -> None:
    url = await silent(raw_server, head=True)
    async with (
        aiohttp.ClientSession() as s,
        s.get(url, timeout=aiohttp.ClientTimeout(sock_read=0.05)) as resp,
    ):
        with pytest.raises(aiohttp.SocketTimeoutError):
            await resp.read()


async def test_sock_read_is_per_read_not_total(raw_server: RawServer) -> None:
    """A slow but steady body is fine: sock_read measures silence (CL-33)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
        for _ in range(6):
            await asyncio.sleep(0.03)
            writer.write(b"x")
            await writer.drain()
        await reader.read()

    url = await raw_server(handler)
    async with (
        aiohttp.ClientSession() as s,
        s.get(url, timeout=aiohttp.ClientTimeout(sock_read=0.1)) as resp,
    ):
        assert await resp.read() == b"xxxxxx"


async def test_connect_timeout_covers_slow_tls_handshake(raw_server: RawServer) -> None:
    """A peer that accepts TCP but never answers the TLS hello times out as a connect."""
    url = await silent(raw_server)
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ConnectionTimeoutError):
            await s.get(url.with_scheme("https"), timeout=aiohttp.ClientTimeout(connect=0.1))
        with pytest.raises(aiohttp.ConnectionTimeoutError):
            await s.get(url.with_scheme("https"), timeout=aiohttp.ClientTimeout(sock_connect=0.1))


async def test_request_timeout_overrides_session(raw_server: RawServer) -> None:
    url = await silent(raw_server, head=False)

    async def quick(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(0.15)
        writer.write(response(200, b"late"))
        await writer.drain()
        await reader.read()

    slow_ok = await raw_server(quick)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.05)) as s:
        with pytest.raises(asyncio.TimeoutError):
            await s.get(url)
        async with s.get(slow_ok, timeout=aiohttp.ClientTimeout(total=2)) as resp:
            assert await resp.read() == b"late"
