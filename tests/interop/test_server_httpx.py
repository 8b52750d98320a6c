"""The server against httpx (h11 underneath) as a real client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from heron import web


async def handler(request: web.BaseRequest) -> web.StreamResponse:
    if request.path == "/json":
        data = await request.json()
        return web.json_response({"got": data, "method": request.method})
    if request.path == "/form":
        form = await request.post()
        return web.json_response(dict(form))
    if request.path == "/stream":
        resp = web.StreamResponse(headers={"X-Stream": "yes"})
        await resp.prepare(request)
        for i in range(5):
            await resp.write(b"%d;" % i)
            await asyncio.sleep(0)
        await resp.write_eof()
        return resp
    if request.path == "/missing":
        raise web.HTTPNotFound()
    if request.path == "/redirect":
        raise web.HTTPFound("/json-target")
    return web.Response(text="hello", headers={"X-Peer": request.remote or "?"})


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            yield client
    finally:
        await runner.cleanup()


async def test_get_and_keep_alive(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        resp = await client.get("/")
        assert (resp.status_code, resp.text) == (200, "hello")
        assert resp.headers["X-Peer"] == "127.0.0.1"
        assert resp.http_version == "HTTP/1.1"


async def test_json_round_trip(client: httpx.AsyncClient) -> None:
    resp = await client.put("/json", json={"a": [1, 2]})
    assert resp.json() == {"got": {"a": [1, 2]}, "method": "PUT"}


async def test_form(client: httpx.AsyncClient) -> None:
    resp = await client.post("/form", data={"name": "héron", "n": "1"})
    assert resp.json() == {"name": "héron", "n": "1"}


async def test_streamed_response(client: httpx.AsyncClient) -> None:
    async with client.stream("GET", "/stream") as resp:
        assert resp.headers["X-Stream"] == "yes"
        assert resp.headers["Transfer-Encoding"] == "chunked"
        body = b"".join([chunk async for chunk in resp.aiter_bytes()])
    assert body == b"0;1;2;3;4;"


async def test_http_exceptions(client: httpx.AsyncClient) -> None:
    resp = await client.get("/missing")
    assert (resp.status_code, resp.text) == (404, "404: Not Found")
    resp = await client.get("/redirect")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/json-target"


async def test_head(client: httpx.AsyncClient) -> None:
    resp = await client.head("/")
    assert resp.status_code == 200
    assert resp.headers["Content-Length"] == "5"
    assert resp.content == b""


async def test_streamed_upload(client: httpx.AsyncClient) -> None:
    async def body() -> AsyncIterator[bytes]:
        for piece in (b'{"k"', b": ", b"1}"):
            yield piece

    resp = await client.post("/json", content=body())
    assert resp.json() == {"got": {"k": 1}, "method": "POST"}


async def test_concurrent_clients(client: httpx.AsyncClient) -> None:
    results = await asyncio.gather(*(client.get("/") for _ in range(20)))
    assert {r.text for r in results} == {"hello"}
