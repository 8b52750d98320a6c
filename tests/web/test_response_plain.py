"""Whole responses sent without coroutines, with heads remembered between requests.

A ``Response`` whose headers are still as its constructor made them is sent in one
synchronous step and its head comes from a small cache keyed by everything the head
depends on. These tests pin that the wire and the response object look exactly as
they do on the general path, whatever the handler changed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from server_helpers import Conn, Reply, Running, serve

from heron import web


async def exchange(srv: Running, raw: bytes, count: int = 1) -> list[Reply]:
    conn = await srv.connect()
    try:
        conn.send(raw)
        return [await conn.response(head_only=b"HEAD " in raw) for _ in range(count)]
    finally:
        await conn.close()


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


async def varied(request: web.BaseRequest) -> web.StreamResponse:
    path = request.path
    if path == "/bytes":
        return web.Response(body=b"raw")
    if path == "/json":
        return web.json_response({"a": 1})
    if path == "/html":
        return web.Response(text="<p>", content_type="text/html")
    resp = web.Response(text="hello")
    if path == "/header":
        resp.headers["X-Extra"] = "1"
    elif path == "/status":
        resp.set_status(201, "Made")
    elif path == "/close":
        resp.force_close()
    elif path == "/cookie":
        resp.set_cookie("k", "v")
    elif path == "/length":
        resp.body = b"x" * int(request.query["n"])
    return resp


async def test_repeated_plain_responses_are_identical_but_for_the_date() -> None:
    async with serve(varied) as srv:
        replies = await exchange(srv, get("/") * 3, 3)
    for reply in replies:
        assert reply.status == 200
        assert reply.body == b"hello"
        assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert reply.headers["Content-Length"] == "5"
        assert "Date" in reply.headers and "Server" in reply.headers
        assert "Connection" not in reply.headers


@pytest.mark.parametrize(
    ("path", "check"),
    [
        ("/header", lambda r: r.headers["X-Extra"] == "1" and r.body == b"hello"),
        ("/status", lambda r: (r.status, r.reason) == (201, "Made")),
        ("/close", lambda r: r.headers["Connection"] == "close"),
        ("/cookie", lambda r: r.headers["Set-Cookie"].startswith("k=v")),
        ("/bytes", lambda r: r.headers["Content-Type"] == "application/octet-stream"),
        ("/json", lambda r: r.headers["Content-Type"] == "application/json; charset=utf-8"),
        ("/html", lambda r: r.headers["Content-Type"] == "text/html; charset=utf-8"),
    ],
)
async def test_changes_between_plain_responses_reach_the_wire(path: str, check: Any) -> None:
    async with serve(varied) as srv:
        # Plain, changed, plain: the cached head of the plain one never leaks.
        raw = get("/") + get(path) + get("/")
        replies = await exchange(srv, raw, 2 if path == "/close" else 3)
        if path == "/close":
            replies += await exchange(srv, get("/"))
    first, changed, last = replies
    assert check(changed), changed
    for reply in (first, last):
        assert (reply.status, reply.body) == (200, b"hello")
        assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert "X-Extra" not in reply.headers and "Set-Cookie" not in reply.headers


async def test_many_lengths_and_a_closing_http10_request() -> None:
    async with serve(varied) as srv:
        raw = b"".join(get(f"/length?n={n}") for n in range(300))
        replies = await exchange(srv, raw, 300)
        assert [len(r.body) for r in replies] == list(range(300))
        assert all(r.headers["Content-Length"] == str(len(r.body)) for r in replies)
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        reply = await conn.response()
        assert reply.headers["Connection"] == "keep-alive"
        conn.send(b"GET / HTTP/1.0\r\n\r\n")
        reply = await conn.response()
        assert reply.body == b"hello" and "Connection" not in reply.headers
        assert await conn.closed_by_server()
        await conn.close()


async def test_head_request_gets_the_length_but_no_body() -> None:
    async with serve(varied) as srv:
        conn = await srv.connect()
        conn.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get("/"))
        head = await conn.response(head_only=True)
        assert head.headers["Content-Length"] == "5"
        reply = await conn.response()
        assert reply.body == b"hello"
        await conn.close()


async def test_bad_content_type_is_refused_every_time() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="x", content_type="text/plain\r\nX-Injected: 1")

    async with serve(handler) as srv:
        for _ in range(2):
            (reply,) = await exchange(srv, get("/"))
            assert reply.status == 500
            assert "X-Injected" not in reply.headers


class HeaderLogger(web.AbstractAccessLogger):
    seen: list[dict[str, str]] = []

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.seen.append(dict(response.headers))


async def test_sent_response_shows_the_headers_that_were_sent() -> None:
    HeaderLogger.seen = []
    logger = logging.getLogger("test_response_plain")
    logger.setLevel(logging.INFO)
    async with serve(varied, access_log=logger, access_log_class=HeaderLogger) as srv:
        raw = get("/bytes") * 2 + get("/") * 2
        replies = await exchange(srv, raw, 4)
    assert len(HeaderLogger.seen) == 4
    for reply, seen in zip(replies, HeaderLogger.seen, strict=True):
        assert seen == dict(reply.headers)


async def test_large_body_to_a_slow_reader_arrives_whole() -> None:
    body = b"z" * (8 * 2**20)

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(body=body)

    async with serve(handler) as srv:
        conn: Conn = await srv.connect()
        conn.send(get("/") + get("/"))
        await asyncio.sleep(0.05)  # the server's transport fills up and pauses
        for _ in range(2):
            reply = await conn.response(timeout=10)
            assert reply.body == body
        await conn.close()


async def test_chunked_response_falls_back_to_the_general_path() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(body=b"abc")
        resp.enable_chunked_encoding()
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        for _ in range(2):
            conn.send(get("/"))
            reply = await conn.response()
            assert reply.headers["Transfer-Encoding"] == "chunked"
            assert reply.body == b"abc"
        await conn.close()


async def test_response_to_a_connection_the_handler_closed_is_dropped_quietly() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/close":
            assert request.transport is not None
            request.transport.close()
        return web.Response(text="hello")

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(get("/close"))
        assert await conn.closed_by_server()
        await conn.close()
        (reply,) = await exchange(srv, get("/"))
        assert reply.body == b"hello"


class OrderedHeaderLogger(web.AbstractAccessLogger):
    seen: list[list[tuple[str, str]]] = []

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.seen.append(list(response.headers.items()))


async def test_remembered_heads_show_the_same_headers_in_the_same_order() -> None:
    # The first of each kind builds the head, the second reuses it: the headers a
    # sent response shows (names, values, order) must not tell them apart, and
    # must match the wire. No Content-Type is shown where none was sent (204).
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/empty":
            return web.Response(body=b"", status=204)
        return web.Response(body=b"raw")

    OrderedHeaderLogger.seen = []
    logger = logging.getLogger("test_response_plain")
    logger.setLevel(logging.INFO)
    async with serve(handler, access_log=logger, access_log_class=OrderedHeaderLogger) as srv:
        replies = await exchange(srv, get("/bytes") * 2 + get("/empty") * 2, 4)
    seen = OrderedHeaderLogger.seen
    assert len(seen) == 4
    for reply, headers in zip(replies, seen, strict=True):
        assert headers == list(reply.headers.items())
    names = [[(k, "" if k == "Date" else v) for k, v in items] for items in seen]
    assert names[0] == names[1] and names[2] == names[3]  # the Date may tick over
    assert ("Content-Type", "application/octet-stream") in seen[0]
    assert all(name != "Content-Type" for name, _ in seen[2])
