"""Router unit tests: resolution, 404/405, match info, names, URL building, views."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
from yarl import URL

from heron import web
from heron.test_utils import make_mocked_request


async def handler(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


async def other(request: web.Request) -> web.StreamResponse:
    return web.Response(text="other")


async def resolve(router: web.UrlDispatcher, method: str, path: str, **headers: str) -> Any:
    return await router.resolve(make_mocked_request(method, path, headers or None))


@pytest.fixture
def router() -> web.UrlDispatcher:
    return web.UrlDispatcher()


# ------------------------------------------------------------------ basic matching


async def test_plain_route_resolves(router: web.UrlDispatcher) -> None:
    route = router.add_route("GET", "/a", handler)
    info = await resolve(router, "GET", "/a")
    assert info.route is route
    assert info.handler is handler
    assert dict(info) == {}
    assert info.http_exception is None


async def test_method_is_case_insensitive(router: web.UrlDispatcher) -> None:  # B-094
    route = router.add_route("get", "/a", handler)
    assert route.method == "GET"
    assert (await resolve(router, "GET", "/a")).route is route


def test_path_must_start_with_slash(router: web.UrlDispatcher) -> None:  # B-095
    with pytest.raises(ValueError):
        router.add_route("GET", "no-slash", handler)


def test_bad_method_refused(router: web.UrlDispatcher) -> None:
    with pytest.raises(ValueError):
        router.add_route("GE T", "/a", handler)


async def test_star_matches_every_method(router: web.UrlDispatcher) -> None:  # B-096
    route = router.add_route("*", "/any", handler)
    for method in ("GET", "POST", "DELETE", "PROPFIND"):
        assert (await resolve(router, method, "/any")).route is route


async def test_plain_function_handler(router: web.UrlDispatcher) -> None:  # B-097
    def sync_handler(request: web.Request) -> web.Response:
        return web.Response(text="sync")

    router.add_get("/s", sync_handler)
    info = await resolve(router, "GET", "/s")
    response = await info.handler(make_mocked_request("GET", "/s"))
    assert response.text == "sync"


async def test_first_registered_wins(router: web.UrlDispatcher) -> None:  # B-098
    first = router.add_get("/{name}", handler)
    router.add_get("/fixed", other)
    assert (await resolve(router, "GET", "/fixed")).route is first


async def test_plain_before_dynamic_keeps_order(router: web.UrlDispatcher) -> None:
    plain = router.add_get("/users/me", other)
    dynamic = router.add_get("/users/{id}", handler)
    assert (await resolve(router, "GET", "/users/me")).route is plain
    assert (await resolve(router, "GET", "/users/42")).route is dynamic


async def test_variable_never_spans_slash(router: web.UrlDispatcher) -> None:  # B-099
    router.add_get("/a/{name}/c", handler)
    info = await resolve(router, "GET", "/a/b/c")
    assert info["name"] == "b"
    assert (await resolve(router, "GET", "/a/b/x/c")).http_exception.status == 404


async def test_custom_regex(router: web.UrlDispatcher) -> None:  # B-100
    router.add_get(r"/{id:\d+}", handler)
    assert (await resolve(router, "GET", "/123"))["id"] == "123"
    assert (await resolve(router, "GET", "/abc")).http_exception.status == 404


async def test_regex_with_braces(router: web.UrlDispatcher) -> None:
    router.add_get(r"/code/{code:\d{3}}", handler)
    assert (await resolve(router, "GET", "/code/404"))["code"] == "404"
    assert (await resolve(router, "GET", "/code/4040")).http_exception.status == 404


async def test_tail_match(router: web.UrlDispatcher) -> None:
    router.add_get("/files/{tail:.*}", handler)
    assert (await resolve(router, "GET", "/files/a/b/c.txt"))["tail"] == "a/b/c.txt"
    assert (await resolve(router, "GET", "/files/"))["tail"] == ""


async def test_several_variables_in_one_segment(router: web.UrlDispatcher) -> None:
    router.add_get("/{name}.{ext}", handler)
    info = await resolve(router, "GET", "/report.pdf")
    assert dict(info) == {"name": "report", "ext": "pdf"}


@pytest.mark.parametrize("path", ["/{", "/}", "/{1abc}", "/{a:}", "/{a}/{a}", "/{a:(}"])
def test_invalid_patterns(router: web.UrlDispatcher, path: str) -> None:
    with pytest.raises(ValueError):
        router.add_get(path, handler)


# --------------------------------------------------------------------- 404 / 405


async def test_not_found_and_not_allowed(router: web.UrlDispatcher) -> None:  # B-101, B-102
    router.add_get("/a", handler)
    router.add_post("/a", handler)
    missing = await resolve(router, "GET", "/nope")
    assert isinstance(missing.http_exception, web.HTTPNotFound)
    assert isinstance(missing.route, web.SystemRoute)
    assert missing.route.status == 404
    with pytest.raises(web.HTTPNotFound):
        await missing.handler(make_mocked_request("GET", "/nope"))

    wrong = await resolve(router, "DELETE", "/a")
    exc = wrong.http_exception
    assert isinstance(exc, web.HTTPMethodNotAllowed)
    assert set(exc.allowed_methods) == {"GET", "HEAD", "POST"}
    assert exc.method == "DELETE"
    assert set(exc.headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}
    with pytest.raises(web.HTTPMethodNotAllowed):
        await wrong.handler(make_mocked_request("DELETE", "/a"))


async def test_405_collects_methods_of_all_matching_resources(router: web.UrlDispatcher) -> None:
    router.add_get("/x/{id}", handler, allow_head=False)
    router.add_put("/x/1", handler)
    info = await resolve(router, "PATCH", "/x/1")
    assert set(info.http_exception.allowed_methods) == {"GET", "PUT"}


async def test_method_mismatch_falls_through_to_later_resource(router: web.UrlDispatcher) -> None:
    router.add_get("/item", handler)
    post = router.add_post("/{name}", other)
    assert (await resolve(router, "POST", "/item")).route is post


def test_system_route_url_raises(router: web.UrlDispatcher) -> None:  # B-103
    route = web.SystemRoute(web.HTTPNotFound())
    with pytest.raises(RuntimeError):
        route.url_for()
    with pytest.raises(RuntimeError):
        route.url()
    assert "404" in repr(route)


async def test_match_info_reprs(router: web.UrlDispatcher) -> None:
    router.add_get("/a/{x}", handler)
    assert "MatchInfo" in repr(await resolve(router, "GET", "/a/1"))
    assert repr(await resolve(router, "GET", "/b")) == "<MatchInfoError 404: Not Found>"


# ------------------------------------------------------------------ HEAD handling


async def test_add_get_adds_head(router: web.UrlDispatcher) -> None:
    router.add_get("/a", handler)
    assert (await resolve(router, "HEAD", "/a")).http_exception is None
    router.add_get("/b", handler, allow_head=False)
    info = await resolve(router, "HEAD", "/b")
    assert set(info.http_exception.allowed_methods) == {"GET"}


def test_same_method_twice_refused(router: web.UrlDispatcher) -> None:
    router.add_get("/a", handler)
    with pytest.raises(RuntimeError):
        router.add_get("/a", other)


def test_routes_share_a_resource(router: web.UrlDispatcher) -> None:
    router.add_get("/a", handler)
    router.add_post("/a", handler)
    assert len(router.resources()) == 1
    assert len(router.routes()) == 3


# --------------------------------------------------------------- percent decoding


async def test_encoded_slash_is_not_a_separator(router: web.UrlDispatcher) -> None:  # B-111
    router.add_get("/a/b", handler)
    router.add_get("/x/{name}", other)
    assert (await resolve(router, "GET", "/a%2Fb")).http_exception.status == 404
    info = await resolve(router, "GET", "/x/a%2Fb")
    assert info["name"] == "a/b"


async def test_match_info_is_decoded(router: web.UrlDispatcher) -> None:
    router.add_get("/x/{name}", handler)
    info = await resolve(router, "GET", "/x/%D0%BF%D1%80%D0%B8%20vet%25")
    assert info["name"] == "при vet%"
    info = await resolve(router, "GET", "/x/%252F")
    assert info["name"] == "%2F"


async def test_unicode_plain_route(router: web.UrlDispatcher) -> None:
    route = router.add_get("/привет", handler)
    assert (await resolve(router, "GET", "/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82")).route is route


async def test_trailing_slash_is_significant(router: web.UrlDispatcher) -> None:
    router.add_get("/a", handler)
    router.add_get("/b/", handler)
    assert (await resolve(router, "GET", "/a/")).http_exception.status == 404
    assert (await resolve(router, "GET", "/b")).http_exception.status == 404
    assert (await resolve(router, "GET", "/b/")).http_exception is None


async def test_query_is_ignored(router: web.UrlDispatcher) -> None:
    router.add_get("/a", handler)
    assert (await resolve(router, "GET", "/a?x=/b")).http_exception is None


# ------------------------------------------------------------------ names & views


def test_named_lookup(router: web.UrlDispatcher) -> None:  # B-107
    router.add_get("/", handler, name="root")
    assert "root" in router
    assert router["root"].name == "root"
    assert len(router) == 1
    assert list(router) == ["root"]
    with pytest.raises(KeyError):
        router["missing"]


@pytest.mark.parametrize("name", ["a.b", "a:b", "a-b", "a_b", "A1.b-c2:d"])
def test_valid_names(router: web.UrlDispatcher, name: str) -> None:
    router.add_get("/", handler, name=name)
    assert name in router


@pytest.mark.parametrize("name", ["a b", "1a", "a/b", "class", "a..b", "", "a@b"])
def test_invalid_names(router: web.UrlDispatcher, name: str) -> None:  # B-108
    with pytest.raises(ValueError):
        router.add_get("/", handler, name=name)


def test_duplicate_names_refused(router: web.UrlDispatcher) -> None:
    router.add_get("/a", handler, name="n")
    with pytest.raises(ValueError, match="Duplicate"):
        router.add_get("/b", handler, name="n")


def test_routes_view(router: web.UrlDispatcher) -> None:  # B-109
    r1 = router.add_get("/a", handler, allow_head=False)
    r2 = router.add_post("/b", handler)
    routes = router.routes()
    assert len(routes) == 2
    assert r1 in routes and r2 in routes
    assert list(routes) == [r1, r2]
    resources = router.resources()
    assert r1.resource in resources
    assert [r.canonical for r in resources] == ["/a", "/b"]


def test_named_resources_read_only(router: web.UrlDispatcher) -> None:  # B-110
    router.add_get("/a", handler, name="a")
    named = router.named_resources()
    assert named["a"] is router["a"]
    with pytest.raises(TypeError):
        named["b"] = router["a"]  # type: ignore[index]
    with pytest.warns(DeprecationWarning):
        assert router.named_routes()["a"] is router["a"]


def test_frozen_router_refuses_changes(router: web.UrlDispatcher) -> None:
    router.freeze()
    assert router.frozen
    with pytest.raises(RuntimeError):
        router.add_get("/a", handler)


# ------------------------------------------------------------------ URL building


def test_url_for_plain(router: web.UrlDispatcher) -> None:  # B-104
    router.add_get("/root", handler, name="root")
    url = router["root"].url_for().with_query({"a": "b", "c": "d"})
    assert str(url) == "/root?a=b&c=d"


def test_url_for_dynamic(router: web.UrlDispatcher) -> None:  # B-105
    router.add_get("/{user}/info", handler, name="handler")
    url = router["handler"].url_for(user="john_doe").with_query("a=b")
    assert str(url) == "/john_doe/info?a=b"


def test_url_for_quotes_parts(router: web.UrlDispatcher) -> None:
    router.add_get("/u/{name}", handler, name="u")
    router.add_get("/t/{tail:.*}", handler, name="t")
    assert router["u"].url_for(name="a b/c?d#e%").raw_path == "/u/a%20b%2Fc%3Fd%23e%25"
    assert router["u"].url_for(name="при").raw_path == "/u/%D0%BF%D1%80%D0%B8"
    assert router["t"].url_for(tail="css/a b.css").raw_path == "/t/css/a%20b.css"
    with pytest.raises(KeyError):
        router["u"].url_for()


async def test_url_for_round_trips(router: web.UrlDispatcher) -> None:
    router.add_get("/u/{name}", handler, name="u")
    for value in ("a/b", "x y", "100%", "ü?#&=+"):
        url = router["u"].url_for(name=value)
        assert (await resolve(router, "GET", url.raw_path))["name"] == value


def test_route_url_for_delegates(router: web.UrlDispatcher) -> None:
    route = router.add_get("/x/{a}", handler, name="x")
    assert str(route.url_for(a="1")) == "/x/1"
    assert route.name == "x"
    assert route.get_info()["formatter"] == "/x/{a}"


def test_static_url_for(router: web.UrlDispatcher, tmp_path: pathlib.Path) -> None:  # B-106
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "logo.png").write_bytes(b"png")
    router.add_static("/st", tmp_path, name="static")
    url = router["static"].url_for(filename="img/logo.png").with_query({"param": 1})
    assert str(url) == "/st/img/logo.png?param=1"
    spaced = router["static"].url_for(filename="a b.txt")
    assert spaced.raw_path == "/st/a%20b.txt"


def test_static_url_for_append_version(router: web.UrlDispatcher, tmp_path: pathlib.Path) -> None:
    (tmp_path / "app.js").write_bytes(b"console.log(1)")
    res = router.add_static("/st", tmp_path, name="s", append_version=True)
    v1 = res.url_for(filename="app.js").query["v"]
    assert v1 and res.url_for(filename="app.js").path == "/st/app.js"
    assert "v" not in res.url_for(filename="app.js", append_version=False).query
    assert "v" not in res.url_for(filename="missing.js").query
    (tmp_path / "app.js").write_bytes(b"console.log(22)")
    assert res.url_for(filename="app.js").query["v"] != v1


def test_static_directory_must_exist(router: web.UrlDispatcher, tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError):
        router.add_static("/st", tmp_path / "missing")


# ---------------------------------------------------------------- route tables


def test_route_table_def(router: web.UrlDispatcher, tmp_path: pathlib.Path) -> None:
    routes = web.RouteTableDef()

    @routes.get("/g", name="g")
    async def g(request: web.Request) -> web.Response:
        return web.Response()

    @routes.post("/p")
    @routes.put("/p")
    @routes.patch("/p")
    @routes.delete("/p")
    @routes.head("/h")
    @routes.options("/o")
    @routes.route("PROPFIND", "/dav")
    async def many(request: web.Request) -> web.Response:
        return web.Response()

    @routes.view("/v")
    class V(web.View):
        async def get(self) -> web.Response:
            return web.Response()

    routes.static("/s", tmp_path)
    assert len(routes) == 10
    assert isinstance(routes[0], web.RouteDef)
    assert "RouteTableDef count=10" in repr(routes)
    registered = router.add_routes(routes)
    methods = sorted(r.method for r in router.routes())
    expected = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND"]
    assert methods == sorted([*expected, "*", "GET", "HEAD"])
    assert len(registered) == 11  # the static def registers GET and HEAD
    assert router["g"].url_for() == URL("/g")


def test_route_functions(router: web.UrlDispatcher, tmp_path: pathlib.Path) -> None:
    defs = [
        web.get("/a", handler, name="a"),
        web.get("/noh", handler, allow_head=False),
        web.post("/a", handler),
        web.put("/a", handler),
        web.patch("/a", handler),
        web.delete("/a", handler),
        web.head("/h", handler),
        web.options("/o", handler),
        web.view("/v", handler),
        web.route("LINK", "/l", handler),
        web.static("/st", tmp_path, name="st"),
    ]
    assert "<RouteDef GET /a -> 'handler'" in repr(defs[0])
    assert "StaticDef /st" in repr(defs[-1])
    router.add_routes(defs)
    assert {r.method for r in router.routes()} >= {"GET", "HEAD", "POST", "LINK", "*"}
    assert "st" in router


# ---------------------------------------------------------------- class views


async def test_view_dispatch_and_405() -> None:
    class MyView(web.View):
        async def get(self) -> web.Response:
            return web.Response(text=f"get {self.request.path}")

        async def post(self) -> web.Response:
            return web.Response(text="post")

    response = await MyView(make_mocked_request("GET", "/v"))
    assert response.text == "get /v"
    assert (await MyView(make_mocked_request("POST", "/v"))).text == "post"
    with pytest.raises(web.HTTPMethodNotAllowed) as info:
        await MyView(make_mocked_request("DELETE", "/v"))
    assert set(info.value.allowed_methods) == {"GET", "POST"}
    with pytest.raises(web.HTTPMethodNotAllowed):
        await MyView(make_mocked_request("FOO", "/v"))


async def test_view_registered_with_add_view(router: web.UrlDispatcher) -> None:
    class MyView(web.View):
        async def get(self) -> web.Response:
            return web.Response(text="view")

    route = router.add_view("/v", MyView)
    info = await resolve(router, "POST", "/v")
    assert info.route is route
    response = await info.handler(make_mocked_request("GET", "/v"))
    assert response.text == "view"
