"""Tracing: every signal fires, in order, with the right parameters."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from client_helpers import Handler, keep_answering, read_request, response
from yarl import URL

import heron as aiohttp
from heron.abc import AbstractResolver, ResolveResult

RawServer = Callable[[Handler], Awaitable[URL]]

SIGNALS = [
    "on_request_start",
    "on_request_chunk_sent",
    "on_response_chunk_received",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_request_headers_sent",
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
]


def recording_config() -> tuple[aiohttp.TraceConfig, list[tuple[str, Any, Any]]]:
    config = aiohttp.TraceConfig()
    events: list[tuple[str, Any, Any]] = []
    for name in SIGNALS:

        async def receiver(session: Any, ctx: Any, params: Any, _name: str = name) -> None:
            events.append((_name, ctx, params))

        getattr(config, name).append(receiver)
    return config, events


class LocalResolver(AbstractResolver):
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        pass


async def test_request_lifecycle_signals(raw_server: RawServer) -> None:
    def answer(req: Any) -> bytes:
        if req.target == "/redirect":
            return response(302, b"", [("Location", "/final")])
        return response(200, b"final body")

    url = (await raw_server(lambda r, w: keep_answering(r, w, answer))).with_host("traced.test")
    config, events = recording_config()
    connector = aiohttp.TCPConnector(resolver=LocalResolver())
    async with aiohttp.ClientSession(trace_configs=[config], connector=connector) as s:
        async with s.post(url / "redirect", data=b"up", trace_request_ctx={"id": 1}) as resp:
            assert await resp.read() == b"final body"
        await (await s.get(url / "again")).read()
    names = [name for name, _, _ in events]
    first = names[: names.index("on_request_end") + 1]
    assert first == [
        "on_request_start",
        "on_connection_create_start",
        "on_dns_cache_miss",
        "on_dns_resolvehost_start",
        "on_dns_resolvehost_end",
        "on_connection_create_end",
        "on_request_headers_sent",
        "on_request_chunk_sent",
        "on_request_redirect",
        "on_connection_reuseconn",
        "on_request_headers_sent",
        "on_request_end",
    ]
    assert "on_response_chunk_received" in names
    ctx = events[0][1]
    assert isinstance(ctx, SimpleNamespace) and ctx.trace_request_ctx == {"id": 1}
    start = events[0][2]
    assert start.method == "POST" and start.url == url / "redirect"
    chunk = next(p for n, _, p in events if n == "on_request_chunk_sent")
    assert chunk.chunk == b"up"
    redirect = next(p for n, _, p in events if n == "on_request_redirect")
    assert redirect.response.status == 302
    end = next(p for n, _, p in events if n == "on_request_end")
    assert end.response.status == 200
    received = next(p for n, _, p in events if n == "on_response_chunk_received")
    assert received.chunk == b"final body"
    dns = next(p for n, _, p in events if n == "on_dns_resolvehost_start")
    assert dns.host == "traced.test"


async def test_dns_cache_hit_signal(raw_server: RawServer) -> None:
    url = (
        await raw_server(lambda r, w: keep_answering(r, w, lambda q: response(200, b"")))
    ).with_host("cached.test")
    config, events = recording_config()
    connector = aiohttp.TCPConnector(resolver=LocalResolver(), force_close=True)
    async with aiohttp.ClientSession(trace_configs=[config], connector=connector) as s:
        await (await s.get(url)).read()
        await (await s.get(url)).read()
    hits = [p for n, _, p in events if n == "on_dns_cache_hit"]
    assert [h.host for h in hits] == ["cached.test"]


async def test_exception_signal(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)  # and hang up

    url = await raw_server(handler)
    config, events = recording_config()
    async with aiohttp.ClientSession(trace_configs=[config]) as s:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await s.get(url)
    exc_events = [p for n, _, p in events if n == "on_request_exception"]
    assert len(exc_events) == 1
    assert isinstance(exc_events[0].exception, aiohttp.ServerDisconnectedError)


async def test_queued_signals(raw_server: RawServer) -> None:
    release = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader):
            await release.wait()
            writer.write(response(200, b""))

    url = await raw_server(handler)
    config, events = recording_config()
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(trace_configs=[config], connector=connector) as s:
        first = asyncio.create_task(s.get(url))
        await asyncio.sleep(0.02)
        second = asyncio.create_task(s.get(url))
        await asyncio.sleep(0.02)
        release.set()
        for task in (first, second):
            await (await task).read()
    names = [n for n, _, _ in events]
    assert names.count("on_connection_queued_start") == 1
    assert names.count("on_connection_queued_end") == 1


def test_frozen_after_session() -> None:
    config = aiohttp.TraceConfig()

    async def make() -> None:
        async with aiohttp.ClientSession(trace_configs=[config]):
            pass

    asyncio.run(make())
    assert config.frozen
    with pytest.raises(RuntimeError):
        config.on_request_start.append(lambda *a: None)


def test_custom_context_factory() -> None:
    class Ctx:
        def __init__(self, trace_request_ctx: Any) -> None:
            self.value = trace_request_ctx

    config = aiohttp.TraceConfig(trace_config_ctx_factory=Ctx)
    assert config.trace_config_ctx(trace_request_ctx=5).value == 5
