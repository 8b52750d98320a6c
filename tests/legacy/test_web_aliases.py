"""0.x aliases on the server side: make_handler, finish, GET/POST, start, url(), ..."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from legacy_helpers import exchange, read_response

import heron
from heron import web


async def test_make_handler_serves_with_create_server() -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    app = web.Application()
    app.router.add_get("/", hello)
    with pytest.warns(DeprecationWarning, match="AppRunner"):
        handler = app.make_handler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    status, _, body = await read_response(reader)
    assert status == b"HTTP/1.1 200 OK" and body == b"hi"
    assert len(handler.connections) == 1
    await handler.finish_connections(1.0)
    async with asyncio.timeout(2):
        assert await reader.read() == b""
    writer.close()
    server.close()
    await server.wait_closed()


async def test_finish_runs_callbacks_in_reverse_and_reports_errors() -> None:
    app = web.Application()
    calls: list[Any] = []
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda loop, context: errors.append(context))

    async def coro_cb(app: web.Application, tag: str) -> None:
        calls.append(("coro", tag))

    def plain_cb(app: web.Application, *, tag: str) -> None:
        calls.append(("plain", tag))

    def failing(app: web.Application) -> None:
        raise RuntimeError("bad callback")

    with pytest.warns(DeprecationWarning, match=r"on_cleanup"):
        app.register_on_finish(coro_cb, "a")
    with pytest.warns(DeprecationWarning):
        app.register_on_finish(failing)
        app.register_on_finish(plain_cb, tag="b")
        app.register_on_finish(plain_cb, tag="b")
    cleaned: list[bool] = []

    async def on_cleanup(app: web.Application) -> None:
        cleaned.append(True)

    app.on_cleanup.append(on_cleanup)
    with pytest.warns(DeprecationWarning, match=r"AppRunner\.cleanup"):
        await app.finish()
    loop.set_exception_handler(None)
    assert calls == [("plain", "b"), ("plain", "b"), ("coro", "a")]
    assert cleaned == [True]
    assert len(errors) == 1 and errors[0]["application"] is app
    assert isinstance(errors[0]["exception"], RuntimeError) and "message" in errors[0]


async def test_finish_callbacks_run_by_app_runner_cleanup() -> None:
    app = web.Application()
    calls: list[str] = []
    with pytest.warns(DeprecationWarning):
        app.register_on_finish(lambda app: calls.append("done"))
    runner = web.AppRunner(app)
    await runner.setup()
    await runner.cleanup()
    assert calls == ["done"]


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


async def test_request_get_post_and_response_start() -> None:
    seen: dict[str, Any] = {}
    signalled: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        with pytest.warns(DeprecationWarning, match="request.query"):
            seen["GET"] = dict(request.GET)
        with (
            pytest.warns(DeprecationWarning, match=r"request\.post\(\)"),
            pytest.raises(RuntimeError),
        ):
            request.POST  # noqa: B018
        await request.post()
        with pytest.warns(DeprecationWarning):
            seen["POST"] = dict(request.POST)
        resp = web.StreamResponse()
        resp.content_length = 2
        with pytest.warns(DeprecationWarning, match=r"\.prepared"):
            seen["before"] = resp.started
        with pytest.warns(DeprecationWarning, match=r"await StreamResponse\.prepare\(\)"):
            task = resp.start(request)
        await task
        with pytest.warns(DeprecationWarning):
            seen["after"] = resp.started
        await resp.write(b"ok")
        await resp.write_eof()
        return resp

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        signalled.append("prepare")

    app = web.Application()
    app.on_response_prepare.append(on_prepare)
    app.router.add_post("/", handler)
    runner, port = await _serve(app)
    try:
        body = b"a=1&b=2"
        raw = await exchange(
            port,
            b"POST /?arg=&x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
        )
    finally:
        await runner.cleanup()
    assert raw.startswith(b"HTTP/1.1 200 OK") and raw.endswith(b"ok")
    assert seen == {
        "GET": {"arg": "", "x": "1"},
        "POST": {"a": "1", "b": "2"},
        "before": False,
        "after": True,
    }
    assert signalled == []  # start() does not send on_response_prepare (0.19 manual)


def test_route_and_resource_url() -> None:
    async def h(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/root", h, name="root")
    app.router.add_get("/{user}/info", h, name="handler")
    with pytest.warns(DeprecationWarning, match=r"url_for\(\)"):
        assert app.router["root"].url(query={"a": "b", "c": "d"}) == "/root?a=b&c=d"
    with pytest.warns(DeprecationWarning, match=r"url_for\(\)"):
        url = app.router["handler"].url(parts={"user": "john_doe"}, query="?a=b")
    assert url == "/john_doe/info?a=b"
    route = next(iter(app.router["handler"]))
    with pytest.warns(DeprecationWarning):
        assert route.url(parts={"user": "x"}) == "/x/info"


def test_route_and_resource_match(tmp_path: Path) -> None:
    async def h(request: web.Request) -> web.Response:
        return web.Response()

    app = web.Application()
    app.router.add_get("/root", h, name="root")
    app.router.add_get("/{user}/info", h, name="handler")
    app.router.add_static("/files", tmp_path, name="files")
    with pytest.warns(DeprecationWarning, match=r"match\(\).*router.resolve"):
        assert app.router["root"].match("/root") == {}
    with pytest.warns(DeprecationWarning):
        assert app.router["root"].match("/other") is None
    route = next(iter(app.router["handler"]))
    with pytest.warns(DeprecationWarning):
        assert route.match("/j%C3%B6rg/info") == {"user": "jörg"}
    with pytest.warns(DeprecationWarning):
        assert route.match("/a/b/info") is None
    with pytest.warns(DeprecationWarning):
        assert app.router["files"].match("/files/a%20b/c.txt") == {"filename": "a b/c.txt"}
    with pytest.warns(DeprecationWarning):
        assert app.router["files"].match("/elsewhere/c.txt") is None


async def test_websocket_start_and_can_start() -> None:
    import websockets

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        with pytest.warns(DeprecationWarning, match=r"can_prepare\(\)"):
            ok = ws.can_start(request)
        if not ok.ok:
            return web.Response(text="plain")
        with pytest.warns(DeprecationWarning, match=r"prepare\(\)"):
            await ws.start(request)
        msg = await ws.receive()
        with pytest.warns(DeprecationWarning, match=r"\.type"):
            assert msg.tp is heron.WSMsgType.TEXT
        await ws.send_str(msg.data + "/answer")
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner, port = await _serve(app)
    try:
        raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        assert raw.endswith(b"plain")
        async with websockets.connect(f"ws://127.0.0.1:{port}/", open_timeout=2) as ws:
            await ws.send("x")
            assert await ws.recv() == "x/answer"
    finally:
        await runner.cleanup()


def test_message_type_aliases() -> None:
    with pytest.warns(DeprecationWarning, match="WSMsgType"):
        msg_type = heron.MsgType
    assert msg_type.text is heron.WSMsgType.TEXT
    with pytest.warns(DeprecationWarning, match="istr"):
        upstr = heron.upstr
    assert upstr("Key") == "Key" and isinstance(upstr("k"), str)
