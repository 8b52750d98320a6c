"""0.x signals (DebugSignal, PreSignal, PostSignal) and route classes (PlainRoute, ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from legacy_helpers import WebServer

import heron
from heron import signals, web


async def test_pre_and_post_signals_pass_ordinal_and_name() -> None:
    with pytest.warns(DeprecationWarning, match=r"PreSignal.*heron.signals.Signal") as record:
        pre = signals.PreSignal()
    assert record[0].filename == __file__
    with pytest.warns(DeprecationWarning, match="PostSignal"):
        post = signals.PostSignal()
    calls: list[tuple[Any, ...]] = []

    async def receiver(ordinal: int, name: str, *args: Any, **kwargs: Any) -> None:
        calls.append((ordinal, name, args, kwargs))

    pre.append(receiver)
    post.append(receiver)
    first, second = pre.ordinal(), pre.ordinal()
    assert (first, second) == (1, 2)
    await pre.send(first, "on_startup", "app", flag=True)
    await post.send(first, "on_startup", "app")
    assert calls == [
        (1, "on_startup", ("app",), {"flag": True}),
        (1, "on_startup", ("app",), {}),
    ]
    assert isinstance(pre, signals.DebugSignal) and isinstance(post, signals.DebugSignal)
    pre.freeze()
    with pytest.raises(RuntimeError):
        pre.append(receiver)


def test_base_signal_is_the_frozen_list() -> None:
    with pytest.warns(DeprecationWarning, match=r"BaseSignal.*FrozenList"):
        assert signals.BaseSignal is signals.FrozenList
    with pytest.raises(AttributeError):
        signals.NoSuchSignal  # noqa: B018


async def handler(request: web.Request) -> web.Response:
    return web.Response(text=f"hi {request.match_info.get('name', '')}".strip())


def test_route_kinds_recognise_modern_routes(tmp_path: Path) -> None:
    app = web.Application()
    plain = app.router.add_route("GET", "/a", handler)
    dynamic = app.router.add_route("GET", "/u/{name}", handler)
    static = app.router.add_static("/s", tmp_path)
    with pytest.warns(DeprecationWarning, match=r"heron.web.PlainRoute.*PlainResource"):
        plain_route = web.PlainRoute
    with pytest.warns(DeprecationWarning, match="DynamicRoute"):
        dynamic_route = web.DynamicRoute
    with pytest.warns(DeprecationWarning, match="StaticRoute"):
        static_route = web.StaticRoute
    assert isinstance(plain, plain_route) and not isinstance(plain, dynamic_route)
    assert isinstance(dynamic, dynamic_route) and not isinstance(dynamic, plain_route)
    assert isinstance(static, static_route) and not isinstance(plain, static_route)
    assert issubclass(web.StaticResource, static_route)
    with pytest.warns(DeprecationWarning):
        assert dynamic.url(parts={"name": "x"}, query={"q": "1"}) == "/u/x?q=1"


async def test_built_routes_register_and_serve(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("file")
    app = web.Application()
    with pytest.warns(DeprecationWarning):
        plain_cls, dynamic_cls, static_cls = web.PlainRoute, web.DynamicRoute, web.StaticRoute
    plain = plain_cls("GET", handler, "plain", "/p")
    dynamic = dynamic_cls("GET", handler, None, None, "/d/{name}")
    static = static_cls("files", "/files", tmp_path)
    assert isinstance(plain, web.ResourceRoute) and isinstance(static, web.StaticResource)
    for item in (plain, dynamic, static):
        with pytest.warns(DeprecationWarning, match=r"register_route.*register_resource"):
            app.router.register_route(item)
    assert app.router["plain"].url_for() == heron.URL("/p")
    async with WebServer(app) as server, heron.ClientSession() as session:
        for path, text in (("/p", "hi"), ("/d/bob", "hi bob"), ("/files/f.txt", "file")):
            async with session.get(server.url(path)) as resp:
                assert resp.status == 200 and await resp.text() == text


def test_unknown_web_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        web.NoSuchRoute  # noqa: B018
