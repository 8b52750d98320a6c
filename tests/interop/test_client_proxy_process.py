"""heron's client through a real forward proxy process: proxy.py (PyPI ``proxy.py``).

Two proxy.py processes are started per module on 127.0.0.1 (one open, one requiring
Basic credentials); the origins are heron servers, plain and TLS with a ``trustme``
certificate. http:// URLs go through the proxy in absolute form, https:// ones through a
CONNECT tunnel that the client wraps in TLS itself. ``make test`` installs proxy.py
through the ``dev`` extra; the module is skipped, with the reason shown, without it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import pathlib
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import trustme
from yarl import URL

import heron as aiohttp
from heron import web

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("proxy") is None,
    reason="proxy.py is not installed (pip install proxy.py, or the dev extra)",
)

USER, PASSWORD = "puser", "p:ss word"  # BasicAuth is latin-1, proxy.py compares UTF-8


class _ProxyProcess:
    """``python -m proxy`` on a free port of 127.0.0.1, logging into ``workdir``."""

    url: URL  #: set by start()

    def __init__(self, workdir: pathlib.Path, *extra: str) -> None:
        self._port_file = workdir / "port"
        self._log_path = workdir / "proxy.log"
        self._log = self._log_path.open("wb")
        self._proc = subprocess.Popen(
            [
                sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0",
                "--port-file", str(self._port_file), "--num-workers", "1",
                "--num-acceptors", "1", "--log-level", "INFO", "--data-dir", str(workdir), *extra,
            ],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=workdir,
        )  # fmt: skip

    def start(self) -> URL:
        """Wait until the proxy listens; its URL."""
        deadline = time.monotonic() + 20
        while not (self._port_file.exists() and self._port_file.read_text().strip()):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._log.flush()
                pytest.fail(f"proxy.py did not start: {self._log_path.read_text()}")
            time.sleep(0.02)
        self.url = URL(f"http://127.0.0.1:{int(self._port_file.read_text().split()[0])}")
        return self.url

    async def logged(self, needle: str) -> bool:
        """Whether the proxy's access log shows ``needle`` within a few seconds.

        proxy.py writes an access-log line when a connection through it ends.
        """
        deadline = time.monotonic() + 5
        while needle not in self._log_path.read_text(errors="replace"):
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def terminate(self) -> None:
        self._proc.terminate()  # proxy.py stops its worker processes on SIGTERM

    def wait(self) -> None:
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._log.close()


@pytest.fixture(scope="module")
def proxies(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[_ProxyProcess, _ProxyProcess]]:
    """(an open proxy, one that wants USER:PASSWORD), started and stopped side by side."""
    procs = [
        _ProxyProcess(tmp_path_factory.mktemp("open-proxy")),
        _ProxyProcess(tmp_path_factory.mktemp("auth-proxy"), "--basic-auth", f"{USER}:{PASSWORD}"),
    ]
    try:
        for proc in procs:
            proc.start()
        yield procs[0], procs[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait()


@pytest.fixture
def open_proxy(proxies: tuple[_ProxyProcess, _ProxyProcess]) -> _ProxyProcess:
    return proxies[0]


@pytest.fixture
def auth_proxy(proxies: tuple[_ProxyProcess, _ProxyProcess]) -> _ProxyProcess:
    return proxies[1]


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def client_ctx(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def _describe(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path_qs": request.path_qs,
            "secure": request.secure,
            "body": len(body),
            "proxy_auth": request.headers.get("Proxy-Authorization"),
            "auth": request.headers.get("Authorization"),
            "via": request.headers.get("Via"),  # proxy.py adds "1.1 proxy.py <version>"
        }
    )


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=b"0123456789abcdef" * (2**17))  # 2 MiB


async def _serve(ssl_context: ssl.SSLContext | None = None) -> AsyncIterator[URL]:
    app = web.Application(client_max_size=8 * 2**20)
    app.router.add_get("/big", _big)
    app.router.add_route("*", "/{tail:.*}", _describe)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    scheme = "https" if ssl_context is not None else "http"
    yield URL(f"{scheme}://127.0.0.1:{runner.addresses[0][1]}")
    await runner.cleanup()


@pytest.fixture
async def origin() -> AsyncIterator[URL]:
    async for url in _serve():
        yield url


@pytest.fixture
async def tls_origin(ca: trustme.CA) -> AsyncIterator[URL]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    async for url in _serve(server_ctx):
        yield url


async def _chunks() -> AsyncIterator[bytes]:
    for i in range(64):
        yield bytes([i]) * 16384
        await asyncio.sleep(0)


async def test_http_url_goes_in_absolute_form(open_proxy: _ProxyProcess, origin: URL) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(origin / "a b", params={"q": "ü"}, proxy=open_proxy.url) as resp:
            assert resp.status == 200
            seen = await resp.json()
        assert seen["method"] == "GET"
        assert seen["path_qs"] == "/a%20b?q=%C3%BC"
        assert seen["secure"] is False
        assert seen["via"].startswith("1.1 proxy.py")
        # A streamed (chunked) upload and a 2 MiB download, on the proxied connection.
        async with s.post(origin / "upload", data=_chunks(), proxy=open_proxy.url) as resp:
            assert (await resp.json())["body"] == 64 * 16384
        async with s.get(origin / "big", proxy=open_proxy.url) as resp:
            assert await resp.read() == b"0123456789abcdef" * (2**17)


async def test_https_url_goes_through_a_connect_tunnel(
    open_proxy: _ProxyProcess, tls_origin: URL, client_ctx: ssl.SSLContext
) -> None:
    async with aiohttp.ClientSession() as s:
        for i in range(3):  # a pooled tunnel or a new one: either way the answers are right
            async with s.post(
                tls_origin / f"secret/{i}",
                data=b"x" * 100_000,
                proxy=open_proxy.url,
                ssl=client_ctx,
            ) as resp:
                seen = await resp.json()
            assert seen["path_qs"] == f"/secret/{i}"
            assert seen["secure"] is True
            assert seen["body"] == 100_000
            assert seen["via"] is None  # the proxy only relays the tunnel's bytes
        async with s.get(tls_origin / "big", proxy=open_proxy.url, ssl=client_ctx) as resp:
            assert len(await resp.read()) == 2 * 2**20
    assert await open_proxy.logged(f"CONNECT 127.0.0.1:{tls_origin.port}")


async def test_tunnelled_certificate_is_still_verified(
    open_proxy: _ProxyProcess, tls_origin: URL
) -> None:
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await s.get(tls_origin, proxy=open_proxy.url)


async def test_proxy_auth_argument_and_credentials_in_url(
    auth_proxy: _ProxyProcess, origin: URL, tls_origin: URL, client_ctx: ssl.SSLContext
) -> None:
    auth = aiohttp.BasicAuth(USER, PASSWORD)
    with_creds = auth_proxy.url.with_user(USER).with_password(PASSWORD)
    async with aiohttp.ClientSession() as s:
        async with s.get(origin / "one", proxy=auth_proxy.url, proxy_auth=auth) as resp:
            assert resp.status == 200
            seen = await resp.json()
            assert seen["path_qs"] == "/one"
            assert seen["auth"] is None  # proxy credentials are not origin credentials
            assert seen["via"].startswith("1.1 proxy.py")
        async with s.get(origin / "two", proxy=with_creds) as resp:
            assert resp.status == 200
            assert (await resp.json())["path_qs"] == "/two"
        async with s.get(
            tls_origin / "three", proxy=auth_proxy.url, proxy_auth=auth, ssl=client_ctx
        ) as resp:
            seen = await resp.json()
            assert seen["path_qs"] == "/three"
            assert seen["proxy_auth"] is None  # CONNECT credentials stay outside the tunnel


async def test_missing_or_wrong_proxy_credentials(
    auth_proxy: _ProxyProcess, origin: URL, tls_origin: URL, client_ctx: ssl.SSLContext
) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(origin, proxy=auth_proxy.url) as resp:
            assert resp.status == 407  # for http:// the proxy's answer is the response
        wrong = aiohttp.BasicAuth(USER, "nope")
        async with s.get(origin, proxy=auth_proxy.url, proxy_auth=wrong) as resp:
            assert resp.status == 407
        with pytest.raises(aiohttp.ClientHttpProxyError) as info:
            await s.get(tls_origin, proxy=auth_proxy.url, ssl=client_ctx)
        assert info.value.status == 407


async def test_trust_env_reads_proxy_variables(
    auth_proxy: _ProxyProcess,
    origin: URL,
    tls_origin: URL,
    client_ctx: ssl.SSLContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_creds = str(auth_proxy.url.with_user(USER).with_password(PASSWORD))
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", with_creds)
    monkeypatch.setenv("HTTPS_PROXY", with_creds)
    async with aiohttp.ClientSession(trust_env=True) as s:
        async with s.get(origin / "env") as resp:
            assert resp.status == 200
            assert (await resp.json())["via"].startswith("1.1 proxy.py")
        async with s.get(tls_origin / "env", ssl=client_ctx) as resp:
            assert (await resp.json())["secure"] is True
    assert await auth_proxy.logged(f"CONNECT 127.0.0.1:{tls_origin.port}")
    # Without trust_env the variables are ignored, so the origin answers directly.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # the discard port: nothing there
    async with aiohttp.ClientSession() as s, s.get(origin / "direct") as resp:
        assert (await resp.json())["via"] is None
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with aiohttp.ClientSession(trust_env=True) as s, s.get(origin / "bypass") as resp:
        assert (await resp.json())["via"] is None


async def test_websocket_through_a_connect_tunnel(
    open_proxy: _ProxyProcess, ca: trustme.CA, client_ctx: ssl.SSLContext
) -> None:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(f"echo {msg.data}")
        return ws

    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx).start()
        url = URL(f"wss://127.0.0.1:{runner.addresses[0][1]}/ws")
        async with (
            aiohttp.ClientSession() as s,
            s.ws_connect(url, proxy=open_proxy.url, ssl=client_ctx) as ws,
        ):
            await ws.send_str("through proxy.py")
            assert await asyncio.wait_for(ws.receive_str(), 5) == "echo through proxy.py"
    finally:
        await runner.cleanup()
    assert await open_proxy.logged(f"CONNECT 127.0.0.1:{url.port}")
