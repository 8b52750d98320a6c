"""web.BaseRequest/Request properties and body methods, on real connections."""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from server_helpers import serve

from heron import web
from heron.helpers import ETag

Probe = Callable[[web.BaseRequest], Awaitable[Any]]


async def probe(raw: bytes, fn: Probe, **server_kwargs: Any) -> Any:
    """Send ``raw``, run ``fn(request)`` in the handler and return what it returned."""
    result: list[Any] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        result.append(await fn(request))
        return web.Response(text="done")

    async with serve(handler, **server_kwargs) as srv:
        conn = await srv.connect()
        conn.send(raw)
        reply = await conn.response()
        await conn.close()
    assert reply.status == 200, reply.body
    return result[0]


def get(target: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {target} HTTP/{version}", *headers]
    if version == "1.1" and not any(h.lower().startswith("host:") for h in headers):
        lines.append("Host: example.org")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post(body: bytes, *headers: str, method: str = "POST", target: str = "/") -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: x", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def test_request_line_properties() -> None:  # B-115, B-119, B-120
    async def fn(r: web.BaseRequest) -> dict[str, Any]:
        return {
            "method": r.method,
            "version": r.version,
            "path": r.path,
            "raw_path": r.raw_path,
            "path_qs": r.path_qs,
            "query_string": r.query_string,
            "query": dict(r.query),
            "url": str(r.url),
            "rel_url": str(r.rel_url),
            "host": r.host,
            "scheme": r.scheme,
            "secure": r.secure,
        }

    info = await probe(get("/app/blog?id=10"), fn)
    assert info == {
        "method": "GET",
        "version": (1, 1),
        "path": "/app/blog",
        "raw_path": "/app/blog?id=10",
        "path_qs": "/app/blog?id=10",
        "query_string": "id=10",
        "query": {"id": "10"},
        "url": "http://example.org/app/blog?id=10",
        "rel_url": "/app/blog?id=10",
        "host": "example.org",
        "scheme": "http",
        "secure": False,
    }
    decoded = await probe(get("/a%2Fb%20c"), lambda r: _pair(r.path, r.raw_path))
    assert decoded == ("/a/b c", "/a%2Fb%20c")


async def _pair(a: Any, b: Any) -> tuple[Any, Any]:
    return a, b


async def _value(v: Any) -> Any:
    return v


async def test_blank_query_values_are_kept() -> None:  # B-121
    assert await probe(get("/?arg="), lambda r: _value(r.query["arg"])) == ""
    with pytest.deprecated_call():
        assert await probe(get("/?arg="), lambda r: _value(r.GET["arg"])) == ""


async def test_defaults_without_headers() -> None:  # B-116, B-117, B-118
    async def fn(r: web.BaseRequest) -> tuple[Any, ...]:
        return r.content_type, r.charset, r.content_length, r.host, r.body_exists

    result = await probe(get("/", version="1.0"), fn)
    assert result == ("application/octet-stream", None, None, None, False)


async def test_url_without_host_uses_the_socket() -> None:
    url = await probe(get("/x", version="1.0"), lambda r: _value(str(r.url)))
    assert url.startswith("http://127.0.0.1:") and url.endswith("/x")


async def test_keep_alive() -> None:  # B-131
    assert await probe(get("/"), lambda r: _value(r.keep_alive)) is True
    assert await probe(get("/", "Connection: close"), lambda r: _value(r.keep_alive)) is False
    assert await probe(get("/", version="1.0"), lambda r: _value(r.keep_alive)) is False


async def test_transport_and_remote() -> None:  # B-135
    async def fn(r: web.BaseRequest) -> tuple[Any, ...]:
        assert r.transport is not None
        return r.transport.get_extra_info("peername")[0], r.remote, r.get_extra_info("peername")

    peer, remote, via_request = await probe(get("/"), fn)
    assert peer == remote == "127.0.0.1"
    assert via_request[0] == "127.0.0.1"


async def test_headers_and_cookies() -> None:  # B-134 (storage) and cookies
    async def fn(r: web.BaseRequest) -> dict[str, Any]:
        r["user"] = "alice"
        with pytest.raises(NotImplementedError):
            r.copy()
        return {
            "headers": r.headers.getall("X-Multi"),
            "raw": [h for h in r.raw_headers if h[0] == b"X-Multi"],
            "cookies": dict(r.cookies),
            "stored": (r["user"], len(r), list(r)),
        }

    info = await probe(get("/", "X-Multi: 1", "X-Multi: 2", 'Cookie: a=1; b="two"; junk; c=3'), fn)
    assert info == {
        "headers": ["1", "2"],
        "raw": [(b"X-Multi", b"1"), (b"X-Multi", b"2")],
        "cookies": {"a": "1", "b": "two", "c": "3"},
        "stored": ("alice", 1, ["user"]),
    }


async def test_content_type_and_charset() -> None:
    async def fn(r: web.BaseRequest) -> tuple[Any, ...]:
        return r.content_type, r.charset, r.content_length

    raw = post(b"{}", "Content-Type: Application/JSON; charset=latin-1")
    assert await probe(raw, fn) == ("application/json", "latin-1", 2)


async def test_body_is_cached() -> None:  # B-126, B-127, B-133
    async def fn(r: web.BaseRequest) -> tuple[Any, ...]:
        first = await r.read()
        second = await r.read()
        return (
            first,
            second,
            await r.text(),
            await r.json(),
            await r.json(),
            r.body_exists,
            r.can_read_body,
        )

    result = await probe(post(b'{"a": 1}'), fn)
    assert result == (b'{"a": 1}', b'{"a": 1}', '{"a": 1}', {"a": 1}, {"a": 1}, True, False)


async def test_has_body_is_deprecated() -> None:
    with pytest.deprecated_call():
        assert await probe(post(b"x"), lambda r: _value(r.has_body)) is True


async def test_text_uses_the_charset() -> None:  # B-128
    body = "héllo".encode("latin-1")
    raw = post(body, "Content-Type: text/plain; charset=latin-1")
    assert await probe(raw, lambda r: r.text()) == "héllo"


async def test_json_with_custom_loader() -> None:  # B-129
    async def fn(r: web.BaseRequest) -> Any:
        return await r.json(loads=lambda s: ("custom", s)), await r.json(loader=len)

    assert await probe(post(b"[1]"), fn) == (("custom", "[1]"), 3)


async def test_post_urlencoded() -> None:  # B-122, B-124
    async def fn(r: web.BaseRequest) -> Any:
        with pytest.deprecated_call(), pytest.raises(RuntimeError):
            r.POST  # noqa: B018
        form = await r.post()
        again = await r.post()
        with pytest.deprecated_call():
            legacy = r.POST
        return list(form.items()), again is form, legacy is form

    raw = post(b"a=1&b=%C3%A9&a=2&empty=", "Content-Type: application/x-www-form-urlencoded")
    items, same, legacy = await probe(raw, fn)
    assert items == [("a", "1"), ("b", "é"), ("a", "2"), ("empty", "")]
    assert same and legacy


async def test_post_on_get_or_other_types_is_empty() -> None:  # B-123
    assert await probe(get("/"), lambda r: _form(r)) == []
    raw = post(b"a=1", "Content-Type: application/json")
    assert await probe(raw, lambda r: _form(r)) == []


async def _form(r: web.BaseRequest) -> list[tuple[str, Any]]:
    return list((await r.post()).items())


async def test_client_max_size() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        return web.Response(text="read")

    def factory(message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> Any:
        return web.BaseRequest(
            message, payload, protocol, writer, task, protocol._loop, client_max_size=10
        )

    async with serve(handler, request_factory=factory) as srv:
        for size, status in ((11, 413), (10, 200)):
            conn = await srv.connect()
            conn.send(post(b"x" * size))
            reply = await conn.response()
            await conn.close()
            assert reply.status == status
            if status == 413:
                assert b"Maximum request body size 10 exceeded" in reply.body
        # A chunked body has no declared length: the limit applies while reading.
        conn = await srv.connect()
        conn.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
        )
        assert (await conn.response()).status == 413
        await conn.close()


async def test_conditional_headers() -> None:  # B-130
    async def fn(r: web.BaseRequest) -> dict[str, Any]:
        return {
            "ims": r.if_modified_since,
            "ius": r.if_unmodified_since,
            "ir": r.if_range,
            "im": r.if_match,
            "inm": r.if_none_match,
        }

    info = await probe(
        get(
            "/",
            "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
            "If-Unmodified-Since: garbage",
            "If-Match: *",
            'If-None-Match: "a", W/"b"',
        ),
        fn,
    )
    assert info == {
        "ims": datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=datetime.UTC),
        "ius": None,
        "ir": None,
        "im": (ETag("*"),),
        "inm": (ETag("a"), ETag("b", is_weak=True)),
    }
    missing = await probe(get("/"), fn)
    assert set(missing.values()) == {None}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, slice(None, None, 1)),
        ("bytes=0-99", slice(0, 100, 1)),
        ("bytes=100-", slice(100, None, 1)),
        ("bytes=-50", slice(-50, None, 1)),
        ("bytes=5-1", "ValueError"),
        ("bytes=0-1,5-6", "ValueError"),
        ("lines=1-2", "ValueError"),
        ("bytes=-", "ValueError"),
    ],
)
async def test_http_range(header: str | None, expected: Any) -> None:
    async def fn(r: web.BaseRequest) -> Any:
        try:
            return r.http_range
        except ValueError:
            return "ValueError"

    raw = get("/", f"Range: {header}") if header else get("/")
    assert await probe(raw, fn) == expected


