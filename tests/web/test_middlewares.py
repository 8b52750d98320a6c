"""Middlewares: order, errors seen as exceptions, old-style factories, path normalisation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from app_helpers import raw_request, serve

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


async def test_order_is_outermost_first() -> None:  # B-164
    log: list[str] = []
    app = web.Application(middlewares=[tracing("m1", log), tracing("m2", log)])
    app.router.add_get("/", hello)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/")
        assert response.text == "hello"
        assert response.headers.get_list("x-trace") == ["m2", "m1"]
    assert log == ["m1-in", "m2-in", "m2-out", "m1-out"]


async def test_middleware_sees_404_and_405_as_exceptions() -> None:  # B-165
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
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        missing = await client.get("/missing")
        assert (missing.status_code, missing.text) == (404, "custom not found")
        wrong = await client.post("/")
        assert wrong.status_code == 405
        assert wrong.headers["allow"] == "GET,HEAD" or set(wrong.headers["allow"].split(",")) == {
            "GET",
            "HEAD",
        }
    assert seen == [404, 405]


async def test_middleware_can_short_circuit() -> None:
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
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/")).status_code == 403
        assert (await client.get("/", headers={"X-Token": "secret"})).text == "in"
    assert calls == ["handler"]


async def test_middleware_with_any_parameter_name() -> None:
    @web.middleware
    async def mw(request: web.Request, call_next: Any) -> web.StreamResponse:
        response: web.StreamResponse = await call_next(request)
        response.headers["X-Mw"] = "1"
        return response

    app = web.Application(middlewares=[mw])
    app.router.add_get("/", hello)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/")).headers["x-mw"] == "1"


async def test_old_style_factory_is_deprecated_but_works() -> None:
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
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/")
        assert response.headers["x-old"] == "yes"
        assert response.text == "hello"
    assert log == ["old", "new-in", "new-out"]


async def test_middlewares_added_after_construction() -> None:
    log: list[str] = []
    app = web.Application()
    app.middlewares.append(tracing("late", log))
    app.router.add_get("/", hello)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        await client.get("/")
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
async def test_normalize_append_and_merge(path: str, location: str) -> None:
    # Raw bytes: HTTP clients read a target like "//a" as another host.
    async with serve(normalized_app()) as base:
        reply = await raw_request(
            base, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
    head = reply.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 308 ")
    assert f"\r\nLocation: {location}\r\n" in head + "\r\n"


async def test_normalize_never_redirects_off_site() -> None:
    app = normalized_app()
    async with serve(app) as base:
        for target in (b"//evil.com", b"///evil.com", b"/\\evil.com", b"//evil.com/?q"):
            reply = await raw_request(
                base, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            head = reply.split(b"\r\n\r\n", 1)[0].lower()
            for line in head.split(b"\r\n"):
                if line.startswith(b"location:"):
                    value = line.split(b":", 1)[1].strip()
                    assert value.startswith(b"/") and not value.startswith((b"//", b"/\\"))


async def test_normalize_leaves_matches_and_misses_alone() -> None:
    async with serve(normalized_app()) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/a/")).text == "hello"
        assert (await client.get("/nowhere")).status_code == 404


async def test_normalize_remove_slash_and_redirect_class() -> None:
    app = normalized_app(
        append_slash=False, remove_slash=True, redirect_class=web.HTTPMovedPermanently
    )
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        response = await client.get("/b/")
        assert response.status_code == 301
        assert response.headers["location"] == "/b"
        assert (await client.get("/a")).status_code == 404


async def test_normalize_without_merge() -> None:
    app = normalized_app(merge_slashes=False)
    async with serve(app) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("//b")).status_code == 404


def test_normalize_rejects_contradiction() -> None:
    with pytest.raises(ValueError):
        web.normalize_path_middleware(append_slash=True, remove_slash=True)
