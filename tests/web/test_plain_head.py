"""Repeated request heads skip the Host and Expect lookups (an identity test on the
parser's shared headers object); these tests pin that every other head is still
checked, right after plain ones, on the low-level server and in an application."""

from __future__ import annotations

import asyncio

from server_helpers import read_response, serve

from heron import web

PLAIN = b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
EXPECTING = b"POST /up HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
UNKNOWN_EXPECT = b"POST /up HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nContent-Length: 2\r\n\r\nhi"
NO_HOST = b"GET /up HTTP/1.1\r\nX-A: 1\r\n\r\n"


async def echo(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(body=await request.read())


async def test_expect_and_missing_host_are_checked_after_plain_heads() -> None:
    async with serve(echo) as srv:
        conn = await srv.connect()
        for _ in range(3):
            conn.send(PLAIN)
            assert (await conn.response()).body == b"hi"
        conn.send(EXPECTING)
        assert (await conn.response()).status == 100
        conn.send(b"hi")
        assert (await conn.response()).body == b"hi"
        conn.send(PLAIN)
        assert (await conn.response()).body == b"hi"
        conn.send(UNKNOWN_EXPECT)
        assert (await conn.response()).status == 417
        await conn.close()

        conn = await srv.connect()
        conn.send(PLAIN + NO_HOST)
        assert (await conn.response()).body == b"hi"
        assert (await conn.response()).status == 400
        await conn.close()


async def test_route_expect_handler_runs_after_plain_heads() -> None:
    calls: list[str] = []

    async def expect(request: web.Request) -> None:
        calls.append(request.headers["Expect"])
        raise web.HTTPForbidden()

    app = web.Application()
    app.router.add_post("/up", echo, expect_handler=expect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        reader, writer = await asyncio.open_connection(host, port)
        replies = []
        for raw in (PLAIN, PLAIN, EXPECTING):
            writer.write(raw)
            replies.append(await asyncio.wait_for(read_response(reader), 2))
        writer.close()
    finally:
        await runner.cleanup()
    assert [r.status for r in replies] == [200, 200, 403]
    assert calls == ["100-continue"]
