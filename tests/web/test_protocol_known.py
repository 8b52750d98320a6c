"""Repeated whole requests answered without the parser (KnownRequests), over sockets.

An idle connection that receives a request whose head bytes were parsed before, as
one whole message, skips the parser. These tests pin that such repeats are answered
exactly like first sightings: fresh request objects, the new body, limits of the
server that receives them, pipelining and Expect untouched.
"""

from __future__ import annotations

import asyncio

from server_helpers import serve

from heron import web

SEEN: list[tuple[str, str, str, bytes]] = []


async def echo(request: web.BaseRequest) -> web.StreamResponse:
    body = await request.read()
    SEEN.append((request.method, request.path_qs, request.headers.get("X-Tag", ""), body))
    return web.Response(body=f"{request.method} {request.path_qs} ".encode() + body)


async def test_repeats_are_answered_like_the_first() -> None:
    SEEN.clear()
    head = b"GET /r?q=1 HTTP/1.1\r\nHost: x\r\nX-Tag: t\r\n\r\n"
    async with serve(echo) as srv:
        conns = [await srv.connect() for _ in range(2)]
        for _ in range(3):
            for conn in conns:
                conn.send(head)
                reply = await conn.response()
                assert (reply.status, reply.body) == (200, b"GET /r?q=1 ")
        for conn in conns:
            await conn.close()
    assert SEEN == [("GET", "/r?q=1", "t", b"")] * 6


async def test_the_same_head_with_other_bodies() -> None:
    head = b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
    async with serve(echo) as srv:
        conn = await srv.connect()
        for body in (b"first", b"again", b"third"):
            conn.send(head + body)
            assert (await conn.response()).body == b"POST /up " + body
        # The known head with its body in two pieces goes through the parser.
        conn.send(head + b"sp")
        await asyncio.sleep(0.02)
        conn.send(b"lit")
        assert (await conn.response()).body == b"POST /up split"
        await conn.close()


async def test_pipelined_repeats_are_answered_in_order() -> None:
    head = b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n"
    post = b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n"
    async with serve(echo) as srv:
        conn = await srv.connect()
        conn.send(head)
        await conn.response()
        conn.send(post + b"ab")
        await conn.response()
        conn.send(head + post + b"cd" + head)
        bodies = [(await conn.response()).body for _ in range(3)]
        assert bodies == [b"GET /p ", b"POST /p cd", b"GET /p "]
        await conn.close()


async def test_limits_are_those_of_the_receiving_server() -> None:
    # A head learned by a server with default limits is refused by one whose field
    # limit it exceeds, every time.
    head = b"GET /l HTTP/1.1\r\nHost: x\r\nX-Long: " + b"v" * 200 + b"\r\n\r\n"
    async with serve(echo) as roomy, serve(echo, max_field_size=100) as strict:
        conn = await roomy.connect()
        for _ in range(2):
            conn.send(head)
            assert (await conn.response()).status == 200
        await conn.close()
        for _ in range(2):
            conn = await strict.connect()
            conn.send(head)
            assert (await conn.response()).status == 431
            await conn.close()


async def test_expect_continue_on_a_known_head() -> None:
    head = b"POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    async with serve(echo) as srv:
        conn = await srv.connect()
        for body in (b"abc", b"xyz"):
            # The whole message at once: no interim answer is needed, none is lost.
            conn.send(head + body)
            reply = await conn.response()
            if reply.status == 100:
                reply = await conn.response()
            assert reply.body == b"POST /e " + body
        # The head alone: the client waits for 100 Continue before its body.
        conn.send(head)
        interim = await conn.response(head_only=True)
        assert interim.status == 100
        conn.send(b"123")
        assert (await conn.response()).body == b"POST /e 123"
        await conn.close()


async def test_closing_repeats_still_close() -> None:
    head = b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    async with serve(echo) as srv:
        for _ in range(2):
            conn = await srv.connect()
            conn.send(head)
            assert (await conn.response()).body == b"GET /c "
            assert await conn.closed_by_server()
            await conn.close()


async def test_repeats_without_host_are_refused_every_time() -> None:
    # llhttp accepts an HTTP/1.1 head without Host; the server refuses it (RFC 9112
    # §3.2). A repeat of such a head, answered from the table, is refused as well.
    head = b"GET /nohost HTTP/1.1\r\nX-Tag: t\r\n\r\n"
    async with serve(echo) as srv:
        for _ in range(3):
            conn = await srv.connect()
            conn.send(head)
            assert (await conn.response()).status == 400
            await conn.close()


