"""A streamed response that leaves a large request body unread still ends the connection."""

from __future__ import annotations

from server_helpers import serve

from heron import web


async def streamed(request: web.BaseRequest) -> web.StreamResponse:
    resp = web.StreamResponse()
    await resp.prepare(request)  # the head is sent before the body was looked at
    await resp.write(b"streamed")
    return resp


async def test_prepared_response_with_large_unread_body_closes() -> None:
    async with serve(streamed) as srv:
        conn = await srv.connect()
        conn.send(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        conn.send(b"x" * 100_000)
        reply = await conn.response()
        # Too late to say "Connection: close" in the head; the server closes instead of
        # receiving megabytes only to drop them.
        assert "Connection" not in reply.headers
        assert await conn.closed_by_server()
        await conn.close()
    assert reply.status == 200
    assert reply.body == b"streamed"


async def test_prepared_response_with_small_unread_rest_keeps_alive() -> None:
    async with serve(streamed) as srv:
        conn = await srv.connect()
        conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        first = await conn.response()
        conn.send(b"x" * 990 + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        second = await conn.response()
        await conn.close()
    assert first.body == second.body == b"streamed"
