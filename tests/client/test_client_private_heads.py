"""Response heads that carry one user's secrets are not kept process-wide.

The parser's short path remembers recent identical response heads in a table shared
by the whole process (``heron.http._response_fast``). A head with ``Set-Cookie`` (or
another credential-bearing field) would keep the secret in memory after the session
that received it closed; such heads are parsed the same way but never kept. No
public behaviour shows what stays in memory, so these tests look at the table.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest
from client_helpers import Handler, read_request, response
from yarl import URL

import heron as aiohttp
from heron.http import _response_fast

RawServer = Callable[[Handler], Awaitable[URL]]


def kept(marker: str) -> bool:
    """Whether a head holding ``marker`` is in the process-wide head table."""
    needle = marker.encode()
    return any(needle in head for head in _response_fast._KNOWN)


async def fetch_twice(raw_server: RawServer, status: int, field: tuple[str, str]) -> list[str]:
    """GET the same head twice (a kept head is found the second time); return the
    field's values as the client saw them."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await read_request(reader) is not None:
            writer.write(response(status, b"body", [field]))
            await writer.drain()

    url = await raw_server(handler)
    values = []
    # (unsafe: a jar takes cookies from an IP address only then)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        for _ in range(2):
            async with session.get(url) as resp:
                assert resp.status == status and await resp.read() == b"body"
                values.append(resp.headers[field[0]])
        if field[0] == "Set-Cookie":
            # (the short path still sees the cookie and stores it)
            assert [c.value for c in session.cookie_jar] == [field[1].split("=", 1)[1]]
    return values


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (200, "Set-Cookie"),
        (200, "set-cookie"),
        (200, "Set-Cookie2"),
        (401, "WWW-Authenticate"),
        (407, "Proxy-Authenticate"),
        (200, "Authentication-Info"),
    ],
)
async def test_head_with_a_secret_is_not_kept(
    raw_server: RawServer, status: int, name: str
) -> None:
    secret = uuid.uuid4().hex
    value = f"sid={secret}" if name.lower() == "set-cookie" else f'Basic realm="{secret}"'
    assert await fetch_twice(raw_server, status, (name, value)) == [value, value]
    assert not kept(secret)


async def test_plain_head_is_still_kept(raw_server: RawServer) -> None:
    # The check above means something: an ordinary head does go into the table.
    marker = uuid.uuid4().hex
    assert await fetch_twice(raw_server, 200, ("X-Marker", marker)) == [marker, marker]
    assert kept(marker)


def test_parse_whole_gives_the_same_head_either_way() -> None:
    secret = uuid.uuid4().hex
    data = f"HTTP/1.1 200 OK\r\nSet-Cookie: a={secret}\r\nContent-Length: 2\r\n\r\nok".encode()
    first = _response_fast.parse_whole(data, 8190, 128)
    second = _response_fast.parse_whole(data, 8190, 128)
    assert first is not None and second is not None
    assert first[0] is not second[0]  # built anew each time: nothing shared
    assert first[0].sets_cookie and first[0].code == 200 and first[1] == b"ok"
    assert first[0].headers["Set-Cookie"] == f"a={secret}"
    assert not kept(secret)
