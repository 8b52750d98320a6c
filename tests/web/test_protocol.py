"""Connection handling: keep-alive, pipelining, bodies, 100-continue, errors, upgrades."""

from __future__ import annotations

import asyncio
import logging

import pytest
from server_helpers import fetch, ok, serve

from heron import web

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def echo(request: web.BaseRequest) -> web.StreamResponse:
    body = await request.read()
    return web.Response(body=body, headers={"X-Path": request.path_qs})


# -- keep-alive and pipelining -----------------------------------------------------------


async def test_keep_alive_reuses_the_connection() -> None:
    peers: list[object] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        peers.append(request.get_extra_info("peername"))
        return web.Response(text="ok")

    async with serve(handler) as srv:
        conn = await srv.connect()
        for _ in range(3):
            conn.send(GET)
            reply = await conn.response()
            assert reply.status == 200
            assert "Connection" not in reply.headers
        await conn.close()
    assert len(peers) == 3 and len(set(peers)) == 1


async def test_http10_keep_alive_on_request() -> None:
    async with serve(ok) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        first = await conn.response()
        assert first.version == "HTTP/1.0"
        assert first.headers["Connection"] == "keep-alive"
        conn.send(b"GET / HTTP/1.0\r\n\r\n")
        second = await conn.response()
        assert second.body == b"ok"
        assert await conn.closed_by_server()
        await conn.close()


async def test_pipelined_requests_are_answered_in_order() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/slow":
            await asyncio.sleep(0.05)
        return web.Response(text=request.path)

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(
            b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /third HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        bodies = [(await conn.response()).body for _ in range(3)]
        await conn.close()
    assert bodies == [b"/slow", b"/second", b"/third"]


async def test_many_pipelined_requests_with_a_bounded_queue() -> None:
    async with serve(echo, max_pipelined=4) as srv:
        conn = await srv.connect()
        conn.send(b"".join(f"GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(60)))
        paths = [(await conn.response()).headers["X-Path"] for _ in range(60)]
        await conn.close()
    assert paths == [f"/{i}" for i in range(60)]


async def test_pipelined_bodies() -> None:
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(
            b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"2\r\nde\r\n1\r\nf\r\n0\r\n\r\n"
            b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        replies = [await conn.response() for _ in range(3)]
        await conn.close()
    assert [r.body for r in replies] == [b"abc", b"def", b""]


async def test_unread_body_is_skipped_before_the_next_request() -> None:
    async with serve(ok) as srv:  # never reads the body
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" + GET)
        assert (await conn.response()).body == b"ok"
        assert (await conn.response()).body == b"ok"
        await conn.close()


async def test_large_body_streams_through() -> None:
    size = 3 * 2**20

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        total = 0
        async for chunk in request.content.iter_any():
            total += len(chunk)
        return web.Response(text=str(total))

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
        conn.send(b"z" * size)
        reply = await conn.response(timeout=5)
        await conn.close()
    assert reply.body == str(size).encode()


# -- Expect: 100-continue ---------------------------------------------------------------------


async def test_100_continue_is_sent_when_the_body_is_read() -> None:  # B-166
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), 2)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        conn.send(b"body")
        reply = await conn.response()
        assert reply.body == b"body"
        conn.send(GET)  # still usable
        assert (await conn.response()).status == 200
        await conn.close()


async def test_no_100_continue_when_the_body_is_not_wanted() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        raise web.HTTPUnauthorized()

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        data = await conn.read_all()  # the final answer, then the server closes
        await conn.close()
    assert data.startswith(b"HTTP/1.1 401 ")
    assert b"100 Continue" not in data


async def test_oversized_declared_body_is_refused_without_100_continue() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        return web.Response()

    async with serve(handler) as srv:  # client_max_size defaults to 1 MiB
        conn = await srv.connect()
        conn.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n"
        )
        data = await conn.read_all()
        await conn.close()
    assert data.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in data


async def test_unknown_expectation_gets_417() -> None:
    called = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        called.append(request)
        return web.Response()

    async with serve(handler) as srv:
        data = await fetch(
            srv, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: teapot\r\n\r\n"
        )
    assert data.startswith(b"HTTP/1.1 417 ")
    assert not called


async def test_expect_is_ignored_for_http10() -> None:
    async with serve(echo) as srv:
        data = await fetch(
            srv, b"POST / HTTP/1.0\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi"
        )
    assert data.startswith(b"HTTP/1.0 200 ")
    assert data.endswith(b"hi")


# -- malformed requests and limits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n", 431),
        (b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400),  # B-186
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n", 400),  # B-187
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ],
    ids=[
        "long-line",
        "big-header",
        "many-headers",
        "bad-request-line",
        "not-http",
        "bad-header-name",
        "double-length",
        "length-and-chunked",
        "coding-before-chunked",
        "http2",
    ],
)
async def test_bad_requests_get_their_status_and_close(raw: bytes, status: int) -> None:
    called = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        called.append(request)
        return web.Response()

    async with serve(handler) as srv:
        data = await fetch(srv, raw)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), data[:100]
    assert b"Connection: close" in head
    assert b"Content-Type: text/plain" in head
    assert body.startswith(b"%d " % status)
    assert len(body) < 300
    assert not called


