"""0.x client spellings: session.cookies, share_cookies, resolve/resolved_hosts, stream names."""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie

import pytest
from legacy_helpers import WebServer

import heron
from heron import web


def cookie_app() -> web.Application:
    async def set_cookie(request: web.Request) -> web.Response:
        resp = web.Response(text="set")
        resp.set_cookie("from_server", "s1")
        return resp

    async def echo(request: web.Request) -> web.Response:
        return web.json_response(dict(request.cookies))

    app = web.Application()
    app.router.add_get("/set", set_cookie)
    app.router.add_get("/echo", echo)
    return app


async def test_session_cookies_is_a_simplecookie_view_of_the_jar() -> None:
    async with WebServer(cookie_app()) as server, heron.ClientSession() as session:
        async with session.get(server.url("/set").replace("127.0.0.1", "localhost")) as r:
            assert r.status == 200
        with pytest.warns(DeprecationWarning, match=r"ClientSession.cookies.*cookie_jar"):
            cookies = session.cookies
        assert isinstance(cookies, SimpleCookie)
        assert cookies["from_server"].value == "s1"


async def test_setting_a_session_cookie_sends_it_everywhere() -> None:
    async with WebServer(cookie_app()) as server, heron.ClientSession() as session:
        with pytest.warns(DeprecationWarning):
            session.cookies["a"] = "b"  # B-071: in-place changes work
        async with session.get(server.url("/echo")) as r:
            assert await r.json() == {"a": "b"}
        with pytest.warns(DeprecationWarning):
            del session.cookies["a"]
        async with session.get(server.url("/echo")) as r:
            assert await r.json() == {}
        with pytest.raises(AttributeError):
            session.cookies = SimpleCookie()  # type: ignore[misc]  # B-071: read-only


async def test_share_cookies_is_accepted_and_ignored() -> None:
    with pytest.warns(DeprecationWarning, match=r"share_cookies.*cookie_jar") as record:
        connector = heron.TCPConnector(share_cookies=True)
    assert record[0].filename == __file__  # points at the caller's line, not heron's
    await connector.close()
    with pytest.warns(DeprecationWarning, match="share_cookies"):
        base = heron.BaseConnector(share_cookies=False)
    await base.close()


async def test_conn_timeout_bounds_establishing_a_connection() -> None:
    """0.x ``conn_timeout``: a TLS handshake that never completes times out."""

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accept the TCP connection, never answer the ClientHello
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with pytest.warns(DeprecationWarning, match=r"conn_timeout.*sock_connect") as record:
        connector = heron.TCPConnector(conn_timeout=0.2)
    assert record[0].filename == __file__
    try:
        async with heron.ClientSession(connector=connector) as session:
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(heron.ConnectionTimeoutError):
                await session.get(f"https://127.0.0.1:{port}/", ssl=False)
            assert loop.time() - started < 2
    finally:
        server.close()
        await server.wait_closed()


async def test_resolve_is_use_dns_cache() -> None:
    with pytest.warns(DeprecationWarning, match=r"resolve=.*use_dns_cache"):
        connector = heron.TCPConnector(resolve=False)
    try:
        assert connector.use_dns_cache is False
        with pytest.warns(DeprecationWarning, match=r"TCPConnector.resolve.*use_dns_cache"):
            assert connector.resolve is False
    finally:
        await connector.close()


async def test_resolved_hosts_and_clear_resolved_hosts_use_the_dns_cache() -> None:
    async with WebServer(cookie_app()) as server:
        connector = heron.TCPConnector(use_dns_cache=True)
        async with heron.ClientSession(connector=connector) as session:
            async with session.get(f"http://localhost:{server.port}/echo") as r:
                assert r.status == 200
            with pytest.warns(DeprecationWarning, match=r"resolved_hosts.*cached_hosts"):
                hosts = connector.resolved_hosts
            assert ("localhost", server.port) in hosts
            with pytest.warns(DeprecationWarning, match=r"clear_resolved_hosts.*clear_dns_cache"):
                connector.clear_resolved_hosts("localhost", server.port)
            assert ("localhost", server.port) not in connector.cached_hosts
            with pytest.raises(ValueError), pytest.warns(DeprecationWarning):
                connector.clear_resolved_hosts("localhost")


def test_old_stream_names_at_top_level() -> None:
    with pytest.warns(DeprecationWarning, match=r"FlowControlStreamReader.*heron.StreamReader"):
        assert heron.FlowControlStreamReader is heron.StreamReader
    with pytest.warns(DeprecationWarning, match="ChunksQueue"):
        assert heron.ChunksQueue is heron.streams.ChunksQueue
    with pytest.warns(DeprecationWarning, match="FlowControlChunksQueue"):
        assert heron.FlowControlChunksQueue is heron.streams.FlowControlChunksQueue


def test_multidicts_stay_at_top_level() -> None:
    import multidict

    assert heron.MultiDict is multidict.MultiDict
    assert heron.CIMultiDict is multidict.CIMultiDict
    with pytest.warns(DeprecationWarning, match=r"heron.upstr.*heron.istr"):
        assert heron.upstr is heron.istr
