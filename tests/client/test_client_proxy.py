"""Proxies: absolute-form HTTP, CONNECT tunnels for HTTPS, credentials, environment."""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import trustme
from aiohttp import web
from client_helpers import ForwardProxy
from yarl import URL

import heron as aiohttp


@pytest.fixture
async def origin(aio_server: Callable[..., Awaitable[URL]]) -> URL:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"{request.method} {request.path_qs} {request.secure}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return await aio_server(app)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_origin(ca: trustme.CA, aio_server: Callable[..., Awaitable[URL]]) -> URL:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"tls {request.path} {request.secure}")

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return await aio_server(app, ssl_context=server_ctx)


@pytest.fixture
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def test_http_through_proxy_absolute_form(forward_proxy: ForwardProxy, origin: URL) -> None:
    async with (
        aiohttp.ClientSession() as s,
        s.get(origin / "x", params={"q": "1"}, proxy=forward_proxy.url) as resp,
    ):
        assert await resp.text() == "GET /x?q=1 False"
    assert forward_proxy.seen == [("GET", str(origin / "x") + "?q=1", None)]


async def test_proxy_auth_argument_and_url(forward_proxy: ForwardProxy, origin: URL) -> None:
    """B-069."""
    auth = aiohttp.BasicAuth("puser", "ppass")
    async with aiohttp.ClientSession() as s:
        await (await s.get(origin, proxy=forward_proxy.url, proxy_auth=auth)).read()
        with_creds = forward_proxy.url.with_user("u").with_password("p")
        await (await s.get(origin, proxy=with_creds)).read()
    assert [seen[2] for seen in forward_proxy.seen] == [
        auth.encode(),
        aiohttp.BasicAuth("u", "p").encode(),
    ]


async def test_https_through_connect_tunnel(
    forward_proxy: ForwardProxy, tls_origin: URL, client_ctx: ssl.SSLContext
) -> None:
    auth = aiohttp.BasicAuth("a", "b")
    async with aiohttp.ClientSession() as s:
        for _ in range(2):  # the tunnel is pooled like any connection
            async with s.get(
                tls_origin / "secret", proxy=forward_proxy.url, proxy_auth=auth, ssl=client_ctx
            ) as resp:
                assert await resp.text() == "tls /secret True"
    assert forward_proxy.seen == [("CONNECT", f"127.0.0.1:{tls_origin.port}", auth.encode())]


async def test_tunnel_verifies_origin_certificate(
    forward_proxy: ForwardProxy, tls_origin: URL
) -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await s.get(tls_origin, proxy=forward_proxy.url)


async def test_connect_refused_by_proxy(forward_proxy: ForwardProxy, tls_origin: URL) -> None:
    """B-068: a non-2xx answer to CONNECT."""
    forward_proxy.refuse = 407
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await s.get(tls_origin, proxy=forward_proxy.url)
    assert info.value.status == 407


async def test_unreachable_proxy(origin: URL) -> None:
    """B-068: nothing listens at the proxy address."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientProxyConnectionError):
            await s.get(origin, proxy=f"http://127.0.0.1:{port}")


async def test_session_proxy(forward_proxy: ForwardProxy, origin: URL) -> None:
    async with aiohttp.ClientSession(proxy=forward_proxy.url) as s:
        await (await s.get(origin)).read()
    assert len(forward_proxy.seen) == 1


async def test_trust_env_proxy(
    forward_proxy: ForwardProxy, origin: URL, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", str(forward_proxy.url.with_user("env").with_password("pw")))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with aiohttp.ClientSession() as s:
        await (await s.get(origin)).read()  # trust_env off: direct
    assert forward_proxy.seen == []
    async with aiohttp.ClientSession(trust_env=True) as s:
        await (await s.get(origin)).read()
    assert forward_proxy.seen == [("GET", str(origin), aiohttp.BasicAuth("env", "pw").encode())]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with aiohttp.ClientSession(trust_env=True) as s:
        await (await s.get(origin)).read()
    assert len(forward_proxy.seen) == 1  # bypassed


async def test_trust_env_netrc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, echo_url: URL
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login nuser password npass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    async with aiohttp.ClientSession(trust_env=True) as s, s.get(echo_url) as resp:
        doc = await resp.json()
    assert ["Authorization", aiohttp.BasicAuth("nuser", "npass").encode()] in doc["headers"]
    async with aiohttp.ClientSession() as s, s.get(echo_url) as resp:
        doc = await resp.json()
    assert all(name != "Authorization" for name, _ in doc["headers"])