async def test_bad_request_after_a_good_one() -> None:
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(b"GET /good HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).status == 200
        conn.send(b"BROKEN\r\n\r\n")
        data = await conn.read_all()
        await conn.close()
    assert data.startswith(b"HTTP/1.1 400 ")


async def test_good_requests_pipelined_before_a_bad_one_are_answered() -> None:
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
            b"BROKEN\r\n\r\n"
            b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        first = await conn.response()
        second = await conn.response()
        third = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert (first.status, first.headers["X-Path"]) == (200, "/a")
    assert (second.status, second.body) == (200, b"hi")
    assert third.status == 400 and third.headers["Connection"] == "close"


async def test_bad_chunk_in_the_same_read_as_its_head() -> None:
    # The good request is answered, then the broken one gets 400 and the connection ends.
    async with serve(echo) as srv:
        data = await fetch(
            srv,
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
        )
    first, second = data.split(b"HTTP/1.1 ")[1:]
    assert first.startswith(b"200 ")
    assert second.startswith(b"400 ") and b"Connection: close" in second


async def test_bad_body_of_a_queued_request_does_not_cut_the_one_before() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/slow":
            await asyncio.sleep(0.2)
        return await echo(request)

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.sleep(0.05)
        conn.send(b"POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        await asyncio.sleep(0.05)
        conn.send(b"zz\r\n")  # not a chunk size: the queued request's body is broken
        first = await conn.response()
        second = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert (first.status, first.body) == (200, b"")
    assert "Connection" not in first.headers
    assert (second.status, second.headers["Connection"]) == (400, "close")


async def test_bad_chunk_while_the_handler_reads() -> None:
    async with serve(echo) as srv:
        data = await fetch(
            srv,
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n",
        )
    assert data.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in data


# -- Host (RFC 9112 §3.2) ------------------------------------------------------------------------


async def test_http11_request_without_host_gets_400() -> None:
    called = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        called.append(request)
        return web.Response()

    async with serve(handler) as srv:
        data = await fetch(srv, b"GET / HTTP/1.1\r\nX: y\r\n\r\n")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"Connection: close" in head
    assert body == b"400 Bad Request: Missing Host header\n"
    assert not called


@pytest.mark.parametrize(
    "raw",
    [b"GET / HTTP/1.0\r\n\r\n", b"GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"],
    ids=["http10", "empty-host"],
)
async def test_requests_that_may_lack_a_host_value(raw: bytes) -> None:
    async with serve(ok) as srv:
        data = await fetch(srv, raw)
    assert data.split(b" ", 2)[1] == b"200"
    assert data.endswith(b"ok")


async def test_good_requests_before_one_without_host_are_answered() -> None:
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
            b"GET /c HTTP/1.1\r\n\r\n"
            b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        first = await conn.response()
        second = await conn.response()
        third = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert (first.status, first.headers["X-Path"]) == (200, "/a")
    assert (second.status, second.body) == (200, b"hi")
    assert third.status == 400 and third.headers["Connection"] == "close"


# -- request bodies the handler does not read ----------------------------------------------------


async def test_oversized_upload_gets_413_and_the_connection_closes() -> None:
    loop = asyncio.get_running_loop()
    async with serve(echo) as srv:  # read() refuses more than client_max_size (1 MiB)
        conn = await srv.connect()
        start = loop.time()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
        conn.send(b"x" * 5000)
        reply = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert reply.status == 413
    assert reply.headers["Connection"] == "close"
    assert loop.time() - start < 1.0  # not lingering_time (10 s) of draining


async def test_large_unread_body_closes_instead_of_draining() -> None:
    async with serve(ok) as srv:  # answers without reading
        conn = await srv.connect()
        conn.send(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        conn.send(b"x" * 100_000)
        reply = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert reply.status == 200
    assert reply.headers["Connection"] == "close"


async def test_small_unread_rest_of_a_body_is_skipped() -> None:
    async with serve(ok) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        reply = await conn.response()
        assert "Connection" not in reply.headers  # kept alive: the rest is read and dropped
        conn.send(b"x" * 990 + GET)
        assert (await conn.response()).status == 200
        await conn.close()
    assert reply.status == 200


async def test_unread_chunked_body_closes() -> None:
    async with serve(ok) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        reply = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert reply.headers["Connection"] == "close"


# -- request body deadline ----------------------------------------------------------------------


async def test_stalled_body_gets_408_and_closes() -> None:
    loop = asyncio.get_running_loop()
    async with serve(echo, body_read_timeout=0.3) as srv:
        conn = await srv.connect()
        start = loop.time()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        reply = await conn.response()
        assert await conn.closed_by_server()
        await conn.close()
    assert reply.status == 408
    assert reply.headers["Connection"] == "close"
    assert 0.25 < loop.time() - start < 1.5


async def test_stalled_body_error_reaches_the_handler() -> None:
    errors: list[BaseException] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        try:
            await request.read()
        except Exception as exc:
            errors.append(exc)
            return web.Response(text="gave up")
        return web.Response(text="read")

    async with serve(handler, body_read_timeout=0.2) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        reply = await conn.response()
        assert await conn.closed_by_server()  # the connection ends after the response
        await conn.close()
    assert reply.body == b"gave up"
    assert "408" in str(errors[0])


async def test_trickling_body_within_the_deadline_is_read() -> None:
    async with serve(echo, body_read_timeout=0.3) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
        for byte in b"abcdef":  # 0.6 s in total, but never 0.3 s of silence
            await asyncio.sleep(0.1)
            conn.send(bytes([byte]))
        reply = await conn.response()
        await conn.close()
    assert reply.body == b"abcdef"


async def test_body_deadline_waits_while_the_client_waits_for_100_continue() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await asyncio.sleep(0.5)  # busy before touching the body: not the client's fault
        return web.Response(body=await request.read())

    async with serve(handler, body_read_timeout=0.2) as srv:
        conn = await srv.connect()
        conn.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
        )
        interim = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), 2)
        assert interim.startswith(b"HTTP/1.1 100 ")
        conn.send(b"body")
        reply = await conn.response()
        await conn.close()
    assert reply.body == b"body"


