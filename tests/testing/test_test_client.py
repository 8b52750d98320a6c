"""TestServer, RawTestServer and TestClient over real loopback sockets.

These tests use the plugin's own fixtures (heron's plugin is loaded by its entry
point), so they double as examples of ``aiohttp_client`` and friends.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import pytest
import trustme
from yarl import URL

import heron
from heron import web
from heron.test_utils import BaseTestServer, RawTestServer, TestClient, TestServer, unused_port

Factory = Callable[..., Any]


async def echo(request: web.Request) -> web.StreamResponse:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path_qs,
            "body": body.decode(),
            "header": request.headers.get("X-Test", ""),
        }
    )


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_route("*", "/echo", echo)

    async def set_cookie(request: web.Request) -> web.StreamResponse:
        resp = web.Response(text="set")
        resp.set_cookie("session", "abc123")
        return resp

    async def read_cookie(request: web.Request) -> web.StreamResponse:
        return web.Response(text=request.cookies.get("session", "<none>"))

    async def big(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"x" * 200_000)

    async def ws(request: web.Request) -> web.StreamResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            await sock.send_str(f"echo:{msg.data}")
        return sock

    app.router.add_get("/set", set_cookie)
    app.router.add_get("/read", read_cookie)
    app.router.add_get("/big", big)
    app.router.add_get("/ws", ws)
    return app


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "options"])
async def test_every_verb_reaches_the_app(aiohttp_client: Factory, verb: str) -> None:
    client = await aiohttp_client(make_app())
    resp = await getattr(client, verb)("/echo?q=1", headers={"X-Test": "yes"})
    assert resp.status == 200
    data = await resp.json()
    assert data == {"method": verb.upper(), "path": "/echo?q=1", "body": "", "header": "yes"}


async def test_head_and_request(aiohttp_client: Factory) -> None:
    client = await aiohttp_client(make_app())
    resp = await client.head("/echo")
    assert resp.status == 200
    assert await resp.read() == b""
    resp = await client.request("POST", "/echo", data=b"payload")
    assert (await resp.json())["body"] == "payload"


async def test_body_is_readable_after_the_async_with_block(aiohttp_client: Factory) -> None:
    client = await aiohttp_client(make_app())
    async with client.get("/big") as resp:
        assert resp.status == 200
    # The response was kept, not released: the whole body can still be read.
    assert len(await resp.read()) == 200_000


async def test_cookies_are_kept_across_requests(aiohttp_client: Factory) -> None:
    client = await aiohttp_client(make_app())
    assert await (await client.get("/read")).text() == "<none>"
    await client.get("/set")
    assert await (await client.get("/read")).text() == "abc123"
    assert "session" in {c.key for c in client.session.cookie_jar}


async def test_custom_cookie_jar_and_session_kwargs(aiohttp_client: Factory) -> None:
    jar = heron.DummyCookieJar()
    client = await aiohttp_client(make_app(), cookie_jar=jar, headers={"X-Test": "default"})
    await client.get("/set")
    assert await (await client.get("/read")).text() == "<none>"
    assert (await (await client.get("/echo")).json())["header"] == "default"
    assert client.session.cookie_jar is jar


async def test_client_properties(aiohttp_client: Factory) -> None:
    app = make_app()
    client = await aiohttp_client(app)
    assert client.app is app
    assert isinstance(client.server, TestServer)
    assert client.host == "127.0.0.1"
    assert isinstance(client.port, int) and client.port > 0
    assert client.scheme == "http"
    assert client.make_url("/a?b=1") == URL(f"http://127.0.0.1:{client.port}/a?b=1")
    assert isinstance(client.session, heron.ClientSession)


async def test_ws_connect(aiohttp_client: Factory) -> None:
    client = await aiohttp_client(make_app())
    ws = await client.ws_connect("/ws")
    await ws.send_str("hi")
    assert (await ws.receive()).data == "echo:hi"
    async with client.ws_connect("/ws") as ws2:
        await ws2.send_str("again")
        assert (await ws2.receive()).data == "echo:again"
    assert ws2.closed
    # ws is left open on purpose: close() must close it.
    await client.close()
    assert ws.closed


async def test_close_closes_responses_session_and_server() -> None:
    server = TestServer(make_app())
    client = TestClient(server)
    await client.start_server()
    resp = await client.get("/big")
    url = client.make_url("/echo")
    await client.close()
    assert client.closed and server.closed
    assert client.session.closed
    assert resp.closed
    await client.close()  # twice is fine
    async with heron.ClientSession() as session:
        with pytest.raises(heron.ClientConnectionError):
            await session.get(url)


async def test_async_with_client_and_server() -> None:
    async with TestClient(TestServer(make_app())) as client:
        assert (await client.get("/echo")).status == 200
    assert client.closed
    async with TestServer(make_app()) as server:
        assert server.started and not server.closed
        assert server.scheme == "http"
    assert server.closed


async def test_aiohttp_client_with_a_server(
    aiohttp_client: Factory, aiohttp_server: Factory
) -> None:
    server = await aiohttp_server(make_app())
    client = await aiohttp_client(server)
    assert client.server is server
    assert client.port == server.port
    assert (await client.get("/echo")).status == 200


async def test_aiohttp_client_server_kwargs_and_bad_argument(
    aiohttp_client: Factory, aiohttp_unused_port: Callable[[], int]
) -> None:
    port = aiohttp_unused_port()
    client = await aiohttp_client(make_app(), server_kwargs={"port": port})
    assert client.port == port
    with pytest.raises(ValueError, match="Application"):
        await aiohttp_client(object())


async def test_raw_server(aiohttp_raw_server: Factory, aiohttp_client: Factory) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text=f"raw {request.method} {request.path}")

    server = await aiohttp_raw_server(handler)
    assert isinstance(server, RawTestServer)
    client = await aiohttp_client(server)
    assert client.app is None
    assert await (await client.post("/x")).text() == "raw POST /x"


async def test_server_settings_are_passed_to_the_server(aiohttp_server: Factory) -> None:
    server = await aiohttp_server(make_app(), max_line_size=100)
    async with heron.ClientSession() as session:
        resp = await session.get(server.make_url("/echo?" + "a" * 300))
        assert resp.status == 414


async def test_server_constructor_arguments() -> None:
    port = unused_port()
    server = TestServer(make_app(), port=port, host="127.0.0.1", scheme="http")
    with pytest.raises(TypeError, match="async with"), server:  # type: ignore[attr-defined]
        pass
    await server.start_server()
    try:
        await server.start_server()  # a second start is a no-op
        assert server.port == port
        assert isinstance(server, BaseTestServer)
        assert server.handler is server.server
        assert server.runner is not None
        assert server.make_url("echo") == URL(f"http://127.0.0.1:{port}/echo")
        assert server.make_url("/a%20b?x=1&y=2") == URL(f"http://127.0.0.1:{port}/a%20b?x=1&y=2")
    finally:
        await server.close()
    await server.close()
    assert server.port is None


async def test_url_asserts() -> None:
    async with TestServer(make_app(), skip_url_asserts=False) as server:
        with pytest.raises(AssertionError):
            server.make_url("http://example.com/")
        assert server.make_url("/x").path == "/x"


async def test_https_server(aiohttp_server: Factory, aiohttp_client: Factory) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    server = await aiohttp_server(make_app(), ssl=server_ctx)
    assert server.scheme == "https"
    assert str(server.make_url("/")).startswith("https://127.0.0.1:")
    client = await aiohttp_client(server, connector=heron.TCPConnector(ssl=client_ctx))
    assert (await (await client.get("/echo")).json())["method"] == "GET"


def test_client_made_outside_a_loop_starts_later() -> None:
    client = TestClient(TestServer(make_app()))
    with pytest.raises(RuntimeError, match="start_server"):
        _ = client.session

    async def use() -> int:
        await client.start_server()
        try:
            return (await client.get("/echo")).status
        finally:
            await client.close()

    assert asyncio.run(use()) == 200


def test_client_needs_a_server() -> None:
    with pytest.raises(TypeError):
        TestClient(make_app())  # type: ignore[arg-type]
