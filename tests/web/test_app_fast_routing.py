"""The application's one-call routing gives the same answers as the general path.

A frozen app with the default router resolves plain and dynamic routes without the
general machinery, and builds a plain route's match info only when asked; these
tests pin that every way of looking at the result is unchanged.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from app_helpers import ClientFactory, ServerFactory, raw_request

from heron import web
from heron.test_utils import make_mocked_request

KEY = web.AppKey("key", str)


async def test_plain_route_match_info_on_demand(aiohttp_client: ClientFactory) -> None:
    app = web.Application()
    app[KEY] = "root"

    async def show(request: web.Request) -> web.Response:
        info = request.match_info
        assert info is request.match_info  # built once
        with pytest.raises(RuntimeError):
            info.add_app(app)  # frozen, as after routing
        return web.json_response(
            {
                "dict": dict(info),
                "method": info.route.method,
                "canonical": info.route.resource.canonical,
                "info": info.get_info(),
                "apps": info.apps == (app,),
                "current": info.current_app is app and request.app is app,
                "config": request.config_dict[KEY],
                "exception": info.http_exception,
            }
        )

    app.router.add_get("/show", show)
    client = await aiohttp_client(app)
    for target in ("/show", "/show?x=1"):
        response = await client.get(target)
        assert await response.json() == {
            "dict": {},
            "method": "GET",
            "canonical": "/show",
            "info": {"path": "/show"},
            "apps": True,
            "current": True,
            "config": "root",
            "exception": None,
        }


async def test_encoded_and_query_targets(aiohttp_server: ServerFactory) -> None:
    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="plain " + request.query_string)

    async def item(request: web.Request) -> web.Response:
        return web.Response(text="item " + request.match_info["name"])

    app = web.Application()
    app.router.add_get("/a b", plain)
    app.router.add_get("/items/{name}", item)
    server = await aiohttp_server(app)
    cases = {
        b"/a%20b?q=1": b"plain q=1",
        b"/items/x%2Fy": b"item x/y",
        b"/items/z?k=v": b"item z",
    }
    for target, body in cases.items():
        raw = await raw_request(
            server, b"GET " + target + b" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        )
        assert raw.startswith(b"HTTP/1.1 200 ") and raw.endswith(body), (target, raw)


async def test_first_registered_route_still_wins(aiohttp_client: ClientFactory) -> None:
    def answer(text: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(text=text + ":" + ",".join(request.match_info.values()))

        return handler

    app = web.Application()
    app.router.add_get("/users/{id}", answer("dynamic"))
    app.router.add_get("/users/me", answer("me"))
    app.router.add_get("/pages/about", answer("about"))
    app.router.add_get("/pages/{page}", answer("page"))
    client = await aiohttp_client(app)
    assert await (await client.get("/users/me")).text() == "dynamic:me"
    assert await (await client.get("/users/7")).text() == "dynamic:7"
    assert await (await client.get("/pages/about")).text() == "about:"
    assert await (await client.get("/pages/faq")).text() == "page:faq"


async def test_405_404_and_any_method_routes(aiohttp_client: ClientFactory) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text=request.method)

    app = web.Application()
    app.router.add_get("/plain", ok)
    app.router.add_get("/dyn/{x}", ok)
    app.router.add_route("*", "/any", ok)
    app.router.add_route("*", "/anydyn/{x}", ok)
    client = await aiohttp_client(app)
    for path in ("/plain", "/dyn/1"):
        response = await client.post(path)
        assert response.status == 405
        assert set(response.headers["Allow"].split(",")) == {"GET", "HEAD"}
    for path in ("/any", "/anydyn/1"):
        assert await (await client.post(path)).text() == "POST"
    assert (await client.get("/nowhere")).status == 404
    assert (await client.get("/dyn/1/2")).status == 404


async def test_expect_handler_runs_for_plain_routes(aiohttp_server: ServerFactory) -> None:
    seen: list[str] = []

    async def expect(request: web.Request) -> None:
        seen.append(request.match_info.route.method)

    async def upload(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_post("/up", upload, expect_handler=expect)
    server = await aiohttp_server(app)
    raw = await raw_request(
        server,
        b"POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
        b"Connection: close\r\n\r\nhi",
    )
    assert raw.endswith(b"hi") and b" 200 " in raw
    assert seen == ["POST"]


async def test_middlewares_see_routed_requests(aiohttp_client: ClientFactory) -> None:
    @web.middleware
    async def tag(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        info = request.match_info
        response.headers["X-Route"] = f"{info.route.method} {dict(info)} {request.app is app}"
        return response

    async def old_style(app: web.Application, handler: Any) -> Any:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            response: web.StreamResponse = await handler(request)
            response.headers["X-Old"] = request.match_info.route.resource.canonical
            return response

        return wrapped

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    with pytest.warns(DeprecationWarning):
        app = web.Application(middlewares=[tag, old_style])
        app.router.add_get("/p", ok)
        app.router.add_get("/d/{v}", ok)
        client = await aiohttp_client(app)
    plain = await client.get("/p")
    assert plain.headers["X-Route"] == "GET {} True" and plain.headers["X-Old"] == "/p"
    dynamic = await client.get("/d/1")
    assert dynamic.headers["X-Route"] == "GET {'v': '1'} True"
    assert dynamic.headers["X-Old"] == "/d/{v}"


async def test_root_routes_next_to_sub_apps(aiohttp_client: ClientFactory) -> None:
    root = web.Application()
    sub = web.Application()

    async def where(request: web.Request) -> web.Response:
        apps = request.match_info.apps
        name = "sub" if request.app is sub else "root"
        return web.Response(text=f"{name} {len(apps)}")

    root.router.add_get("/", where)
    root.router.add_get("/r/{x}", where)
    sub.router.add_get("/", where)
    sub.router.add_get("/s/{x}", where)
    root.add_subapp("/sub", sub)
    client = await aiohttp_client(root)
    assert await (await client.get("/")).text() == "root 1"
    assert await (await client.get("/r/1")).text() == "root 1"
    assert await (await client.get("/sub/")).text() == "sub 2"
    assert await (await client.get("/sub/s/1")).text() == "sub 2"


async def test_on_response_prepare_and_clones(aiohttp_client: ClientFactory) -> None:
    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        response.headers["X-Stamp"] = request.match_info.route.method

    async def cloned(request: web.Request) -> web.StreamResponse:
        clone = request.clone(headers={"X-A": "1"})
        assert clone.match_info is request.match_info and clone.app is request.app
        response = web.Response(text="c")
        await response.prepare(clone)  # prepared through the clone: still stamped
        return response

    app = web.Application()
    app.on_response_prepare.append(stamp)
    app.router.add_get("/c", cloned)
    client = await aiohttp_client(app)
    response = await client.get("/c")
    assert response.headers["X-Stamp"] == "GET" and await response.text() == "c"


async def test_mocked_request_still_fires_on_response_prepare() -> None:
    app = web.Application()
    fired: list[int] = []

    async def receiver(request: web.Request, response: web.StreamResponse) -> None:
        fired.append(response.status)

    app.on_response_prepare.append(receiver)
    request = make_mocked_request("GET", "/", app=app)
    response = web.Response(text="x", status=201)
    await response.prepare(request)
    assert fired == [201]


async def test_custom_request_class_and_client_max_size(aiohttp_client: ClientFactory) -> None:
    class MyRequest(web.Request):
        pass

    class MyApp(web.Application):
        def _make_request(self, *args: Any, **kwargs: Any) -> web.Request:
            message, payload, protocol, writer, task = args
            return super()._make_request(message, payload, protocol, writer, task, _cls=MyRequest)

    async def echo(request: web.Request) -> web.Response:
        assert type(request) is MyRequest
        return web.Response(text=str(request.client_max_size))

    app = MyApp(client_max_size=5)
    app.router.add_post("/", echo)
    client = await aiohttp_client(app)
    assert await (await client.post("/", data=b"x")).text() == "5"
    assert (await client.post("/", data=b"x" * 6)).status == 200  # handler does not read


async def test_unfrozen_app_handles_requests_the_general_way() -> None:
    app = web.Application()

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text=str(request.match_info.route.method))

    app.router.add_get("/", ok)
    request = make_mocked_request("GET", "/", app=app)
    response = await app._handle(request)
    assert isinstance(response, web.Response) and response.text == "GET"


def _json(**kwargs: Any) -> web.Response:
    return web.json_response(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "status", "reason", "ctype", "body"),
    [
        ({"data": {"a": 1}}, 200, "OK", "application/json", b'{"a": 1}'),
        ({"data": [1], "status": 201}, 201, "Created", "application/json", b"[1]"),
        ({"data": None, "status": 299, "reason": "Fine"}, 299, "Fine", "application/json", b"null"),
        ({"text": '"x"'}, 200, "OK", "application/json", b'"x"'),
        ({"body": b"{}"}, 200, "OK", "application/json", b"{}"),
        ({"data": 1, "content_type": "application/x+json"}, 200, "OK", "application/x+json", b"1"),
        ({"data": 1, "headers": {"X-A": "b"}}, 200, "OK", "application/json", b"1"),
    ],
)
async def test_json_response_shapes(
    kwargs: dict[str, Any], status: int, reason: str, ctype: str, body: bytes
) -> None:
    response = _json(**kwargs)
    assert (response.status, response.reason) == (status, reason)
    assert response.content_type == ctype
    assert response.body == body
    request = make_mocked_request("GET", "/")
    await response.prepare(request)
    await response.write_eof()
    head = request.writer.head.decode()  # type: ignore[attr-defined]
    assert f"Content-Type: {ctype}" in head and f"Content-Length: {len(body)}" in head


async def test_json_response_text_checks() -> None:
    class Text(str):
        pass

    assert web.json_response(data=1, dumps=lambda d: Text("7")).body == b"7"
    with pytest.raises(TypeError):
        web.json_response(data=1, dumps=lambda d: b"7")  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError):
        web.json_response(data=1, text="1")


async def test_many_requests_on_one_connection(aiohttp_client: ClientFactory) -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info.get("n", "plain"))

    app = web.Application()
    app.router.add_get("/", ok)
    app.router.add_get("/n/{n}", ok)
    client = await aiohttp_client(app)
    texts = await asyncio.gather(*(client.get(f"/n/{i}") for i in range(5)), client.get("/"))
    assert [await r.text() for r in texts] == ["0", "1", "2", "3", "4", "plain"]


def test_app_builds_requests_like_the_constructor() -> None:
    # The application skips Request.__init__ for speed; the fields must not drift.
    from heron.web.request import Request, _new_request

    model = make_mocked_request("POST", "/x?y=1", headers={"A": "b"})
    args = (model._message, model._payload, model._protocol, model.writer, model.task, model._loop)
    built = Request(*args)
    fast = _new_request(Request, *args)
    assert type(fast) is Request and vars(fast) == vars(built)
    assert fast.method == "POST" and fast.query_string == "y=1" and fast.headers["A"] == "b"
    assert fast.client_max_size == 1024**2 and len(fast) == 0
    built_small = Request(*args, client_max_size=10)
    via_app = web.Application(client_max_size=10)._make_request(*args[:5])
    assert type(via_app) is Request and vars(via_app) == vars(built_small)


async def test_handle_replaces_a_mocked_match_info() -> None:
    app = web.Application()

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text=request.match_info.route.resource.canonical)

    app.router.add_get("/here", ok)
    app.freeze()
    request = make_mocked_request("GET", "/here", app=web.Application())
    response = await app._handle(request)
    assert isinstance(response, web.Response) and response.text == "/here"
    assert request.app is app and request.match_info.apps == (app,)


async def test_deep_and_root_patterns(aiohttp_client: ClientFactory) -> None:
    async def show(request: web.Request) -> web.Response:
        return web.Response(text=repr(sorted(request.match_info.items())))

    app = web.Application()
    app.router.add_get("/{name}", show)
    app.router.add_get("/a/b/{x}", show)
    app.router.add_get("/a/{y}", show)
    flat = web.Application()
    flat.router.add_get("/users/{id}", show)
    client = await aiohttp_client(app)
    assert await (await client.get("/zzz")).text() == "[('name', 'zzz')]"
    assert await (await client.get("/a/b/1")).text() == "[('x', '1')]"
    assert await (await client.get("/a/q")).text() == "[('y', 'q')]"
    assert (await client.get("/a/b/1/2")).status == 404
    flat_client = await aiohttp_client(flat)
    assert await (await flat_client.get("/users/7?x=1")).text() == "[('id', '7')]"
    assert (await flat_client.get("/users/7/extra")).status == 404
    assert (await flat_client.get("/nobody/7")).status == 404