# -- timeouts -------------------------------------------------------------------------------------


async def test_silent_connection_is_closed() -> None:
    async with serve(ok, request_head_timeout=0.3) as srv:
        conn = await srv.connect()
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert await conn.closed_by_server(timeout=2)
        assert 0.25 < loop.time() - start < 1.5
        await conn.close()


async def test_trickling_head_gets_408() -> None:
    async with serve(ok, request_head_timeout=0.3) as srv:
        conn = await srv.connect()
        loop = asyncio.get_running_loop()
        start = loop.time()
        conn.send(b"GET / HTTP/1.1\r\n")
        reading = asyncio.ensure_future(conn.read_all())
        for i in range(20):  # one header every 50 ms: the deadline must not move
            await asyncio.sleep(0.05)
            if reading.done():
                break
            conn.send(b"X-%d: 1\r\n" % i)
        data = await reading
        await conn.close()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert loop.time() - start < 1.5


async def test_idle_keep_alive_connection_is_closed() -> None:
    async with serve(ok, keepalive_timeout=0.2) as srv:
        conn = await srv.connect()
        conn.send(GET)
        assert (await conn.response()).status == 200
        assert await conn.closed_by_server(timeout=2)
        await conn.close()


async def test_keep_alive_connection_then_slow_head() -> None:
    async with serve(ok, keepalive_timeout=10, request_head_timeout=0.3) as srv:
        conn = await srv.connect()
        conn.send(GET)
        assert (await conn.response()).status == 200
        conn.send(b"GET / HT")  # the next request starts, then stalls
        data = await conn.read_all(timeout=2)
        await conn.close()
    assert data.startswith(b"HTTP/1.1 408 ")


async def test_busy_connection_is_not_timed_out() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await asyncio.sleep(0.4)
        return web.Response(text="late")

    async with serve(handler, keepalive_timeout=0.1, request_head_timeout=0.1) as srv:
        conn = await srv.connect()
        conn.send(GET)
        assert (await conn.response()).body == b"late"
        await conn.close()


# -- handler failures ---------------------------------------------------------------------------


