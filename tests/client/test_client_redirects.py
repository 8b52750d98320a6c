"""Redirects: every status, method rewriting, history, limits, credentials (B-001, B-024..B-031)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from client_helpers import Handler, RawRequest, echo_answer, keep_answering, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


async def redirect_server(raw_server: RawServer, routes: dict[str, tuple[int, str]]) -> URL:
    """Targets in ``routes`` redirect; anything else echoes the request as JSON."""

    def answer(req: RawRequest) -> bytes:
        path = req.target.split("?")[0]
        if path in routes:
            status, location = routes[path]
            return response(status, b"moved", [("Location", location)], reason="Redirect")
        return echo_answer(req)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, answer)

    return await raw_server(handler)


async def final_doc(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(await resp.text())
    doc["hdrs"] = {k.lower(): v for k, v in doc["headers"]}
    return doc


@pytest.mark.parametrize(
    ("status", "method", "expected_method", "body_kept"),
    [
        (301, "POST", "GET", False),
        (302, "POST", "GET", False),
        (303, "POST", "GET", False),
        (303, "PUT", "GET", False),
        (307, "POST", "POST", True),
        (308, "POST", "POST", True),
        (301, "PUT", "PUT", True),
        (302, "DELETE", "DELETE", False),
    ],
)
async def test_redirect_method_rewrite(
    raw_server: RawServer, status: int, method: str, expected_method: str, body_kept: bool
) -> None:
    """B-024: 301/302 POST and 303 become GET without a body; 307/308 keep both."""
    url = await redirect_server(raw_server, {"/start": (status, "/end")})
    data = b"payload" if method != "DELETE" else None
    async with aiohttp.ClientSession() as s, s.request(method, url / "start", data=data) as resp:
        doc = await final_doc(resp)
        assert resp.status == 200
        assert [r.status for r in resp.history] == [status]
        assert resp.history[0].url == url / "start"
        assert resp.url == url / "end"
    assert doc["method"] == expected_method
    if body_kept:
        assert doc["body"] == "payload"
    else:
        assert doc["body"] == ""
        assert "content-length" not in doc["hdrs"] or doc["hdrs"]["content-length"] == "0"
        assert "content-type" not in doc["hdrs"]


async def test_history_order_and_tuple(raw_server: RawServer) -> None:
    """B-031: earliest first; history is a tuple."""
    url = await redirect_server(raw_server, {"/a": (301, "/b"), "/b": (302, "/c")})
    async with aiohttp.ClientSession() as s, s.get(url / "a") as resp:
        assert isinstance(resp.history, tuple)
        assert [str(r.url.path) for r in resp.history] == ["/a", "/b"]
        assert resp.url.path == "/c"


async def test_no_redirect_when_disabled(raw_server: RawServer) -> None:
    """B-030."""
    url = await redirect_server(raw_server, {"/a": (302, "/b")})
    async with aiohttp.ClientSession() as s, s.get(url / "a", allow_redirects=False) as resp:
        assert resp.status == 302
        assert resp.history == ()
        assert resp.headers["Location"] == "/b"


async def test_head_does_not_follow_by_default(raw_server: RawServer) -> None:
    """B-001."""
    url = await redirect_server(raw_server, {"/a": (302, "/b")})
    async with aiohttp.ClientSession() as s:
        async with s.head(url / "a") as resp:
            assert resp.status == 302
        async with s.head(url / "a", allow_redirects=True) as resp:
            assert resp.status == 200
        async with s.options(url / "a") as resp:
            assert resp.status == 200


async def test_redirect_loop_too_many(raw_server: RawServer) -> None:
    url = await redirect_server(raw_server, {"/loop": (302, "/loop")})
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.TooManyRedirects) as info:
            await s.get(url / "loop", max_redirects=3)
    assert len(info.value.history) == 3
    assert isinstance(info.value, aiohttp.ClientResponseError)
    assert info.value.request_info.url == url / "loop"


async def test_redirect_keeps_query_untrimmed(raw_server: RawServer) -> None:
    """B-025: the target is used untouched ('=' survives)."""
    url = await redirect_server(raw_server, {"/a": (302, "/b?x=a%3Db&token=abc==")})
    async with aiohttp.ClientSession() as s, s.get(url / "a") as resp:
        doc = await final_doc(resp)
    assert doc["target"] == "/b?x=a%3Db&token=abc=="


async def test_redirect_absolute_and_relative(raw_server: RawServer) -> None:
    url = await redirect_server(raw_server, {})
    url2 = await redirect_server(
        raw_server, {"/dir/a": (302, "b"), "/dir/b": (302, str(url / "final"))}
    )
    async with aiohttp.ClientSession() as s, s.get(url2 / "dir" / "a") as resp:
        assert resp.url == url / "final"
        assert [r.url.path for r in resp.history] == ["/dir/a", "/dir/b"]


async def test_redirect_without_location_is_final(raw_server: RawServer) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, lambda r: response(302, b"nowhere"))

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        assert resp.status == 302
        assert resp.history == ()
        assert await resp.read() == b"nowhere"


async def test_redirect_to_non_http_refused(raw_server: RawServer) -> None:
    url = await redirect_server(raw_server, {"/a": (302, "ftp://example.com/x")})
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.NonHttpUrlRedirectClientError):
            await s.get(url / "a")


async def test_redirect_to_bad_url_refused(raw_server: RawServer) -> None:
    url = await redirect_server(raw_server, {"/a": (302, "http://[bad")})
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.InvalidUrlRedirectClientError):
            await s.get(url / "a")


async def test_authorization_dropped_cross_origin(raw_server: RawServer) -> None:
    other = await redirect_server(raw_server, {})
    url = await redirect_server(
        raw_server, {"/same": (302, "/echo"), "/away": (302, str(other / "echo"))}
    )
    auth = aiohttp.BasicAuth("user", "secret")
    async with aiohttp.ClientSession() as s:
        async with s.get(url / "same", auth=auth, cookies={"c": "1"}) as resp:
            doc = await final_doc(resp)
        assert doc["hdrs"]["authorization"] == auth.encode()
        assert doc["hdrs"]["cookie"] == "c=1"
        async with s.get(url / "away", auth=auth, cookies={"c": "1"}) as resp:
            doc = await final_doc(resp)
        assert "authorization" not in doc["hdrs"]
        assert "cookie" not in doc["hdrs"]
        headers = {"Authorization": "Bearer t"}
        async with s.get(url / "away", headers=headers) as resp:
            doc = await final_doc(resp)
        assert "authorization" not in doc["hdrs"]
    async with aiohttp.ClientSession(auth=auth) as s, s.get(url / "away") as resp:
        doc = await final_doc(resp)
    assert "authorization" not in doc["hdrs"]


async def test_redirect_cookies_follow_the_jar(raw_server: RawServer) -> None:
    """Cookies set by a redirect are stored; resp.cookies shows the last response only."""

    def answer(req: RawRequest) -> bytes:
        if req.target == "/login":
            return response(302, b"", [("Location", "/home"), ("Set-Cookie", "sid=42")])
        return response(200, req.headers.get("cookie", "").encode(), [("Set-Cookie", "last=1")])

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, answer)

    url = await raw_server(handler)
    jar = aiohttp.CookieJar(unsafe=True)  # the server is addressed by IP
    async with aiohttp.ClientSession(cookie_jar=jar) as s, s.get(url / "login") as resp:
        assert await resp.text() == "sid=42"
        assert set(resp.cookies) == {"last"}  # B-032
        assert set(resp.history[0].cookies) == {"sid"}
