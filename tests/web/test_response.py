"""Responses: the state machine, headers, cookies, bodies and what reaches the wire."""

from __future__ import annotations

import datetime
import gzip
import json
import zlib

import pytest
from server_helpers import Reply, Running, serve

from heron import web
from heron.helpers import ETag


async def get(srv: Running, raw: bytes) -> Reply:
    conn = await srv.connect()
    try:
        conn.send(raw)
        return await conn.response()
    finally:
        await conn.close()


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


# -- status, reason, defaults ----------------------------------------------------------


def test_defaults() -> None:  # B-136
    resp = web.StreamResponse()
    assert resp.status == 200
    assert resp.reason == "OK"
    assert not resp.prepared
    assert not resp.chunked
    assert not resp.compression
    assert resp.keep_alive is None
    assert web.StreamResponse(status=404).reason == "Not Found"


def test_set_status_recomputes_reason() -> None:  # B-137
    resp = web.StreamResponse()
    resp.set_status(404)
    assert (resp.status, resp.reason) == (404, "Not Found")
    resp.set_status(428)
    assert resp.reason == "Precondition Required"
    resp.set_status(200, "Fine")
    assert resp.reason == "Fine"


def test_reason_with_newline_is_refused() -> None:
    with pytest.raises(ValueError):
        web.StreamResponse(reason="OK\r\nX: y")


def test_response_is_a_mapping_and_truthy() -> None:
    resp = web.Response()
    assert resp  # even with nothing stored
    resp["k"] = 1
    assert resp["k"] == 1 and len(resp) == 1 and list(resp) == ["k"]
    del resp["k"]
    assert web.Response() != web.Response()


# -- Response bodies and content types -------------------------------------------------------


def test_text_and_body_content_types() -> None:  # B-151
    resp = web.Response(text="x")
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert (resp.content_type, resp.charset) == ("text/plain", "utf-8")
    assert web.Response(body=b"x").content_type == "application/octet-stream"
    assert web.Response(body=b"x").charset is None


def test_body_updates_length() -> None:  # B-152, B-157
    resp = web.Response(body=b"abc")
    assert resp.content_length == 3
    resp.body = b"abcdef"
    assert resp.content_length == 6
    resp.body = None
    assert "Content-Length" not in resp.headers
    assert resp.content_length == 0


def test_text_updates_body() -> None:  # B-153
    resp = web.Response(text="héllo")
    assert resp.body == "héllo".encode()
    resp.text = "bye"
    assert resp.body == b"bye"
    assert resp.content_length == 3
    assert resp.text == "bye"


def test_header_and_content_type_clash() -> None:  # B-154
    with pytest.raises(ValueError):
        web.Response(headers={"Content-Type": "text/html"}, content_type="text/plain")
    with pytest.raises(ValueError):
        web.Response(headers={"Content-Type": "text/html"}, charset="utf-8")
    with pytest.raises(ValueError):
        web.Response(body=b"x", text="y")
    with pytest.raises(ValueError):
        web.Response(text="x", content_type="text/plain; charset=utf-8")
    with pytest.raises(TypeError):
        web.Response(text=b"x")  # type: ignore[arg-type]


def test_charset_is_lower_cased() -> None:  # B-149
    resp = web.StreamResponse()
    resp.content_type = "text/html"
    resp.charset = "UTF-8"
    assert resp.charset == "utf-8"
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    resp.charset = None
    assert resp.headers["Content-Type"] == "text/html"


def test_charset_without_content_type_is_refused() -> None:
    with pytest.raises(RuntimeError):
        web.StreamResponse().charset = "utf-8"


def test_json_response() -> None:  # B-156
    resp = web.json_response({"a": 1})
    assert resp.content_type == "application/json"
    assert resp.body == b'{"a": 1}'
    resp = web.json_response([1], status=201, dumps=lambda o: "custom")
    assert (resp.status, resp.body) == (201, b"custom")
    with pytest.raises(ValueError):
        web.json_response({"a": 1}, text="{}")


