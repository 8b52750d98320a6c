"""Sub-applications: prefixes, domains, their middlewares, signals and URL building."""

from __future__ import annotations

from typing import Any

import pytest
from app_helpers import ClientFactory

from heron import web
from heron.test_utils import TestClient, TestServer


def tracing(name: str, log: list[str]) -> Any:
    @web.middleware
    async def mw(request: web.Request, handler: Any) -> web.StreamResponse:
        log.append(f"{name}:{request.app['name']}")
        try:
            response: web.StreamResponse = await handler(request)
        except web.HTTPNotFound:
            return web.Response(text=f"{name} caught 404", status=404)
        return response

    return mw


async def who(request: web.Request) -> web.Response:
    return web.Response(text=f"{request.app['name']} {dict(request.match_info)}")


def build() -> tuple[web.Application, web.Application, list[str]]:
    log: list[str] = []
    root = web.Application(middlewares=[tracing("root-mw", log)])
    root["name"] = "root"
    root.router.add_get("/", who, name="index")
    sub = web.Application(middlewares=[tracing("sub-mw", log)])
    sub["name"] = "sub"
    sub.router.add_get("/", who, name="sub-index")
    sub.router.add_get("/items/{id}", who, name="item")
    root.add_subapp("/api/", sub)
    return root, sub, log


async def text(client: TestClient, path: str, **kwargs: Any) -> str:
    return await (await client.get(path, **kwargs)).text()


async def test_prefix_routing_and_middleware_order(aiohttp_client: ClientFactory) -> None:
    root, _, log = build()
    client = await aiohttp_client(root)
    assert await text(client, "/") == "root {}"
    assert log == ["root-mw:root"]
    log.clear()
    assert await text(client, "/api/items/5") == "sub {'id': '5'}"
    # The root middleware runs first, with request.app being the root app.
    assert log == ["root-mw:root", "sub-mw:sub"]
    assert await text(client, "/api/") == "sub {}"


