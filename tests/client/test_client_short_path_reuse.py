"""Plain ``session.get(url)`` calls reuse what the previous response left behind.

The short path keeps the connection's parser, its settings and even the
``Connection`` object of a response that came in whole (nobody saw it). These tests
pin that this reuse never shows: a connection handed to the user is never lent again,
per-request options switch the settings both ways, and ``sock_read`` still fires.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from client_helpers import Handler, read_request, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


def answering(answers: dict[str, bytes], counter: list[int]) -> Handler:
    """A keep-alive raw server: the answer of a path, else the path as the body."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counter.append(1)
        while (req := await read_request(reader)) is not None:
            answer = answers.get(req.target, response(200, req.target.encode()))
            for part in answer.split(b"|"):  # "|": a pause, the rest in a later read
                writer.write(part)
                await writer.drain()
                await asyncio.sleep(0.01 if len(answer) > len(part) else 0)

    return handler


async def test_a_connection_shown_to_the_user_is_never_lent_again(
    raw_server: RawServer,
) -> None:
    counter: list[int] = []
    stream = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc|def"
    url = await raw_server(answering({"/stream": stream}, counter))
    async with aiohttp.ClientSession() as session:
        for i in range(3):  # whole answers: released before they are returned
            async with session.get(url / f"w{i}") as resp:
                assert resp.connection is None and await resp.text() == f"/w{i}"
        async with session.get(url / "stream") as resp:
            held = resp.connection
            assert held is not None and not held.closed
            assert await resp.read() == b"abcdef"
        async with session.get(url / "stream") as resp:
            assert resp.connection is not None and resp.connection is not held
            assert await resp.read() == b"abcdef"
        for i in range(3):
            async with session.get(url / f"x{i}") as resp:
                assert await resp.text() == f"/x{i}"
        held.close()  # long released: must not touch the socket now in the pool
        held.release()
        async with session.get(url / "after") as resp:
            assert await resp.text() == "/after"
    assert len(counter) == 1


async def test_per_request_limits_then_plain_gets_on_one_connection(
    raw_server: RawServer,
) -> None:
    counter: list[int] = []
    long_field = response(200, b"long", [("X-Long", "v" * 100)])
    url = await raw_server(answering({"/long": long_field}, counter))
    async with aiohttp.ClientSession() as session:
        async with session.get(url / "long") as resp:
            assert await resp.text() == "long"
        with pytest.raises(aiohttp.ClientResponseError):
            await session.get(url / "long", max_field_size=50)
        for _ in range(2):  # the plain settings again, on the next connection
            async with session.get(url / "long") as resp:
                assert resp.headers["X-Long"] == "v" * 100
        async with session.get(url / "long", max_field_size=500) as resp:
            assert await resp.text() == "long"
        async with session.get(url / "long") as resp:
            assert await resp.text() == "long"
    assert len(counter) == 2  # only the refused answer cost its connection


async def test_sock_read_still_fires_for_plain_gets(raw_server: RawServer) -> None:
    counter: list[int] = []
    url = await raw_server(answering({"/never": b""}, counter))
    timeout = aiohttp.ClientTimeout(sock_read=0.25)  # (room for a loaded machine)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for _ in range(2):
            async with session.get(url / "warm") as resp:
                assert await resp.text() == "/warm"
        with pytest.raises(aiohttp.ServerTimeoutError):
            await session.get(url / "never")
        async with session.get(url / "again") as resp:
            assert await resp.text() == "/again"
    assert len(counter) == 2


async def test_total_timeout_after_the_timer_lapsed_while_idle(raw_server: RawServer) -> None:
    counter: list[int] = []
    url = await raw_server(answering({"/never": b""}, counter))
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.25)) as session:
        for _ in range(2):
            async with session.get(url / "warm") as resp:
                assert await resp.text() == "/warm"
        await asyncio.sleep(0.3)  # the deadline of the last request passes while idle
        async with session.get(url / "idle") as resp:
            assert await resp.text() == "/idle"
        loop = asyncio.get_running_loop()
        start = loop.time()
        with pytest.raises(asyncio.TimeoutError):
            await session.get(url / "never")
        assert loop.time() - start < 1


async def test_plain_gets_within_connection_limits(raw_server: RawServer) -> None:
    counter: list[int] = []
    url = await raw_server(
        answering({"/slow": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n|ok"}, counter)
    )
    for kwargs in ({"limit_per_host": 1}, {"limit": 1}):
        connector = aiohttp.TCPConnector(**kwargs)  # type: ignore[arg-type]
        async with aiohttp.ClientSession(connector=connector) as session:
            async with session.get(url / "warm") as resp:
                assert await resp.text() == "/warm"

            async def slow() -> str:
                async with session.get(url / "slow") as resp:
                    return await resp.text()

            # Two at once with one slot: the second waits for the first's connection.
            assert await asyncio.gather(slow(), slow()) == ["ok", "ok"]
            async with session.get(url / "after") as resp:
                assert await resp.text() == "/after"
    assert len(counter) == 2  # one connection per session
