"""Request bodies that arrive in the same read as their head.

Such a body is handed to the request's stream in one step and ``read()`` takes it
without waiting; these tests pin that every way of reading it still sees the same
bytes, that flow control still applies, and that limits are still enforced.
"""

from __future__ import annotations

from server_helpers import serve

from heron import web


def post(body: bytes, path: str = "/") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def test_every_reader_sees_a_body_that_came_with_its_head() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/read":
            first = await request.read()
            assert await request.read() is first  # cached
            return web.Response(body=first)
        if request.path == "/text":
            return web.Response(text=await request.text())
        if request.path == "/content":
            return web.Response(body=await request.content.read())
        parts = []
        while chunk := await request.content.readany():
            parts.append(chunk)
        return web.Response(body=b"".join(parts))

    async with serve(handler) as srv:
        conn = await srv.connect()
        for path in ("/read", "/text", "/content", "/any"):
            body = f"body for {path}".encode() * 50
            conn.send(post(body, path))
            reply = await conn.response()
            assert (reply.status, reply.body) == (200, body)
        await conn.close()


async def test_whole_body_beyond_the_read_buffer_pauses_and_resumes_reading() -> None:
    seen: list[int] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        seen.append(len(body))
        return web.Response(text=str(len(body)))

    async with serve(handler, read_bufsize=16) as srv:
        conn = await srv.connect()
        # Far more than twice the read buffer, with a second request behind it.
        conn.send(post(b"y" * 5000) + post(b"z" * 10))
        first = await conn.response()
        second = await conn.response()
        await conn.close()
    assert (first.body, second.body) == (b"5000", b"10")
    assert seen == [5000, 10]


async def test_read_after_partial_content_reads_returns_the_rest() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        head = await request.content.read(4)
        rest = await request.read()
        return web.Response(body=head + b"|" + rest)

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(post(b"abcdefgh"))
        reply = await conn.response()
        await conn.close()
    assert reply.body == b"abcd|efgh"


async def test_whole_chunked_body_over_the_limit_is_refused() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        await request.read()
        return web.Response(text="read")

    def factory(message, payload, protocol, writer, task):  # type: ignore[no-untyped-def]
        return web.BaseRequest(
            message, payload, protocol, writer, task, protocol._loop, client_max_size=10
        )

    async with serve(handler, request_factory=factory) as srv:
        conn = await srv.connect()
        conn.send(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"b\r\nxxxxxxxxxxx\r\n0\r\n\r\n"
        )
        reply = await conn.response()
        await conn.close()
    assert reply.status == 413
