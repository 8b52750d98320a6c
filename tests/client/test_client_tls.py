"""TLS: verification on by default, ssl=False, custom contexts, fingerprints (B-061..B-064)."""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import trustme
from aiohttp import web
from yarl import URL

import heron as aiohttp


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_url(ca: trustme.CA, aio_server: Callable[..., Awaitable[URL]]) -> AsyncIterator[URL]:
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"secure {request.secure}")

    async def peer(request: web.Request) -> web.Response:
        assert request.transport is not None
        return web.Response(text=str(request.transport.get_extra_info("peername")[1]))

    app = web.Application()
    app.router.add_get("/", handler)
    app.router.add_get("/peer", peer)
    yield await aio_server(app, ssl_context=server_ctx)


@pytest.fixture
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def server_fingerprint(url: URL) -> bytes:
    # In a thread: the server runs on this test's event loop.
    pem = await asyncio.to_thread(ssl.get_server_certificate, ("127.0.0.1", url.port or 443))
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).digest()


async def test_unknown_ca_refused(tls_url: URL) -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectorCertificateError) as info:
            await s.get(tls_url)
    err = info.value
    assert isinstance(err, aiohttp.ClientSSLError)
    assert isinstance(err, ssl.CertificateError)
    assert err.host == "127.0.0.1"
    assert isinstance(err.certificate_error, ssl.SSLCertVerificationError)


async def test_custom_context_trusts_ca(tls_url: URL, client_ctx: ssl.SSLContext) -> None:
    async with aiohttp.ClientSession() as s, s.get(tls_url, ssl=client_ctx) as resp:
        assert await resp.text() == "secure True"
    connector = aiohttp.TCPConnector(ssl=client_ctx)
    async with aiohttp.ClientSession(connector=connector) as s, s.get(tls_url) as resp:
        assert resp.status == 200


async def test_hostname_mismatch_refused(
    ca: trustme.CA, aio_server: Callable[..., Awaitable[URL]], client_ctx: ssl.SSLContext
) -> None:
    cert = ca.issue_cert("other.example")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    url = await aio_server(web.Application(), ssl_context=server_ctx)
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await s.get(url, ssl=client_ctx)
        async with s.get(url, ssl=client_ctx, server_hostname="other.example") as resp:
            assert resp.status == 404


async def test_ssl_false_skips_verification(tls_url: URL) -> None:
    async with aiohttp.ClientSession() as s, s.get(tls_url, ssl=False) as resp:
        assert await resp.text() == "secure True"
    with pytest.warns(DeprecationWarning):
        async with aiohttp.ClientSession() as s, s.get(tls_url, verify_ssl=False) as resp:
            assert resp.status == 200


async def test_fingerprint_match_and_mismatch(ca: trustme.CA, tls_url: URL) -> None:
    """B-063."""
    good = await server_fingerprint(tls_url)
    async with aiohttp.ClientSession() as s:
        async with s.get(tls_url, ssl=aiohttp.Fingerprint(good)) as resp:
            assert resp.status == 200
        bad = hashlib.sha256(b"something else").digest()
        with pytest.raises(aiohttp.ServerFingerprintMismatch) as info:
            await s.get(tls_url, ssl=aiohttp.Fingerprint(bad))
    assert info.value.expected == bad
    assert info.value.got == good
    assert info.value.port == tls_url.port


def test_fingerprint_refuses_weak_digests() -> None:
    """B-064 as aiohttp 3.x does it: md5 and sha1 are refused."""
    with pytest.raises(ValueError, match="sha256"):
        aiohttp.Fingerprint(hashlib.md5(b"x").digest())
    with pytest.raises(ValueError, match="sha256"):
        aiohttp.Fingerprint(hashlib.sha1(b"x").digest())
    with pytest.raises(ValueError):
        aiohttp.Fingerprint(b"short")
    fp = aiohttp.Fingerprint(hashlib.sha256(b"x").digest())
    assert fp.fingerprint == hashlib.sha256(b"x").digest()


async def test_legacy_ssl_arguments_exclusive(client_ctx: ssl.SSLContext) -> None:
    """B-061."""
    with pytest.raises(ValueError):
        aiohttp.TCPConnector(verify_ssl=False, ssl_context=client_ctx)
    with pytest.raises(ValueError):
        aiohttp.TCPConnector(ssl=False, ssl_context=client_ctx)
    with pytest.raises(TypeError):
        aiohttp.TCPConnector(ssl="yes")  # type: ignore[arg-type]


async def test_tls_reused_connection(tls_url: URL, client_ctx: ssl.SSLContext) -> None:
    connector = aiohttp.TCPConnector(ssl=client_ctx, enable_cleanup_closed=True)
    async with aiohttp.ClientSession(connector=connector) as s:
        ports = set()
        for _ in range(3):
            async with s.get(tls_url / "peer") as resp:
                ports.add(await resp.text())
        assert len(ports) == 1  # one TLS connection served all three
