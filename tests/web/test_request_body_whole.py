"""Request bodies that arrive in the same read as their head.

Such a body is handed to the request's stream in one step and ``read()`` takes it
without waiting; these tests pin that every way of reading it still sees the same
bytes, that flow control still applies, and that limits are still enforced.
"""

from __future__ import annotations

import asyncio

from server_helpers import read_response, serve

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


async def test_whole_body_with_expect_continue_still_gets_100_when_read() -> None:
    # The client sent the body without waiting; the interim answer is still owed
    # (and only because the handler reads the body).
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/read":
            return web.Response(body=await request.read())
        return web.Response(text="ignored")

    async with serve(handler) as srv:
        conn = await srv.connect()
        for path, expected in (("/read", b"hello"), ("/skip", b"ignored")):
            head = f"POST {path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            conn.send(head.encode() + b"Content-Length: 5\r\n\r\nhello")
            reply = await conn.response()
            if path == "/read":
                assert reply.status == 100
                reply = await conn.response()
            assert (reply.status, reply.body) == (200, expected)
        await conn.close()


async def test_whole_body_over_client_max_size_is_refused() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(body=await request.read())

    def factory(message, payload, protocol, writer, task):  # type: ignore[no-untyped-def]
        return web.BaseRequest(
            message, payload, protocol, writer, task, protocol._loop, client_max_size=10
        )

    async with serve(handler, request_factory=factory) as srv:
        conn = await srv.connect()
        conn.send(post(b"0123456789"))  # exactly the limit: accepted
        first = await conn.response()
        conn.send(post(b"0123456789A"))
        second = await conn.response()
        await conn.close()
    assert (first.status, first.body) == (200, b"0123456789")
    assert second.status == 413


async def test_whole_body_read_through_a_clone_follows_the_clone_headers() -> None:
    # A clone declaring a larger Content-Length than client_max_size is refused
    # before reading, as for any request, even though the real body is small.
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        clone = request.clone(headers={"Content-Length": str(2 * 1024**2)})
        try:
            await clone.read()
        except web.HTTPRequestEntityTooLarge:
            return web.Response(body=b"refused:" + await request.read())
        return web.Response(text="read")

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(post(b"small"))
        reply = await conn.response()
        await conn.close()
    assert (reply.status, reply.body) == (200, b"refused:small")


async def test_app_request_reads_a_whole_body_with_the_app_limit() -> None:
    # Application requests are built without Request.__init__ (see _make_request):
    # they must still carry the app's client_max_size and a fresh state each.
    async def handler(request: web.Request) -> web.StreamResponse:
        assert "seen" not in request
        request["seen"] = True
        body = await request.read()
        return web.Response(text=f"{request.client_max_size}:{len(body)}")

    app = web.Application(client_max_size=8)
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(post(b"12345678") + post(b"123456789"))
        first = await asyncio.wait_for(read_response(reader), 2)
        second = await asyncio.wait_for(read_response(reader), 2)
        writer.close()
    finally:
        await runner.cleanup()
    assert (first.status, first.body) == (200, b"8:8")
    assert second.status == 413
