"""An idempotent request whose pooled connection died is sent once more (aiohttp 3.x).

A server may close an idle keep-alive connection just as the client reuses it. When
the connection came from the pool, no byte of the answer arrived, the method is
idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE) and the body can be written
again, the session resends the request once on a new connection. Every test counts
the connections the server accepted, which proves how many attempts were made.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from client_helpers import Handler, RawRequest, read_request, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


@dataclass
class Dying:
    """A keep-alive server whose connection ``i`` answers ``answers[i]`` requests
    (the last entry for later ones), then reads one more request and drops the
    connection without answering: closed (FIN), reset (RST), or after ``partial``,
    a piece of an answer."""

    answers: list[int]
    reset: bool = False
    partial: bytes = b""
    connections: int = 0
    seen: list[tuple[int, RawRequest]] = field(default_factory=list)

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self.connections
        self.connections += 1
        budget = self.answers[min(index, len(self.answers) - 1)]
        while (req := await read_request(reader)) is not None:
            self.seen.append((index, req))
            if budget == 0:
                if self.partial:
                    writer.write(self.partial)
                    await writer.drain()
                if self.reset:
                    sock = writer.get_extra_info("socket")
                    # SO_LINGER 0: close() sends a RST instead of a FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.close()
                return
            budget -= 1
            text = f"{req.method} {req.target} {req.body.decode()}"
            writer.write(response(200, text.encode()))
            await writer.drain()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def warm(session: aiohttp.ClientSession, url: URL) -> None:
    """One answered request: the connection is in the pool afterwards."""
    async with session.get(url / "warm") as resp:
        assert await resp.text() == "GET /warm "


# -- resent -----------------------------------------------------------------------------


async def test_plain_get_is_resent_once_on_a_new_connection(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)
    async with session.get(url / "again") as resp:  # the short path
        assert resp.status == 200 and await resp.text() == "GET /again "
    assert server.connections == 2
    assert [(i, r.target) for i, r in server.seen] == [(0, "/warm"), (0, "/again"), (1, "/again")]
    async with session.get(url / "third") as resp:  # the new connection was pooled
        assert await resp.text() == "GET /third "
    assert server.connections == 2


async def test_reset_connection_is_resent_too(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    server = Dying([1, 5], reset=True)
    url = await raw_server(server)
    await warm(session, url)
    async with session.get(url / "again") as resp:
        assert await resp.text() == "GET /again "
    assert server.connections == 2


async def test_general_path_get_with_headers_and_params_is_resent(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)
    async with session.get(url / "q", params={"a": "1"}, headers={"X-Test": "yes"}) as resp:
        assert await resp.text() == "GET /q?a=1 "
    assert server.connections == 2
    assert [r.headers.get("x-test") for _, r in server.seen[1:]] == ["yes", "yes"]


@pytest.mark.parametrize(
    ("data", "sent"),
    [
        (b"raw bytes", b"raw bytes"),
        ("some text", b"some text"),
        ({"k": "v w"}, b"k=v+w"),
    ],
)
async def test_put_with_an_in_memory_body_is_resent(
    raw_server: RawServer, session: aiohttp.ClientSession, data: object, sent: bytes
) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)
    async with session.put(url / "doc", data=data) as resp:
        assert await resp.text() == f"PUT /doc {sent.decode()}"
    assert server.connections == 2
    assert [(i, r.body) for i, r in server.seen[1:]] == [(0, sent), (1, sent)]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "DELETE", "TRACE"])
async def test_other_idempotent_methods_are_resent(
    raw_server: RawServer, session: aiohttp.ClientSession, method: str
) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)
    async with session.request(method, url / "m") as resp:
        assert resp.status == 200
    assert server.connections == 2
    assert [r.method for _, r in server.seen[1:]] == [method, method]


async def test_traced_request_from_the_pool_is_resent(raw_server: RawServer) -> None:
    # With tracing, connections come from connector.connect(), which also reuses.
    events: list[str] = []

    async def on_reuse(*_: object) -> None:
        events.append("reuse")

    async def on_create(*_: object) -> None:
        events.append("create")

    trace = aiohttp.TraceConfig()
    trace.on_connection_reuseconn.append(on_reuse)
    trace.on_connection_create_end.append(on_create)
    server = Dying([1, 5])
    url = await raw_server(server)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        await warm(session, url)
        async with session.get(url / "again") as resp:
            assert await resp.text() == "GET /again "
    assert server.connections == 2
    assert events == ["create", "reuse", "create"]


async def test_redirect_hop_is_resent(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    # The second hop of a redirect goes over the pooled connection, which then dies.
    seen: list[str] = []
    connections: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        while (req := await read_request(reader)) is not None:
            seen.append(req.target)
            if req.target == "/from":
                writer.write(response(302, headers=[("Location", "/to")]))
            elif len(connections) == 1:
                writer.close()  # the pooled connection dies under the redirect
                return
            else:
                writer.write(response(200, b"arrived"))
            await writer.drain()

    url = await raw_server(handler)
    async with session.get(url / "from") as resp:
        assert await resp.text() == "arrived"
        assert [r.status for r in resp.history] == [302]
    assert seen == ["/from", "/to", "/to"] and len(connections) == 2


# -- not resent --------------------------------------------------------------------------


async def test_post_is_not_resent(raw_server: RawServer, session: aiohttp.ClientSession) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await session.post(url / "form", data=b"once")
    assert server.connections == 1
    assert [r.method for _, r in server.seen] == ["GET", "POST"]


async def test_patch_is_not_resent(raw_server: RawServer, session: aiohttp.ClientSession) -> None:
    server = Dying([1, 5], reset=True)
    url = await raw_server(server)
    await warm(session, url)
    with pytest.raises(aiohttp.ClientOSError):
        await session.patch(url / "x", data=b"once")
    assert server.connections == 1


async def test_a_fresh_connection_that_dies_is_not_resent(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    server = Dying([0])
    url = await raw_server(server)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await session.get(url / "first")  # the short path falls back: no pooled one
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await session.get(url / "first", headers={"X": "1"})
    assert server.connections == 2  # one attempt each


async def test_resent_only_once(raw_server: RawServer, session: aiohttp.ClientSession) -> None:
    # The pooled connection dies, and so does the new one: the error, no third try.
    server = Dying([1, 0, 1, 0])
    url = await raw_server(server)
    await warm(session, url)
    with pytest.raises(aiohttp.ServerDisconnectedError) as short_path:
        await session.get(url / "again")
    assert server.connections == 2
    await warm(session, url)  # (a third connection)
    with pytest.raises(aiohttp.ServerDisconnectedError) as general_path:
        await session.put(url / "again", data=b"x")
    assert server.connections == 4
    # The error is the resend's own on both paths, not chained to the first failure.
    for caught in (short_path, general_path):
        assert not isinstance(caught.value.__context__, aiohttp.ServerDisconnectedError)


async def test_not_resent_once_part_of_the_answer_came(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    # HEAD: the partial head is only buffered, so the error is a plain disconnect.
    server = Dying([1], partial=b"HTTP/1.1 200 OK\r\nContent-Le")
    url = await raw_server(server)
    await warm(session, url)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await session.head(url / "h")
    assert server.connections == 1
    await warm(session, url)
    with pytest.raises(aiohttp.ClientError):
        await session.get(url / "g")
    assert server.connections == 2


async def test_streamed_body_is_not_resent(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)

    async def body() -> AsyncIterator[bytes]:
        yield b"streamed"

    with pytest.raises(aiohttp.ServerDisconnectedError):
        await session.put(url / "stream", data=body())
    assert server.connections == 1
    assert server.seen[-1][1].body == b"streamed"


async def test_multipart_body_is_resent_unless_it_holds_a_stream(
    raw_server: RawServer, session: aiohttp.ClientSession
) -> None:
    server = Dying([1, 5])
    url = await raw_server(server)
    await warm(session, url)
    with aiohttp.MultipartWriter("form-data") as mp:
        mp.append("text part")
        mp.append_json({"a": 1})
    async with session.put(url / "mp", data=mp) as resp:
        assert resp.status == 200
    assert server.connections == 2
    assert server.seen[-1][1].body == server.seen[-2][1].body != b""

    async def chunks() -> AsyncIterator[bytes]:
        yield b"streamed part"

    server2 = Dying([1, 5])
    url2 = await raw_server(server2)
    await warm(session, url2)
    with aiohttp.MultipartWriter("form-data") as mp2:
        mp2.append("text part")
        mp2.append(chunks())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await session.put(url2 / "mp", data=mp2)
    assert server2.connections == 1


async def test_timeout_is_not_resent(raw_server: RawServer) -> None:
    connections: list[int] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        first = True
        while await read_request(reader) is not None:
            if first:
                writer.write(response(200, b"ok"))
                first = False
            # later requests: no answer

    url = await raw_server(silent)
    timeout = aiohttp.ClientTimeout(sock_read=0.05)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        async with session.get(url / "a") as resp:
            assert await resp.text() == "ok"
        with pytest.raises(asyncio.TimeoutError):
            await session.get(url / "b")
    assert len(connections) == 1


def test_resendable_bodies() -> None:
    from heron.client._sending import resendable

    assert resendable(b"x") and resendable(aiohttp.payload.StringPayload("x"))
    assert not resendable(SimpleNamespace())


async def test_connector_with_its_own_connect_decides_and_is_asked_once(
    raw_server: RawServer,
) -> None:
    # The resend asks an overridden connect() (not the pool's internals), still once.
    calls: list[str] = []

    class Counting(aiohttp.TCPConnector):
        async def connect(self, req: object, traces: object, timeout: object) -> object:  # type: ignore[override]
            calls.append(str(req.url))  # type: ignore[attr-defined]
            return await super().connect(req, traces, timeout)  # type: ignore[arg-type]

    for answers, resent_fails in (([1, 5], False), ([1, 0], True)):
        server = Dying(answers)
        url = await raw_server(server)
        calls.clear()
        async with aiohttp.ClientSession(connector=Counting()) as session:
            await warm(session, url)
            if resent_fails:
                with pytest.raises(aiohttp.ServerDisconnectedError):
                    await session.get(url / "again")
            else:
                async with session.get(url / "again") as resp:
                    assert await resp.text() == "GET /again "
        assert server.connections == 2 and calls == [str(url / "warm"), str(url / "again")]