async def test_subapp_404_goes_through_subapp_middlewares(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(build()[0])
    response = await client.get("/api/missing")
    assert (response.status, await response.text()) == (404, "sub-mw caught 404")
    assert await text(client, "/elsewhere") == "root-mw caught 404"


async def test_subapp_405(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(build()[0])
    response = await client.delete("/api/items/1")
    assert response.status == 405
    assert set(response.headers["allow"].split(",")) == {"GET", "HEAD"}


async def test_prefix_does_not_match_longer_segment(aiohttp_client: ClientFactory) -> None:
    root, _, _ = build()
    root.router.add_get("/apiary", who)
    client = await aiohttp_client(root)
    assert await text(client, "/apiary") == "root {}"


def test_url_building_includes_prefix() -> None:
    root, sub, _ = build()
    assert str(sub.router["item"].url_for(id="7")) == "/api/items/7"
    assert str(sub.router["sub-index"].url_for()) == "/api/"
    resource = next(r for r in root.router.resources() if isinstance(r, web.PrefixedSubAppResource))
    with pytest.raises(RuntimeError):
        resource.url_for()
    assert resource.get_info()["prefix"] == "/api"
    assert len(resource) == 4  # GET and HEAD on "/" and on items
    assert "PrefixedSubAppResource /api" in repr(resource)


def test_nested_subapps_get_every_prefix() -> None:
    root, inner, deepest = web.Application(), web.Application(), web.Application()
    deepest.router.add_get("/leaf", who, name="leaf")
    inner.add_subapp("/b", deepest)
    root.add_subapp("/a", inner)
    assert str(deepest.router["leaf"].url_for()) == "/a/b/leaf"


async def test_nested_subapps_resolve(aiohttp_client: ClientFactory) -> None:
    root, inner, deepest = web.Application(), web.Application(), web.Application()
    for app, name in ((root, "root"), (inner, "inner"), (deepest, "deepest")):
        app["name"] = name
    deepest.router.add_get("/leaf/{x}", who)
    inner.add_subapp("/b", deepest)
    root.add_subapp("/a", inner)
    client = await aiohttp_client(root)
    assert await text(client, "/a/b/leaf/1") == "deepest {'x': '1'}"


def test_subapp_rules() -> None:
    root, sub = web.Application(), web.Application()
    with pytest.raises(ValueError):
        root.add_subapp("/", sub)
    with pytest.raises(TypeError):
        root.add_subapp(1, sub)  # type: ignore[arg-type]
    root.add_subapp("/x", sub)
    with pytest.raises(RuntimeError):
        web.Application().add_subapp("/y", sub)  # already mounted
    assert sub.pre_frozen
    with pytest.raises(RuntimeError):
        sub.router.add_get("/late", who)


async def test_subapp_signals_fire_with_parent() -> None:
    calls: list[str] = []
    root, sub = web.Application(), web.Application()

    def recorder(label: str) -> Any:
        async def receiver(app: web.Application) -> None:
            calls.append(label)

        return receiver

    for app, name in ((root, "root"), (sub, "sub")):
        app.on_startup.append(recorder(f"{name}-startup"))
        app.on_shutdown.append(recorder(f"{name}-shutdown"))
        app.on_cleanup.append(recorder(f"{name}-cleanup"))
    root.add_subapp("/sub", sub)
    async with TestServer(root):
        assert calls == ["root-startup", "sub-startup"]
    assert calls == [
        "root-startup",
        "sub-startup",
        "root-shutdown",
        "sub-shutdown",
        "root-cleanup",
        "sub-cleanup",
    ]
    assert sub.frozen


async def test_on_response_prepare_fires_for_each_app(aiohttp_client: ClientFactory) -> None:
    root, sub = web.Application(), web.Application()
    sub["name"] = "sub"

    def stamp(label: str) -> Any:
        async def receiver(request: web.Request, response: web.StreamResponse) -> None:
            response.headers.add("X-Prepared", label)

        return receiver

    root.on_response_prepare.append(stamp("root"))
    sub.on_response_prepare.append(stamp("sub"))
    sub.router.add_get("/x", who)
    root.add_subapp("/sub", sub)
    response = await (await aiohttp_client(root)).get("/sub/x")
    assert response.headers.getall("x-prepared") == ["root", "sub"]


async def test_add_domain(aiohttp_client: ClientFactory) -> None:
    root, exact, masked = web.Application(), web.Application(), web.Application()
    for app, name in ((root, "root"), (exact, "exact"), (masked, "masked")):
        app["name"] = name
        if app is not root:
            app.router.add_get("/", who)
    # Domain rules come before the root's own "/": routes are tried in order.
    root.add_domain("example.com", exact)
    root.add_domain("*.example.org", masked)
    root.router.add_get("/", who)
    client = await aiohttp_client(root)
    for host, expected in (
        ("example.com", "exact {}"),
        ("EXAMPLE.com:8080", "exact {}"),
        ("a.example.org", "masked {}"),
        ("a.b.example.org", "masked {}"),
        ("example.org", "root {}"),
        ("other.com", "root {}"),
    ):
        assert await text(client, "/", headers={"Host": host}) == expected, host


def test_domain_validation() -> None:
    app = web.Application()
    for bad in ("", "http://example.com", "example.com/path", "example.com?q"):
        with pytest.raises(ValueError):
            app.add_domain(bad, web.Application())
    with pytest.raises(TypeError):
        app.add_domain(1, web.Application())  # type: ignore[arg-type]
    resource = app.add_domain("Example.COM:8080", web.Application())
    assert resource.canonical == "example.com:8080"
    with pytest.raises(RuntimeError):
        resource.url_for()


async def test_domain_with_port_needs_that_port(aiohttp_client: ClientFactory) -> None:
    root, sub = web.Application(), web.Application()
    sub["name"], root["name"] = "sub", "root"
    sub.router.add_get("/", who)
    root.add_domain("example.com:8443", sub)
    root.router.add_get("/", who)
    client = await aiohttp_client(root)
    assert await text(client, "/", headers={"Host": "example.com:8443"}) == "sub {}"
    assert await text(client, "/", headers={"Host": "example.com"}) == "root {}"