async def test_forwarded() -> None:
    async def fn(r: web.BaseRequest) -> list[dict[str, str]]:
        return [dict(e) for e in r.forwarded]

    raw = get(
        "/",
        'Forwarded: for=192.0.2.60;PROTO=http;by="[2001:db8::1]:80", for=unknown',
        'Forwarded: for="_hidden\\"quoted";host=example.com, garbage here, for=9.9.9.9',
    )
    assert await probe(raw, fn) == [
        {"for": "192.0.2.60", "proto": "http", "by": "[2001:db8::1]:80"},
        {"for": "unknown"},
        {"for": '_hidden"quoted', "host": "example.com"},
        {"for": "9.9.9.9"},
    ]
    assert await probe(get("/"), fn) == []


async def test_clone() -> None:
    async def fn(r: web.BaseRequest) -> dict[str, Any]:
        r["k"] = "v"
        clone = r.clone(
            method="post",
            rel_url="/other?x=1",
            headers={"X-New": "1"},
            scheme="https",
            host="proxy.example",
            remote="10.0.0.1",
        )
        info = {
            "method": clone.method,
            "path": clone.path,
            "query": dict(clone.query),
            "headers": dict(clone.headers),
            "url": str(clone.url),
            "secure": clone.secure,
            "remote": clone.remote,
            "state": clone["k"],
            "original": (r.method, r.path, r.scheme, r.remote),
        }
        await r.read()
        with pytest.raises(RuntimeError):
            r.clone()
        return info

    info = await probe(get("/orig"), fn)
    assert info == {
        "method": "POST",
        "path": "/other",
        "query": {"x": "1"},
        "headers": {"X-New": "1"},
        "url": "https://proxy.example/other?x=1",
        "secure": True,
        "remote": "10.0.0.1",
        "state": "v",
        "original": ("GET", "/orig", "http", "127.0.0.1"),
    }