def test_last_modified_accepts_many_types() -> None:  # B-150
    resp = web.StreamResponse()
    when = datetime.datetime(2020, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    for value in (when, when.timestamp(), int(when.timestamp()), "Thu, 02 Jan 2020 03:04:05 GMT"):
        resp.last_modified = value
        assert resp.headers["Last-Modified"] == "Thu, 02 Jan 2020 03:04:05 GMT"
        assert resp.last_modified == when
    resp.last_modified = None
    assert "Last-Modified" not in resp.headers


def test_etag() -> None:
    resp = web.StreamResponse()
    resp.etag = "abc"
    assert resp.headers["ETag"] == '"abc"'
    resp.etag = ETag("abc", is_weak=True)
    assert resp.headers["ETag"] == 'W/"abc"'
    assert resp.etag == ETag("abc", is_weak=True)
    with pytest.raises(ValueError):
        resp.etag = 'bad"tag'
    resp.etag = None
    assert resp.etag is None


def test_content_length_and_chunked_are_exclusive() -> None:
    resp = web.StreamResponse()
    resp.content_length = 5
    with pytest.raises(RuntimeError):
        resp.enable_chunked_encoding()
    resp = web.StreamResponse()
    resp.enable_chunked_encoding()
    assert resp.chunked
    with pytest.raises(RuntimeError):
        resp.content_length = 5


# -- cookies ---------------------------------------------------------------------------------


def test_set_cookie_attributes() -> None:  # B-146
    resp = web.StreamResponse()
    resp.set_cookie(
        "n",
        42,
        max_age=10,
        domain="example.org",
        secure=True,
        httponly=True,
        expires="Thu, 01 Jan 2030 00:00:00 GMT",
        samesite="Lax",
    )
    out = resp.cookies["n"].OutputString()
    assert out.startswith("n=42")
    for part in (
        "Path=/",
        "Max-Age=10",
        "Domain=example.org",
        "Secure",
        "HttpOnly",
        "expires=Thu, 01 Jan 2030 00:00:00 GMT",
        "SameSite=Lax",
    ):
        assert part in out


def test_del_cookie_then_set_again() -> None:  # B-147, B-148
    resp = web.StreamResponse()
    resp.del_cookie("n")
    out = resp.cookies["n"].OutputString()
    assert "Max-Age=0" in out and "Path=/" in out and "1970" in out
    resp.set_cookie("n", "v")
    assert "Max-Age" not in resp.cookies["n"].OutputString()


def test_cookie_attribute_injection_is_refused() -> None:
    with pytest.raises(ValueError):
        web.StreamResponse().set_cookie("n", "v", path="/\r\nX: y")


async def test_cookies_reach_the_client() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text="x")
        resp.set_cookie("a", "1")
        resp.set_cookie("b", "2", httponly=True)
        return resp

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.headers.getall("Set-Cookie") == ["a=1; Path=/", "b=2; HttpOnly; Path=/"]


# -- the state machine ---------------------------------------------------------------------


async def test_state_machine() -> None:  # B-138, B-139, B-140
    seen: dict[str, object] = {}

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        with pytest.raises(RuntimeError):
            await resp.write(b"early")
        seen["before"] = resp.prepared
        await resp.prepare(request)
        seen["after"] = resp.prepared
        for change in (
            lambda: resp.headers.__setitem__("X", "1"),
            lambda: resp.headers.add("X", "1"),
            lambda: resp.set_status(404),
            lambda: resp.set_cookie("a", "b"),
            lambda: setattr(resp, "content_type", "text/html"),
            lambda: setattr(resp, "content_length", 3),
        ):
            with pytest.raises(RuntimeError):
                change()
        with pytest.raises(TypeError):
            await resp.write("text")  # type: ignore[arg-type]
        await resp.write(b"body")
        await resp.write_eof()
        with pytest.raises(RuntimeError):
            await resp.write(b"late")
        await resp.write_eof()  # a second EOF is harmless
        seen["headers readable"] = resp.headers["Transfer-Encoding"]
        seen["done"] = True
        return resp

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.body == b"body"
    assert seen == {"before": False, "after": True, "headers readable": "chunked", "done": True}


async def test_chunked_writes_one_chunk_each() -> None:  # B-143
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        for part in (b"one", b"two", b"three"):
            await resp.write(part)
        await resp.write_eof()
        return resp

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.headers["Transfer-Encoding"] == "chunked"
    assert reply.chunks == [b"one", b"two", b"three"]


async def test_stream_with_content_length_is_not_chunked() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = 6
        await resp.prepare(request)
        await resp.write(b"abc")
        await resp.write(b"def")
        return resp  # the server finishes it (write_eof)

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert "Transfer-Encoding" not in reply.headers
    assert reply.body == b"abcdef"


async def test_chunked_on_http10_fails() -> None:  # B-144
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_chunked_encoding()
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.0\r\n\r\n")
        data = await conn.read_all()
        await conn.close()
    assert data.startswith(b"HTTP/1.0 500 ")


async def test_stream_on_http10_is_delimited_by_close() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"part1 ")
        await resp.write(b"part2")
        await resp.write_eof()
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        data = await conn.read_all()
        await conn.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert body == b"part1 part2"


