"""Application: state, freezing, lifecycle signals, cleanup_ctx, request handling."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from app_helpers import ClientFactory, ServerFactory, raw_request

from heron import web
from heron.test_utils import TestServer

DB = web.AppKey("db", str)


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


# ---------------------------------------------------------------- app object


def test_defaults() -> None:  # B-170
    app = web.Application()
    assert isinstance(app.router, web.UrlDispatcher)
    assert app.logger.name == "aiohttp.web"
    assert not app.debug
    assert not app.frozen
    assert "Application" in repr(app)
    assert app() is app


def test_state_storage() -> None:  # B-171
    app = web.Application()
    app["k"] = "v"
    app[DB] = "postgres"
    assert app["k"] == "v"
    assert app[DB] == "postgres"
    assert app.get(DB) == "postgres"
    assert app.get("missing", 1) == 1
    assert len(app) == 2
    assert set(app) == {"k", DB}
    del app["k"]
    assert "k" not in app
    with pytest.raises(NotImplementedError):
        app.copy()


def test_apps_compare_by_identity() -> None:
    a, b = web.Application(), web.Application()
    assert a != b
    assert len({a, b}) == 2
    assert bool(a)


def test_app_keys_never_collide() -> None:
    k1, k2 = web.AppKey("same", int), web.AppKey("same", int)
    app = web.Application()
    app[k1] = 1
    app[k2] = 2
    assert (app[k1], app[k2]) == (1, 2)
    assert "same" in repr(k1) and "int" in repr(k1)


def test_router_must_be_a_router() -> None:
    with pytest.raises(TypeError):
        web.Application(router=object())  # type: ignore[arg-type]


def test_loop_argument_is_deprecated() -> None:
    with pytest.warns(DeprecationWarning):
        web.Application(loop=asyncio.new_event_loop())


async def test_frozen_after_start(aiohttp_server: ServerFactory) -> None:
    app = web.Application()
    app.router.add_get("/", hello)
    await aiohttp_server(app)
    assert app.frozen
    with pytest.raises(RuntimeError):
        app["x"] = 1
    with pytest.raises(RuntimeError):
        del app[DB]
    with pytest.raises(RuntimeError):
        app.router.add_get("/late", hello)
    with pytest.raises(RuntimeError):
        app.middlewares.append(web.middleware(hello))
    with pytest.raises(RuntimeError):
        app.on_startup.append(hello)
    with pytest.raises(RuntimeError):
        app.add_subapp("/sub", web.Application())


# ------------------------------------------------------------------ lifecycle


async def test_signals_and_cleanup_ctx_order() -> None:
    app = web.Application()
    calls: list[str] = []

    async def ctx_a(app: web.Application) -> AsyncIterator[None]:
        calls.append("a-setup")
        yield
        calls.append("a-teardown")

    async def ctx_b(app: web.Application) -> AsyncIterator[None]:
        calls.append("b-setup")
        yield
        calls.append("b-teardown")

    async def on_startup(app: web.Application) -> None:
        calls.append("startup")

    async def on_shutdown(app: web.Application) -> None:
        calls.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        calls.append("cleanup")

    app.cleanup_ctx.extend([ctx_a, ctx_b])
    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    async with TestServer(app):
        assert calls == ["a-setup", "b-setup", "startup"]
    assert calls == [
        "a-setup",
        "b-setup",
        "startup",
        "shutdown",
        "b-teardown",
        "a-teardown",
        "cleanup",
    ]


async def test_cleanup_ctx_unwinds_all_and_collects_errors() -> None:
    app = web.Application()
    calls: list[str] = []

    def make(name: str, fail: bool) -> object:
        async def ctx(app: web.Application) -> AsyncIterator[None]:
            yield
            calls.append(name)
            if fail:
                raise ValueError(name)

        return ctx

    app.cleanup_ctx.extend([make("a", True), make("b", False), make("c", True)])
    app.freeze()
    await app.startup()
    with pytest.raises(web.CleanupError) as info:
        await app.cleanup()
    assert calls == ["c", "b", "a"]
    assert [str(e) for e in info.value.exceptions] == ["c", "a"]


async def test_single_cleanup_error_is_raised_as_is() -> None:
    app = web.Application()
    calls: list[str] = []

    async def bad(app: web.Application) -> None:
        raise KeyError("boom")

    async def good(app: web.Application) -> None:
        calls.append("good")

    app.on_cleanup.extend([bad, good])
    with pytest.raises(KeyError):
        await app.cleanup()
    assert calls == ["good"]


async def test_cleanup_ctx_failing_setup_still_unwinds_earlier_ones() -> None:
    app = web.Application()
    calls: list[str] = []

    async def ok(app: web.Application) -> AsyncIterator[None]:
        yield
        calls.append("ok-teardown")

    async def broken(app: web.Application) -> AsyncIterator[None]:
        raise RuntimeError("setup failed")
        yield  # pragma: no cover

    app.cleanup_ctx.extend([ok, broken])
    app.freeze()
    with pytest.raises(RuntimeError, match="setup failed"):
        await app.startup()
    await app.cleanup()
    assert calls == ["ok-teardown"]


async def test_cleanup_ctx_with_two_yields_is_an_error() -> None:
    app = web.Application()

    async def twice(app: web.Application) -> AsyncIterator[None]:
        yield
        yield

    app.cleanup_ctx.append(twice)
    await app.startup()
    with pytest.raises(RuntimeError, match="more than one"):
        await app.cleanup()


# -------------------------------------------------------------- over the wire


async def test_routes_404_405_and_head(aiohttp_client: ClientFactory) -> None:  # B-101
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_post("/form", hello)
    client = await aiohttp_client(app)
    assert await (await client.get("/")).text() == "hello"
    head = await client.head("/")
    assert head.status == 200 and await head.read() == b""
    assert head.headers["content-length"] == "5"
    missing = await client.get("/missing")
    assert missing.status == 404
    assert await missing.text() == "404: Not Found"
    wrong = await client.put("/form")
    assert wrong.status == 405
    assert wrong.headers["allow"] == "POST"


async def test_match_info_and_request_app(aiohttp_client: ClientFactory) -> None:
    app = web.Application()
    app[DB] = "db"

    async def show(request: web.Request) -> web.Response:
        assert request.app is app
        return web.json_response({"name": request.match_info["name"], "db": request.app[DB]})

    app.router.add_get("/users/{name}", show)
    client = await aiohttp_client(app)
    response = await client.get("/users/J%C3%BCrgen%20K")
    assert await response.json() == {"name": "Jürgen K", "db": "db"}


async def test_client_max_size(aiohttp_client: ClientFactory) -> None:
    app = web.Application(client_max_size=10)

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app.router.add_post("/", echo)
    client = await aiohttp_client(app)
    assert await (await client.post("/", data=b"x" * 10)).read() == b"x" * 10
    assert (await client.post("/", data=b"x" * 11)).status == 413


async def test_on_response_prepare_for_plain_and_streamed(aiohttp_client: ClientFactory) -> None:
    app = web.Application()

    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Stamp"] = request.path

    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"part")
        return response

    app.on_response_prepare.append(stamp)
    app.router.add_get("/plain", hello)
    app.router.add_get("/stream", streamed)
    client = await aiohttp_client(app)
    assert (await client.get("/plain")).headers["x-stamp"] == "/plain"
    response = await client.get("/stream")
    assert response.headers["x-stamp"] == "/stream"
    assert await response.text() == "part"
    assert (await client.get("/nope")).headers["x-stamp"] == "/nope"


# B-158
async def test_handler_returning_or_raising_http_exception(aiohttp_client: ClientFactory) -> None:
    app = web.Application()

    async def returns(request: web.Request) -> web.StreamResponse:
        return web.HTTPFound("/redirect")

    async def raises(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/redirect")

    app.router.add_get("/r1", returns)
    app.router.add_get("/r2", raises)
    client = await aiohttp_client(app)
    for path in ("/r1", "/r2"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302
        assert response.headers["location"] == "/redirect"


async def test_class_based_view_over_the_wire(aiohttp_client: ClientFactory) -> None:
    class Item(web.View):
        async def get(self) -> web.Response:
            return web.Response(text="item " + self.request.match_info["id"])

        async def delete(self) -> web.Response:
            return web.Response(status=204)

    app = web.Application()
    app.router.add_view("/items/{id}", Item)
    client = await aiohttp_client(app)
    assert await (await client.get("/items/7")).text() == "item 7"
    assert (await client.delete("/items/7")).status == 204
    response = await client.post("/items/7")
    assert response.status == 405
    assert set(response.headers["allow"].split(",")) == {"GET", "DELETE"}


async def test_handler_args_reach_the_server(
    aiohttp_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("heron.test.access")
    app = web.Application(handler_args={"access_log": logger})
    app.router.add_get("/", hello)
    with caplog.at_level(logging.INFO, logger="heron.test.access"):
        client = await aiohttp_client(app)
        await client.get("/")
        await client.close()
    assert any("GET / " in record.getMessage() for record in caplog.records)


# --------------------------------------------------------------------- Expect
# Raw bytes: the interim "100 Continue" and the refusal must be seen exactly.


async def test_expect_handler_can_refuse(aiohttp_server: ServerFactory) -> None:  # B-167
    calls: list[str] = []

    async def refuse(request: web.Request) -> web.StreamResponse | None:
        return web.HTTPForbidden()

    async def upload(request: web.Request) -> web.Response:
        calls.append("handler")
        return web.Response(text="stored")

    app = web.Application()
    app.router.add_post("/up", upload, expect_handler=refuse)
    server = await aiohttp_server(app)
    reply = await raw_request(
        server,
        b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 403 ")
    assert b"100 Continue" not in reply
    assert calls == []


# B-166, B-168
async def test_expect_default_and_none_returning_handler(aiohttp_server: ServerFactory) -> None:
    async def accept(request: web.Request) -> None:
        return None

    async def upload(request: web.Request) -> web.Response:
        return web.Response(text="got " + (await request.text()))

    app = web.Application()
    app.router.add_post("/default", upload)
    app.router.add_post("/custom", upload, expect_handler=accept)
    server = await aiohttp_server(app)
    for path in (b"/default", b"/custom"):
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(
            b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        reply = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert reply.startswith(b"HTTP/1.1 200 ")
        assert reply.endswith(b"got hello")


# seeds' MW-07
async def test_custom_expect_handler_writing_continue_itself(aiohttp_server: ServerFactory) -> None:
    async def expect(request: web.Request) -> None:
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def upload(request: web.Request) -> web.Response:
        return web.Response(text=await request.text())

    app = web.Application()
    app.router.add_post("/", upload, expect_handler=expect)
    server = await aiohttp_server(app)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
    )
    assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == (
        b"HTTP/1.1 100 Continue\r\n\r\n"
    )
    writer.write(b"ok")
    reply = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert reply.count(b"100 Continue") == 0
    assert reply.startswith(b"HTTP/1.1 200 ") and reply.endswith(b"ok")


async def test_expect_on_missing_route_is_404(aiohttp_server: ServerFactory) -> None:  # B-169
    server = await aiohttp_server(web.Application())
    reply = await raw_request(
        server,
        b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 404 ")