async def test_release_discards_the_body() -> None:
    async def fn(r: web.BaseRequest) -> Any:
        await r.release()
        return r.can_read_body

    assert await probe(post(b"x" * 1000), fn) is False


async def test_content_stream() -> None:
    async def fn(r: web.BaseRequest) -> Any:
        parts = [chunk async for chunk in r.content.iter_chunked(4)]
        return b"".join(parts)

    raw = (
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    assert await probe(raw, fn) == b"hello world"


async def test_repr_and_plumbing() -> None:
    async def fn(r: web.BaseRequest) -> Any:
        with pytest.deprecated_call():
            assert r.loop is not None
        return repr(r), r.task is not None, r.writer is not None, r.protocol is not None

    assert await probe(get("/p"), fn) == ("<BaseRequest GET /p >", True, True, True)


async def test_app_request_properties() -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        seen["match_info"] = dict(request.match_info)
        seen["app"] = request.app
        seen["config"] = request.config_dict["setting"]
        seen["clone_match"] = request.clone().match_info is request.match_info
        return web.Response(text="ok")

    app = web.Application()
    app["setting"] = "on"
    app.router.add_get("/item/{id}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        import httpx

        async with httpx.AsyncClient() as client:
            resp = await client.get(f"http://127.0.0.1:{port}/item/7")
        assert resp.text == "ok"
    finally:
        await runner.cleanup()
    assert seen == {"match_info": {"id": "7"}, "app": app, "config": "on", "clone_match": True}


def test_json_module_is_default() -> None:
    assert web.BaseRequest.json.__kwdefaults__["loads"] is json.loads


MULTIPART = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="field"\r\n\r\n'
    b"value\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="upload"; filename="a.txt"\r\n'
    b"\r\n"
    b"file contents\r\n"
    b"--XyZ--\r\n"
)


async def test_post_multipart() -> None:  # B-124, B-125
    async def fn(r: web.BaseRequest) -> Any:
        form = await r.post()
        upload = form["upload"]
        return (
            form["field"],
            upload.name,
            upload.filename,
            upload.content_type,
            upload.file.read(),
            (await r.post()) is form,
        )

    raw = post(MULTIPART, "Content-Type: multipart/form-data; boundary=XyZ")
    assert await probe(raw, fn) == (
        "value",
        "upload",
        "a.txt",
        "text/plain",
        b"file contents",
        True,
    )


async def test_multipart_reader() -> None:
    async def fn(r: web.BaseRequest) -> Any:
        reader = await r.multipart()
        names = []
        async for part in reader:
            names.append((part.name, await part.read()))
        return names

    raw = post(MULTIPART, "Content-Type: multipart/form-data; boundary=XyZ")
    assert await probe(raw, fn) == [("field", b"value"), ("upload", b"file contents")]
