"""One kept-alive connection serving many kinds of answers in a row.

The client reuses its response parser from one response to the next on a connection
when it can (and starts a fresh one when it cannot, as after a HEAD answer that
announced a body); whatever came before, each answer must be read exactly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from client_helpers import Handler, read_request, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]

ANSWERS: dict[str, bytes] = {
    "/plain": response(200, b"Hello, World!"),
    "/head": response(200, b"", [("Content-Length", "13")], length=False),
    "/empty": b"HTTP/1.1 204 No Content\r\n\r\n",
    "/chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n"
    ),
    "/interim": b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + response(200, b"late"),
    "/gzip": response(
        200,
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xcbH\xcd\xc9\xc9\x07\x00\x86\xa6\x106\x05\x00\x00\x00",
        [("Content-Encoding", "gzip")],
    ),
    "/redirect": response(302, b"", [("Location", "/plain")]),
}


async def test_one_connection_serves_every_kind_of_answer(raw_server: RawServer) -> None:
    connections = 0
    seen: list[str] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while (req := await read_request(reader)) is not None:
            seen.append(f"{req.method} {req.target}")
            writer.write(ANSWERS[req.target])
            await writer.drain()

    url = await raw_server(handler)
    expected = [
        ("GET", "/plain", 200, b"Hello, World!"),
        ("GET", "/plain", 200, b"Hello, World!"),
        ("HEAD", "/head", 200, b""),
        ("GET", "/plain", 200, b"Hello, World!"),
        ("GET", "/empty", 204, b""),
        ("GET", "/chunked", 200, b"Hello, World!"),
        ("GET", "/interim", 200, b"late"),
        ("GET", "/gzip", 200, b"hello"),
        ("GET", "/redirect", 200, b"Hello, World!"),
        ("POST", "/plain", 200, b"Hello, World!"),
        ("GET", "/plain", 200, b"Hello, World!"),
    ]
    async with aiohttp.ClientSession() as s:
        for method, path, status, body in expected:
            async with s.request(method, url / path.lstrip("/")) as resp:
                assert (resp.status, await resp.read()) == (status, body), path
                assert resp.headers.get("Content-Type") is None
    assert connections == 1
    assert seen[-3:] == ["GET /plain", "POST /plain", "GET /plain"]
    assert len(seen) == len(expected) + 1  # the redirect's second request


async def test_connection_close_answer_is_not_followed_by_a_reuse(raw_server: RawServer) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        writer.write(response(200, b"bye", [("Connection", "close")]))
        await writer.drain()

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        for _ in range(3):
            async with s.get(url) as resp:
                assert await resp.read() == b"bye"
    assert connections == 3


async def test_plain_requests_follow_changes_to_the_session_headers(raw_server: RawServer) -> None:
    heads: list[dict[str, str]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (req := await read_request(reader)) is not None:
            heads.append(req.headers)
            writer.write(response(200, b"ok"))
            await writer.drain()

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        await (await s.get(url)).read()
        s.headers["X-Token"] = "1"
        await (await s.get(url)).read()
        del s.headers["X-Token"]
        await (await s.get(url, headers={"Accept": "text/plain"})).read()
        await (await s.get(url)).read()
    assert [h.get("x-token") for h in heads] == [None, "1", None, None]
    assert [h["accept"] for h in heads] == ["*/*", "*/*", "text/plain", "*/*"]
    assert all(h["host"] == f"127.0.0.1:{url.port}" for h in heads)
    assert all(h["user-agent"].startswith("Python/") for h in heads)


async def test_small_body_read_through_content_or_read(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (req := await read_request(reader)) is not None:
            writer.write(ANSWERS[req.target])  # head and body in one write
            await writer.drain()

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        async with s.get(url / "plain") as resp:
            assert [c async for c in resp.content.iter_chunked(5)] == [b"Hello", b", Wor", b"ld!"]
            assert resp.content.at_eof()
        async with s.get(url / "plain") as resp:
            assert await resp.read() == b"Hello, World!"
            assert await resp.read() == b"Hello, World!"  # cached
            assert await resp.content.read() == b""  # read() consumed the stream
        async with s.get(url / "plain") as resp:
            assert await resp.content.read(5) == b"Hello"
            assert await resp.read() == b", World!"
        async with s.get(url / "empty") as resp:
            assert await resp.content.read() == b""
            assert await resp.read() == b""