async def test_handler_exception_gives_500_and_one_log(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        raise ValueError("<secret & details>")

    caplog.set_level(logging.ERROR, logger="aiohttp.server")
    async with serve(handler) as srv:
        data = await fetch(srv, GET)
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"Connection: close" in data
    assert b"secret" not in data and b"Traceback" not in data
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(records) == 1  # B-242
    assert records[0].exc_info is not None and records[0].exc_info[0] is ValueError


async def test_debug_mode_shows_an_escaped_traceback(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        raise ValueError("<script>alert(1)</script>")

    caplog.set_level(logging.CRITICAL, logger="aiohttp.server")
    async with serve(handler, debug=True) as srv:
        data = await fetch(srv, GET)
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"text/html" in data
    assert b"Traceback" in data
    assert b"&lt;script&gt;" in data and b"<script>" not in data  # B-188


async def test_handler_returning_none_gives_500(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return None  # type: ignore[return-value]

    caplog.set_level(logging.CRITICAL, logger="aiohttp.server")
    async with serve(handler) as srv:
        data = await fetch(srv, GET)
    assert data.startswith(b"HTTP/1.1 500 ")


async def test_exception_after_prepare_cuts_the_response(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise RuntimeError("boom")

    caplog.set_level(logging.CRITICAL, logger="aiohttp.server")
    async with serve(handler) as srv:
        data = await fetch(srv, GET)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"partial" in data
    assert not data.endswith(b"0\r\n\r\n")  # not a complete chunked body: the peer can tell


# -- client disconnects -------------------------------------------------------------------------


async def test_disconnect_mid_body(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[BaseException] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        try:
            await request.read()
        except ConnectionResetError as exc:
            seen.append(exc)
            raise
        return web.Response()

    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly-a-bit")
        await asyncio.sleep(0.05)
        await conn.close()
        for _ in range(50):
            if seen:
                break
            await asyncio.sleep(0.01)
        assert len(seen) == 1
        # The server goes on serving others.
        assert (
            await fetch(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        ).startswith(b"HTTP/1.1 200 ")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_handler_keeps_running_after_disconnect_by_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    finished = asyncio.Event()
    write_error: list[BaseException] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await asyncio.sleep(0.15)
        resp = web.StreamResponse()
        try:
            await resp.prepare(request)
            await resp.write(b"x" * 10)
            await resp.write_eof()
        except ConnectionResetError as exc:
            write_error.append(exc)
            raise
        finally:
            finished.set()
        return resp

    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(GET)
        await asyncio.sleep(0.05)
        await conn.close()
        await asyncio.wait_for(finished.wait(), 2)
    assert len(write_error) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_handler_cancellation(caplog: pytest.LogCaptureFixture) -> None:
    cancelled = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response()

    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with serve(handler, handler_cancellation=True) as srv:
        conn = await srv.connect()
        conn.send(GET)
        await asyncio.sleep(0.05)
        await conn.close()
        await asyncio.wait_for(cancelled.wait(), 2)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- upgrades -------------------------------------------------------------------------------------


async def test_switch_protocol_hands_over_the_connection() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.StreamResponse(status=101, headers={"Upgrade": "shout", "Connection": "Upgrade"})
        await resp.prepare(request)
        done = asyncio.get_running_loop().create_future()
        transport = request.transport
        assert transport is not None

        def on_data(data: bytes) -> None:
            transport.write(data.upper())
            if b"bye" in data and not done.done():
                done.set_result(None)

        def on_lost(exc: BaseException | None) -> None:
            if not done.done():
                done.set_result(None)

        request.protocol.switch_protocol(on_data, on_lost)
        await done
        return resp

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: shout\r\n\r\nhello "
        )
        head = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), 2)
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        assert await asyncio.wait_for(conn.reader.readexactly(6), 2) == b"HELLO "
        conn.send(b"then bye")
        assert await asyncio.wait_for(conn.reader.readexactly(8), 2) == b"THEN BYE"
        assert await conn.closed_by_server()  # the handler returned: connection closed
        await conn.close()


async def test_declined_upgrade_keeps_speaking_http() -> None:
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(
            b"GET /first HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
            b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        first = await conn.response()
        second = await conn.response()
        await conn.close()
    assert (first.status, first.headers["X-Path"]) == (200, "/first")
    assert (second.status, second.headers["X-Path"]) == (200, "/second")


# -- low-level server ------------------------------------------------------------------------------


async def test_server_counts_requests_and_connections() -> None:
    async with serve(ok) as srv:
        conn = await srv.connect()
        conn.send(GET + GET)
        await conn.response()
        await conn.response()
        assert len(srv.server.connections) == 1
        assert srv.server.requests_count == 2
        await conn.close()


def test_unknown_server_setting_is_refused() -> None:
    with pytest.raises(TypeError):
        web.Server(ok, keepalive_timout=1)
    with pytest.raises(TypeError):
        web.Server(ok, access_log_class=object)  # type: ignore[arg-type]
