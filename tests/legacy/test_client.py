"""0.x client aliases: heron.get()/post()/... one-shot requests, ProxyConnector, Timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import heron
from heron import web


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        return web.Response(text=f"{request.method} {request.path_qs} {body}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_get_awaited_then_text_closes_session(base_url: str) -> None:
    with pytest.warns(DeprecationWarning, match=r"ClientSession\(\)\.get\(\)"):
        pending = heron.get(base_url + "/a", params={"q": "1"})
    resp = await pending
    assert resp.status == 200
    assert await resp.text() == "GET /a?q=1 "
    session = resp._session  # the one-shot session the response owns
    assert session.closed


@pytest.mark.parametrize("name", ["post", "put", "patch"])
async def test_body_methods_with_async_with(base_url: str, name: str) -> None:
    with pytest.warns(DeprecationWarning, match=rf"ClientSession\(\)\.{name}\(\)"):
        pending = getattr(heron, name)(base_url + "/b", data=b"payload")
    async with pending as resp:
        assert await resp.text() == f"{name.upper()} /b payload"


@pytest.mark.parametrize("name", ["delete", "head", "options"])
async def test_other_methods(base_url: str, name: str) -> None:
    with pytest.warns(DeprecationWarning, match=name):
        resp = await getattr(heron, name)(base_url + "/c")
    assert resp.status == 200
    await resp.release()
    assert resp._session.closed


async def test_one_shot_error_closes_session() -> None:
    with pytest.warns(DeprecationWarning):
        pending = heron.get("http://127.0.0.1:1/")
    with pytest.raises(heron.ClientConnectionError):
        await pending


async def _tiny_proxy(seen: list[bytes]) -> tuple[asyncio.Server, int]:
    """A forward proxy that answers itself: it records the request head it got."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        seen.append(head)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_proxy_connector_routes_every_request() -> None:
    seen: list[bytes] = []
    server, port = await _tiny_proxy(seen)
    async with server:
        with pytest.warns(DeprecationWarning, match=r"ClientSession\(proxy=\.\.\.\)"):
            conn = heron.ProxyConnector(f"http://user:pass@127.0.0.1:{port}")
        assert conn.force_close is True
        assert conn.proxy == heron.URL(f"http://127.0.0.1:{port}")
        async with heron.ClientSession(connector=conn) as session:
            for path in ("/one", "/two"):
                async with session.get(f"http://example.invalid{path}") as resp:
                    assert await resp.text() == "via proxy"
    assert [h.split(b"\r\n")[0] for h in seen] == [
        b"GET http://example.invalid/one HTTP/1.1",
        b"GET http://example.invalid/two HTTP/1.1",
    ]
    assert b"Proxy-Authorization: Basic dXNlcjpwYXNz" in seen[0]


async def test_proxy_connector_unreachable_proxy_error() -> None:
    with pytest.warns(DeprecationWarning):
        conn = heron.ProxyConnector("http://127.0.0.1:1")
        proxy_error = heron.ProxyConnectionError
    async with heron.ClientSession(connector=conn) as session:
        with pytest.raises(proxy_error):
            await session.get("http://example.invalid/")


async def test_timeout_alias() -> None:
    with pytest.warns(DeprecationWarning, match=r"asyncio\.timeout\(\)"):
        cm = heron.Timeout(0.01)
    with pytest.raises(asyncio.TimeoutError):
        async with cm:
            await asyncio.sleep(1)
