"""heron's client against independent servers: heron.web, Python's http.server, uvicorn."""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from yarl import URL

import heron as aiohttp
from heron import web


@pytest.fixture
async def heron_url() -> AsyncIterator[URL]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.query.get('name', '')}")

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response({"len": len(body), "ctype": request.content_type})

    async def form(request: web.Request) -> web.Response:
        data = await request.post()
        return web.json_response({k: str(v) for k, v in data.items()})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/hello?name=redirected")

    async def cookie(request: web.Request) -> web.Response:
        resp = web.Response(text=request.cookies.get("k", "none"))
        resp.set_cookie("k", "v")
        return resp

    app = web.Application()
    app.router.add_get("/hello", hello)
    app.router.add_post("/echo", echo)
    app.router.add_post("/form", form)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/cookie", cookie)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield URL(f"http://127.0.0.1:{port}")
    await runner.cleanup()


async def test_against_heron_server(heron_url: URL) -> None:
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as s:
        async with s.get(heron_url / "hello", params={"name": "heron"}) as resp:
            assert await resp.text() == "hello heron"
        async with s.post(heron_url / "echo", data=b"x" * 10000) as resp:
            assert await resp.json() == {"len": 10000, "ctype": "application/octet-stream"}
        async with s.post(heron_url / "form", data={"a": "1", "b": "two"}) as resp:
            assert await resp.json() == {"a": "1", "b": "two"}
        async with s.get(heron_url / "redirect") as resp:
            assert await resp.text() == "hello redirected"
            assert [r.status for r in resp.history] == [302]
        async with s.get(heron_url / "cookie") as resp:
            assert await resp.text() == "none"
        async with s.get(heron_url / "cookie") as resp:
            assert await resp.text() == "v"


async def test_many_concurrent_requests_heron_server(heron_url: URL) -> None:
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as s:

        async def one(i: int) -> str:
            async with s.get(heron_url / "hello", params={"name": str(i)}) as resp:
                return await resp.text()

        results = await asyncio.gather(*(one(i) for i in range(100)))
    assert results == [f"hello {i}" for i in range(100)]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/gzip":
            body = gzip.compress(b"zipped " * 50)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
        elif self.path == "/close":
            body = b"until close"
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        else:
            body = json.dumps({"path": self.path, "ua": self.headers["User-Agent"]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def stdlib_url() -> Iterator[URL]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield URL(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


async def test_against_stdlib_http_server(stdlib_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(stdlib_url / "x") as resp:
            doc = await resp.json()
        assert doc["path"] == "/x"
        assert doc["ua"].startswith("Python/")
        async with s.get(stdlib_url / "gzip") as resp:
            assert await resp.read() == b"zipped " * 50
        async with s.get(stdlib_url / "close") as resp:
            assert await resp.read() == b"until close"


async def test_against_uvicorn() -> None:
    uvicorn = pytest.importorskip("uvicorn")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        payload = json.dumps({"method": scope["method"], "len": len(body)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        url = URL(f"http://127.0.0.1:{port}/")
        async with aiohttp.ClientSession() as s:
            async with s.post(url, data=b"z" * 5000) as resp:
                assert await resp.json() == {"method": "POST", "len": 5000}

            async def chunks() -> AsyncIterator[bytes]:
                for _ in range(4):
                    yield b"c" * 100

            async with s.put(url, data=chunks()) as resp:
                assert await resp.json() == {"method": "PUT", "len": 400}
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 5)