async def test_force_close() -> None:  # B-142
    seen = {}

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text="bye")
        resp.force_close()
        seen["keep_alive"] = resp.keep_alive
        seen["request"] = request.keep_alive
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(GET)
        reply = await conn.response()
        assert reply.headers["Connection"] == "close"
        assert await conn.closed_by_server()
        await conn.close()
    assert seen == {"keep_alive": False, "request": True}


async def test_response_keep_alive_mirrors_request() -> None:
    seen = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text="x")
        await resp.prepare(request)
        seen.append(resp.keep_alive)
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(GET + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await conn.response()
        await conn.response()
        await conn.close()
    assert seen == [True, False]


# -- no-body responses -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [204, 304])
async def test_no_body_statuses(status: int) -> None:  # B-155
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(status=status, body=b"this must not be sent")

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(GET + GET)
        first = await conn.response()
        assert first.status == status
        assert "Content-Length" not in first.headers
        assert "Transfer-Encoding" not in first.headers
        second = await conn.response()  # the connection is still in sync
        assert second.status == status
        await conn.close()


async def test_head_gets_headers_but_no_body() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="hello")

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + GET)
        head = await conn.response(head_only=True)
        assert head.headers["Content-Length"] == "5"
        after = await conn.response()
        assert after.body == b"hello"  # nothing of the HEAD body leaked in between
        await conn.close()


async def test_head_on_a_stream_response() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"streamed")
        await resp.write_eof()
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + GET)
        head = await conn.response(head_only=True)
        assert head.status == 200
        after = await conn.response()
        assert after.body == b"streamed"
        await conn.close()


# -- header safety, defaults -------------------------------------------------------------------


async def test_header_value_with_newline_gives_500() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="x", headers={"X-Bad": "a\r\nSet-Cookie: evil=1"})

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(GET)
        data = await conn.read_all()
        await conn.close()
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"evil" not in data


async def test_default_headers() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="x")

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.headers["Server"].startswith("Python/")
    date = datetime.datetime.strptime(reply.headers["Date"], "%a, %d %b %Y %H:%M:%S GMT")
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    assert abs((now - date).total_seconds()) < 5
    assert reply.headers["Content-Length"] == "1"


async def test_payload_body() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(body="a str body")

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.body == b"a str body"
    assert reply.headers["Content-Type"].startswith("text/plain")


# -- compression -------------------------------------------------------------------------------


async def test_compression_by_accept_encoding() -> None:  # B-145
    text = "compress me " * 100

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text=text)
        resp.enable_compression()
        return resp

    async with serve(handler) as srv:
        gz = await get(srv, b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
        df = await get(srv, b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: deflate\r\n\r\n")
        plain = await get(srv, GET)
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gz.headers["Vary"] == "Accept-Encoding"
    assert int(gz.headers["Content-Length"]) == len(gz.body) < len(text)
    assert gzip.decompress(gz.body).decode() == text
    assert df.headers["Content-Encoding"] == "deflate"
    assert zlib.decompress(df.body).decode() == text
    assert "Content-Encoding" not in plain.headers
    assert plain.body.decode() == text


async def test_forced_compression_of_a_stream() -> None:  # B-145
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.enable_compression(web.ContentCoding.gzip)
        await resp.prepare(request)
        await resp.write(b"a" * 1000)
        await resp.write_eof()
        return resp

    async with serve(handler) as srv:
        reply = await get(srv, GET)  # no Accept-Encoding: forced anyway
    assert reply.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in reply.headers
    assert reply.headers["Transfer-Encoding"] == "chunked"
    assert gzip.decompress(reply.body) == b"a" * 1000


async def test_q_zero_disables_a_coding() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text="x" * 100)
        resp.enable_compression()
        return resp

    async with serve(handler) as srv:
        reply = await get(
            srv, b"GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, deflate;q=0.5\r\n\r\n"
        )
    assert reply.headers["Content-Encoding"] == "deflate"


async def test_json_over_the_wire() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.json_response({"k": [1, 2]})

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(reply.body) == {"k": [1, 2]}


async def test_small_response_leaves_in_one_write() -> None:
    writes: list[bytes] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        real_write = transport.write

        def counting_write(data: bytes) -> None:
            writes.append(bytes(data))
            real_write(data)

        transport.write = counting_write  # type: ignore[method-assign]
        return web.Response(text="small")

    async with serve(handler) as srv:
        reply = await get(srv, GET)
    assert reply.body == b"small"
    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and writes[0].endswith(b"\r\n\r\nsmall")
