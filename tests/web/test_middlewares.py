"""Middlewares: order, errors seen as exceptions, old-style factories, path normalisation."""

from __future__ import annotations

from typing import Any

import pytest
from app_helpers import ClientFactory, ServerFactory, raw_request

from heron import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def tracing(name: str, log: list[str]) -> Any:
    @web.middleware
    async def mw(request: web.Request, handler: Any) -> web.StreamResponse:
        log.append(f"{name}-in")
        response: web.StreamResponse = await handler(request)
        log.append(f"{name}-out")
        response.headers.add("X-Trace", name)
        return response

    return mw


async def test_order_is_outermost_first(aiohttp_client: ClientFactory) -> None:  # B-164
    log: list[str] = []
    app = web.Application(middlewares=[tracing("m1", log), tracing("m2", log)])
    app.router.add_get("/", hello)
    response = await (await aiohttp_client(app)).get("/")
    assert await response.text() == "hello"
    assert response.headers.getall("x-trace") == ["m2", "m1"]
    assert log == ["m1-in", "m2-in", "m2-out", "m1-out"]


async def test_middleware_sees_404_and_405_as_exceptions(
    aiohttp_client: ClientFactory,
) -> None:  # B-165
    seen: list[int] = []

    @web.middleware
    async def pages(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
            return response
        except web.HTTPException as exc:
            seen.append(exc.status)
            if exc.status == 404:
                return web.Response(text="custom not found", status=404)
            raise

    app = web.Application(middlewares=[pages])
    app.router.add_get("/", hello)
    client = await aiohttp_client(app)
    missing = await client.get("/missing")
    assert (missing.status, await missing.text()) == (404, "custom not found")
    wrong = await client.post("/")
    assert wrong.status == 405
    assert set(wrong.headers["allow"].split(",")) == {"GET", "HEAD"}
    assert seen == [404, 405]


async def test_middleware_can_short_circuit(aiohttp_client: ClientFactory) -> None:
    calls: list[str] = []

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("X-Token") != "secret":
            raise web.HTTPForbidden(text="no")
        response: web.StreamResponse = await handler(request)
        return response

    async def protected(request: web.Request) -> web.Response:
        calls.append("handler")
        return web.Response(text="in")

    app = web.Application(middlewares=[guard])
    app.router.add_get("/", protected)
    client = await aiohttp_client(app)
    assert (await client.get("/")).status == 403
    assert await (await client.get("/", headers={"X-Token": "secret"})).text() == "in"
    assert calls == ["handler"]


async def test_middleware_with_any_parameter_name(aiohttp_client: ClientFactory) -> None:
    @web.middleware
    async def mw(request: web.Request, call_next: Any) -> web.StreamResponse:
        response: web.StreamResponse = await call_next(request)
        response.headers["X-Mw"] = "1"
        return response

    app = web.Application(middlewares=[mw])
    app.router.add_get("/", hello)
    assert (await (await aiohttp_client(app)).get("/")).headers["x-mw"] == "1"


async def test_old_style_factory_is_deprecated_but_works(aiohttp_client: ClientFactory) -> None:
    log: list[str] = []

    async def factory(app: web.Application, handler: Any) -> Any:
        async def mw(request: web.Request) -> web.StreamResponse:
            log.append("old")
            response: web.StreamResponse = await handler(request)
            response.headers["X-Old"] = "yes"
            return response

        return mw

    app = web.Application(middlewares=[factory, tracing("new", log)])
    app.router.add_get("/", hello)
    with pytest.warns(DeprecationWarning, match="old-style middleware"):
        app.freeze()
    response = await (await aiohttp_client(app)).get("/")
    assert response.headers["x-old"] == "yes"
    assert await response.text() == "hello"
    assert log == ["old", "new-in", "new-out"]


async def test_middlewares_added_after_construction(aiohttp_client: ClientFactory) -> None:
    log: list[str] = []
    app = web.Application()
    app.middlewares.append(tracing("late", log))
    app.router.add_get("/", hello)
    await (await aiohttp_client(app)).get("/")
    assert log == ["late-in", "late-out"]


# ------------------------------------------------------------ normalize_path


def normalized_app(**kwargs: Any) -> web.Application:
    app = web.Application(middlewares=[web.normalize_path_middleware(**kwargs)])
    app.router.add_get("/a/", hello)
    app.router.add_get("/b", hello)
    app.router.add_get("/evil.com/", hello)
    return app


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/a", "/a/"),
        ("/a?x=1&y=2", "/a/?x=1&y=2"),
        ("//a//", "/a/"),
        ("/a//", "/a/"),
        ("///b", "/b"),
        ("//evil.com", "/evil.com/"),
        ("//evil.com/", "/evil.com/"),
    ],
)
async def test_normalize_append_and_merge(
    aiohttp_server: ServerFactory, path: str, location: str
) -> None:
    # Raw bytes: HTTP clients read a target like "//a" as another host.
    server = await aiohttp_server(normalized_app())
    reply = await raw_request(
        server, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    head = reply.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 308 ")
    assert f"\r\nLocation: {location}\r\n" in head + "\r\n"


async def test_normalize_never_redirects_off_site(aiohttp_server: ServerFactory) -> None:
    server = await aiohttp_server(normalized_app())
    for target in (b"//evil.com", b"///evil.com", b"/\\evil.com", b"//evil.com/?q"):
        reply = await raw_request(
            server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        head = reply.split(b"\r\n\r\n", 1)[0].lower()
        for line in head.split(b"\r\n"):
            if line.startswith(b"location:"):
                value = line.split(b":", 1)[1].strip()
                assert value.startswith(b"/") and not value.startswith((b"//", b"/\\"))


async def test_normalize_leaves_matches_and_misses_alone(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(normalized_app())
    assert await (await client.get("/a/")).text() == "hello"
    assert (await client.get("/nowhere")).status == 404


async def test_normalize_remove_slash_and_redirect_class(aiohttp_client: ClientFactory) -> None:
    app = normalized_app(
        append_slash=False, remove_slash=True, redirect_class=web.HTTPMovedPermanently
    )
    client = await aiohttp_client(app)
    response = await client.get("/b/", allow_redirects=False)
    assert response.status == 301
    assert response.headers["location"] == "/b"
    assert (await client.get("/a", allow_redirects=False)).status == 404


async def test_normalize_without_merge(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(normalized_app(merge_slashes=False))
    assert (await client.get("//b", allow_redirects=False)).status == 404


def test_normalize_rejects_contradiction() -> None:
    with pytest.raises(ValueError):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)