async def test_a_known_request_behind_a_waiting_handler_waits_its_turn() -> None:
    # Both requests are known (answered from the table, no parser held). The first
    # one's handler waits; the second, arriving meanwhile, is queued behind it and
    # answered after it, never first.
    gate = asyncio.Event()

    async def slow_then_echo(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/slow":
            await gate.wait()
        return web.Response(text=request.path)

    slow = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
    fast = b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
    async with serve(slow_then_echo) as srv:
        conn = await srv.connect()
        gate.set()
        for _ in range(2):  # both learned
            for head in (slow, fast):
                conn.send(head)
                await conn.response()
        gate.clear()
        for _ in range(2):
            conn.send(slow)
            await asyncio.sleep(0.02)
            conn.send(fast)
            await asyncio.sleep(0.02)
            gate.set()
            assert [(await conn.response()).body for _ in range(2)] == [b"/slow", b"/fast"]
            gate.clear()
        await conn.close()


async def test_repeats_with_a_body_and_without_host_are_refused_every_time() -> None:
    head = b"POST /nohost HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
    async with serve(echo) as srv:
        for _ in range(3):
            conn = await srv.connect()
            conn.send(head + b"abc")
            assert (await conn.response()).status == 400
            await conn.close()


async def test_a_known_post_behind_a_waiting_handler_keeps_its_body_and_turn() -> None:
    gate = asyncio.Event()

    async def slow_then_echo(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/slow":
            await gate.wait()
        return web.Response(body=request.path.encode() + b" " + await request.read())

    slow = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
    post = b"POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
    async with serve(slow_then_echo) as srv:
        conn = await srv.connect()
        gate.set()
        for body in (b"aaaa", b"bbbb"):  # both heads learned
            conn.send(slow)
            await conn.response()
            conn.send(post + body)
            assert (await conn.response()).body == b"/post " + body
        gate.clear()
        for body in (b"cccc", b"dddd"):
            conn.send(slow)
            await asyncio.sleep(0.02)
            conn.send(post + body)
            await asyncio.sleep(0.02)
            gate.set()
            replies = [(await conn.response()).body for _ in range(2)]
            assert replies == [b"/slow ", b"/post " + body]
            gate.clear()
        await conn.close()


async def test_a_connection_repeating_its_cookie_gets_it_each_time() -> None:
    seen: list[tuple[str, dict[str, str], bytes]] = []

    async def cookies(request: web.BaseRequest) -> web.StreamResponse:
        seen.append((request.path, dict(request.cookies), await request.read()))
        return web.Response(text=request.cookies.get("sid", "-"))

    get = b"GET /c HTTP/1.1\r\nHost: x\r\nCookie: sid=one\r\n\r\n"
    post = b"POST /p HTTP/1.1\r\nHost: x\r\nCookie: sid=one\r\nContent-Length: 2\r\n\r\n"
    async with serve(cookies) as srv:
        conn = await srv.connect()
        for body in (b"aa", b"bb", b"cc"):
            conn.send(get)
            assert (await conn.response()).body == b"one"
            conn.send(post + body)
            assert (await conn.response()).body == b"one"
        conn.send(get.replace(b"one", b"two"))  # the cookie changes mid-connection
        assert (await conn.response()).body == b"two"
        conn.send(get.replace(b"one", b"two"))
        assert (await conn.response()).body == b"two"
        await conn.close()
        other = await srv.connect()  # another connection, the first head again
        other.send(get)
        assert (await other.response()).body == b"one"
        await other.close()
    assert [s[2] for s in seen if s[0] == "/p"] == [b"aa", b"bb", b"cc"]
    assert [s[1]["sid"] for s in seen] == ["one"] * 6 + ["two", "two", "one"]


async def test_no_process_wide_table_keeps_a_token_after_its_connection() -> None:
    from heron.http import parser as parser_module
    from heron.web import _protocol_state
    from heron.web.request import PLAIN_HEAD

    token = b"Bearer t0ken-that-must-not-linger"
    head = b"GET /t HTTP/1.1\r\nHost: x\r\nAuthorization: " + token + b"\r\n\r\n"

    async def ok(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text=request.headers["Authorization"][-6:])

    async with serve(ok) as srv:
        conn = await srv.connect()
        for _ in range(3):
            conn.send(head)
            assert (await conn.response()).body == b"linger"
        await conn.close()
    holders: list[object] = [parser_module._HEADS, PLAIN_HEAD]
    for pool in _protocol_state._POOLS.values():
        holders += [pool.known, *pool.free]
    assert not _reaches(holders, token)


def _reaches(roots: list[object], needle: bytes, depth: int = 6) -> bool:
    """Whether ``needle`` is in a bytes or str object reachable from ``roots``
    (breadth first, ``depth`` levels, never through modules, classes or code)."""
    import gc
    import types

    text = needle.decode()
    seen: set[int] = set()
    level = list(roots)
    for _ in range(depth):
        following: list[object] = []
        for obj in level:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, bytes) and needle in obj:
                return True
            if isinstance(obj, str) and text in obj:
                return True
            skip = (type, types.ModuleType, types.FunctionType, types.CodeType)
            if not isinstance(obj, skip):
                following += gc.get_referents(obj)
        level = following
    return False
