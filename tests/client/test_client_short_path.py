"""Plain ``session.get(url)`` calls over kept-alive connections (the session's short path).

A GET without options, on a session without default headers, cookies or tracing, is
sent over an idle pooled connection by one short coroutine. These tests pin that such
requests behave exactly like any other: the session's settings changed after it was
made, cookies, redirects, ``raise_for_status``, timeouts, cancellation, bad answers
and connections the server closes.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from client_helpers import Handler, RawRequest, read_request, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


class Recorder:
    """A keep-alive raw server that records requests and answers by path."""

    def __init__(self, answers: dict[str, bytes] | None = None) -> None:
        self.answers = answers or {}
        self.requests: list[RawRequest] = []
        self.connections = 0

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while True:
            req = await read_request(reader)
            if req is None:
                return
            self.requests.append(req)
            path = req.target.partition("?")[0]
            answer = self.answers.get(path, response(200, req.target.encode()))
            if answer == b"":
                continue  # never answer: the client has to give up
            writer.write(answer)
            await writer.drain()


async def get_text(session: aiohttp.ClientSession, url: Any) -> str:
    async with session.get(url) as resp:
        return await resp.text()


async def test_many_plain_gets_share_one_connection(raw_server: RawServer) -> None:
    rec = Recorder()
    url = await raw_server(rec.handler)
    async with aiohttp.ClientSession() as session:
        for i in range(5):
            assert await get_text(session, url / f"n{i}") == f"/n{i}"
            assert await get_text(session, str(url / "same")) == "/same"
        # More distinct URLs than the session remembers: still all answered right.
        for i in range(300):
            assert await get_text(session, f"{url}/u{i}") == f"/u{i}"
    assert rec.connections == 1
    assert all(r.headers["host"] == f"127.0.0.1:{url.port}" for r in rec.requests)


async def test_headers_of_a_whole_answer(raw_server: RawServer) -> None:
    answer = response(
        200,
        b'{"a": 1}',
        [("Content-Type", "application/json; charset=utf-8"), ("X-Pad", "  v \t")],
    )
    rec = Recorder({"/json": answer})
    url = await raw_server(rec.handler)
    async with aiohttp.ClientSession() as session:
        await get_text(session, url / "warm")
        async with session.get(url / "json") as resp:
            assert resp.raw_headers[1] == (b"X-Pad", b"v \t")  # before .headers
            assert resp.headers["x-pad"] == "v"
            assert resp.headers is resp.headers
            assert resp.content_type == "application/json" and resp.charset == "utf-8"
            assert resp.content_length == 8
            assert await resp.json() == {"a": 1}
            assert resp.raw_headers == (
                (b"Content-Type", b"application/json; charset=utf-8"),
                (b"X-Pad", b"v \t"),
                (b"Content-Length", b"8"),
            )


async def test_settings_changed_after_creation_are_honoured(raw_server: RawServer) -> None:
    rec = Recorder()
    url = await raw_server(rec.handler)
    events: list[str] = []

    async def on_start(session: Any, ctx: Any, params: Any) -> None:
        events.append(str(params.url))

    async with aiohttp.ClientSession() as session:
        assert await get_text(session, url / "a") == "/a"
        session.headers["X-Added"] = "later"
        assert await get_text(session, url / "b") == "/b"
        assert rec.requests[-1].headers["x-added"] == "later"
        del session.headers["X-Added"]
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(on_start)
        trace.freeze()
        session.trace_configs.append(trace)
        assert await get_text(session, url / "c") == "/c"
        assert events == [str(url / "c")]
    assert "x-added" not in rec.requests[0].headers


async def test_cookies_set_by_a_plain_get_are_sent_back(raw_server: RawServer) -> None:
    rec = Recorder({"/login": response(200, b"in", [("Set-Cookie", "sid=42; Path=/")])})
    url = await raw_server(rec.handler)
    jar = aiohttp.CookieJar(unsafe=True)  # (the server is an IP address)
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        assert await get_text(session, url / "first") == "/first"
        assert await get_text(session, url / "login") == "in"
        assert await get_text(session, url / "next") == "/next"
    assert "cookie" not in rec.requests[0].headers
    assert rec.requests[-1].headers["cookie"] == "sid=42"


async def test_redirects_and_raise_for_status(raw_server: RawServer) -> None:
    rec = Recorder(
        {
            "/old": response(302, b"", [("Location", "/new")]),
            "/missing": response(404, b"nope", reason="Not Found"),
        }
    )
    url = await raw_server(rec.handler)
    async with aiohttp.ClientSession() as session:
        await get_text(session, url / "warm")
        async with session.get(url / "old") as resp:
            assert resp.status == 200 and await resp.text() == "/new"
            assert [r.status for r in resp.history] == [302]
        async with session.get(url / "old", allow_redirects=False) as resp:
            assert resp.status == 302
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        await get_text(session, url / "warm")
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(url / "missing")
        assert info.value.status == 404
        assert info.value.request_info.url == url / "missing"
        assert info.value.request_info.method == "GET"


async def test_response_asking_to_close_is_not_reused(raw_server: RawServer) -> None:
    rec = Recorder({"/bye": response(200, b"bye", [("Connection", "close")])})
    url = await raw_server(rec.handler)
    async with aiohttp.ClientSession() as session:
        await get_text(session, url / "warm")
        assert await get_text(session, url / "bye") == "bye"
        assert await get_text(session, url / "again") == "/again"
    assert rec.connections == 2


async def test_total_timeout_and_cancellation_close_the_connection(
    raw_server: RawServer,
) -> None:
    rec = Recorder({"/never": b""})
    url = await raw_server(rec.handler)
    timeout = aiohttp.ClientTimeout(total=0.2)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await get_text(session, url / "warm")
        with pytest.raises(asyncio.TimeoutError):
            await session.get(url / "never")
        assert await get_text(session, url / "after") == "/after"
        task = asyncio.create_task(session.get(url / "never"))
        async with asyncio.timeout(5):
            while len(rec.requests) < 4:
                await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await get_text(session, url / "last") == "/last"
    # Every abandoned request cost its connection: none was reused half-answered.
    assert rec.connections == 3


async def test_bad_answer_to_a_plain_get(raw_server: RawServer) -> None:
    rec = Recorder({"/bad": b"HTTP/1.1 200 OK\r\nBad Header\r\nContent-Length: 1\r\n\r\nx"})
    url = await raw_server(rec.handler)
    async with aiohttp.ClientSession() as session:
        await get_text(session, url / "warm")
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await session.get(url / "bad")
        assert info.value.request_info.url == url / "bad"
        assert await get_text(session, url / "fine") == "/fine"


async def test_connection_closed_by_the_server_while_idle(raw_server: RawServer) -> None:
    closing = Recorder({"/close-after": response(200, b"ok")})

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        closing.connections += 1
        req = await read_request(reader)
        if req is not None:
            writer.write(response(200, req.target.encode()))
            await writer.drain()
        # ... and close the kept-alive connection without a word.

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as session:
        assert await get_text(session, url / "one") == "/one"
        await asyncio.sleep(0.05)  # the close arrives while the connection is idle
        assert await get_text(session, url / "two") == "/two"
    assert closing.connections == 2


async def test_unclosed_plain_response_warns_with_its_origin(raw_server: RawServer) -> None:
    rec = Recorder({"/slow": b""})
    url = await raw_server(rec.handler)
    loop = asyncio.get_running_loop()
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
    async with aiohttp.ClientSession() as session:
        await get_text(session, url / "warm")
        loop.set_debug(True)
        try:
            resp = await session.get(url / "warm2")
            assert resp.status == 200  # whole: already released, nothing to warn about
            del resp
            gc.collect()
            assert not contexts
            # Still holding its connection (body not complete) when dropped: warns.
            rec.answers["/part"] = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
            resp = await session.get(url / "part")
            with pytest.warns(ResourceWarning, match="Unclosed response"):
                del resp
                gc.collect()
        finally:
            loop.set_debug(False)
            loop.set_exception_handler(None)
    assert [c["message"] for c in contexts] == ["Unclosed response"]
    assert "source_traceback" in contexts[0]


async def test_own_request_and_response_classes_take_the_general_path(
    raw_server: RawServer,
) -> None:
    started: list[str] = []
    sent: list[str] = []

    class Response(aiohttp.ClientResponse):
        async def start(self, connection: Any) -> aiohttp.ClientResponse:
            started.append(str(self.url))
            return await super().start(connection)

    class Request(aiohttp.ClientRequest):
        async def send(self, conn: Any) -> aiohttp.ClientResponse:
            sent.append(self.method)
            return await super().send(conn)

    rec = Recorder()
    url = await raw_server(rec.handler)
    async with aiohttp.ClientSession(response_class=Response) as session:
        for _ in range(2):
            async with session.get(url / "r") as resp:
                assert isinstance(resp, Response) and await resp.text() == "/r"
    assert started == [str(url / "r")] * 2
    async with aiohttp.ClientSession(request_class=Request) as session:
        for _ in range(2):
            assert await get_text(session, url / "q") == "/q"
    assert sent == ["GET", "GET"]
