"""ClientSession lifetime, properties, the module-level request(), warnings, exceptions."""

from __future__ import annotations

import asyncio
import gc
import pickle
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from client_helpers import Handler, keep_answering, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


async def ok_server(raw_server: RawServer) -> URL:
    return await raw_server(lambda r, w: keep_answering(r, w, lambda q: response(200, b"ok")))


async def test_properties() -> None:
    jar = aiohttp.DummyCookieJar()
    timeout = aiohttp.ClientTimeout(total=5)
    auth = aiohttp.BasicAuth("a")
    async with aiohttp.ClientSession(
        headers={"X": "1"},
        cookie_jar=jar,
        timeout=timeout,
        auth=auth,
        raise_for_status=True,
        auto_decompress=False,
        trust_env=True,
        skip_auto_headers=["User-Agent"],
    ) as s:
        assert s.headers["x"] == "1"
        assert s.cookie_jar is jar
        assert s.timeout is timeout
        assert s.auth is auth
        assert s.raise_for_status is True
        assert s.auto_decompress is False
        assert s.trust_env is True
        assert "User-Agent" in s.skip_auto_headers
        assert s.connector_owner is True
        assert isinstance(s.connector, aiohttp.TCPConnector)
        assert s.loop is asyncio.get_running_loop()
        assert not s.closed
    assert s.closed


async def test_close_and_detach() -> None:
    """B-070."""
    session = aiohttp.ClientSession()
    connector = session.connector
    assert connector is not None
    session.detach()
    assert session.closed
    assert not connector.closed
    await connector.close()
    session = aiohttp.ClientSession()
    await session.close()
    assert session.closed
    await session.close()  # idempotent
    with pytest.raises(RuntimeError):
        await session.get("http://127.0.0.1/")


async def test_sync_with_refused() -> None:
    session = aiohttp.ClientSession()
    with pytest.raises(TypeError), session:
        pass
    await session.close()


async def test_connector_loop_mismatch() -> None:
    other = asyncio.new_event_loop()
    try:
        connector = aiohttp.TCPConnector(loop=other)
        with pytest.raises(RuntimeError):
            aiohttp.ClientSession(connector=connector)
        connector.close()
    finally:
        other.close()


async def test_unclosed_session_warns() -> None:
    loop = asyncio.get_running_loop()
    contexts: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
    loop.set_debug(True)
    try:
        session = aiohttp.ClientSession()
        with pytest.warns(ResourceWarning, match="Unclosed client session"):
            del session
            gc.collect()
    finally:
        loop.set_debug(False)
        loop.set_exception_handler(None)
    messages = [c["message"] for c in contexts]
    assert "Unclosed client session" in messages
    ctx = contexts[messages.index("Unclosed client session")]
    assert "source_traceback" in ctx  # where it was created (debug mode)
    assert any("test_unclosed_session_warns" in frame.name for frame in ctx["source_traceback"])


async def test_module_level_request(raw_server: RawServer) -> None:
    url = await ok_server(raw_server)
    async with aiohttp.request("GET", url) as resp:
        assert resp.status == 200
        assert await resp.text() == "ok"
    connector = aiohttp.TCPConnector()
    async with aiohttp.request("GET", url, connector=connector) as resp:
        assert await resp.read() == b"ok"
    assert not connector.closed  # not ours to close
    await connector.close()
    with pytest.raises(aiohttp.ClientConnectorError):
        async with aiohttp.request("GET", "http://127.0.0.1:1/"):
            pass


async def test_request_context_manager_awaitable(raw_server: RawServer) -> None:
    """CS-24: the request object works with both await and async with."""
    url = await ok_server(raw_server)
    async with aiohttp.ClientSession() as s:
        resp = await s.get(url)
        assert await resp.text() == "ok"
        async with s.get(url) as resp2:
            assert resp2.status == 200


def test_exception_hierarchy() -> None:
    assert issubclass(aiohttp.ClientConnectorError, aiohttp.ClientOSError)
    assert issubclass(aiohttp.ClientOSError, OSError)
    assert issubclass(aiohttp.ClientOSError, aiohttp.ClientConnectionError)
    assert issubclass(aiohttp.ClientConnectionError, aiohttp.ClientError)
    assert issubclass(aiohttp.ClientProxyConnectionError, aiohttp.ClientConnectorError)
    assert issubclass(aiohttp.ClientSSLError, aiohttp.ClientConnectorError)
    assert issubclass(aiohttp.ClientConnectorSSLError, ssl.SSLError)
    assert issubclass(aiohttp.ClientConnectorCertificateError, ssl.CertificateError)
    assert issubclass(aiohttp.ServerDisconnectedError, aiohttp.ServerConnectionError)
    assert issubclass(aiohttp.ServerTimeoutError, asyncio.TimeoutError)
    assert issubclass(aiohttp.ConnectionTimeoutError, aiohttp.ServerTimeoutError)
    assert issubclass(aiohttp.SocketTimeoutError, aiohttp.ServerTimeoutError)
    assert issubclass(aiohttp.ServerFingerprintMismatch, aiohttp.ServerConnectionError)
    for cls in (
        aiohttp.ContentTypeError,
        aiohttp.WSServerHandshakeError,
        aiohttp.ClientHttpProxyError,
        aiohttp.TooManyRedirects,
    ):
        assert issubclass(cls, aiohttp.ClientResponseError)
    assert issubclass(aiohttp.ClientPayloadError, aiohttp.ClientError)
    assert issubclass(aiohttp.InvalidURL, ValueError)
    assert issubclass(aiohttp.InvalidUrlRedirectClientError, aiohttp.RedirectClientError)
    assert issubclass(aiohttp.InvalidUrlRedirectClientError, aiohttp.InvalidURL)
    assert issubclass(aiohttp.NonHttpUrlRedirectClientError, aiohttp.NonHttpUrlClientError)


def test_exceptions_pickle_and_str() -> None:
    info = aiohttp.RequestInfo(
        URL("http://h/"), "GET", aiohttp.CIMultiDictProxy(aiohttp.CIMultiDict())
    )
    err = aiohttp.ClientResponseError(info, (), status=500, message="boom")
    assert str(err) == "500, message='boom', url='http://h/'"
    assert "status=500" in repr(err)
    disconnected = aiohttp.ServerDisconnectedError()
    assert disconnected.message == "Server disconnected"
    assert pickle.loads(pickle.dumps(disconnected)).message == "Server disconnected"
    url_err = aiohttp.InvalidURL("bad://", "no host")
    assert str(url_err) == "bad:// - no host"
    assert url_err.url == "bad://"
    mismatch = aiohttp.ServerFingerprintMismatch(b"a", b"b", "h", 1)
    assert "expected=b'a'" in repr(mismatch)
    with pytest.warns(DeprecationWarning):
        legacy = aiohttp.ClientResponseError(info, (), code=404)
    assert legacy.status == 404
    assert info.real_url == info.url
