"""Runners, sites, graceful shutdown, TLS and run_app."""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from server_helpers import Conn, ok, read_response

from heron import web

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


async def start(runner: web.BaseRunner, **site_kwargs: Any) -> tuple[web.TCPSite, int]:
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, **site_kwargs)
    await site.start()
    return site, runner.addresses[0][1]


async def connect(port: int) -> Conn:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    return Conn(reader, writer)


async def test_server_runner_and_tcp_site() -> None:
    runner = web.ServerRunner(web.Server(ok))
    assert runner.server is None
    site, port = await start(runner)
    try:
        assert runner.sites == {site}
        assert runner.addresses == [("127.0.0.1", port)]
        assert site.name == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError):
            await site.start()  # already registered
        conn = await connect(port)
        conn.send(GET)
        assert (await conn.response()).body == b"ok"
        await conn.close()
    finally:
        await runner.cleanup()
    assert runner.server is None and runner.sites == set()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_site_needs_setup() -> None:
    runner = web.ServerRunner(web.Server(ok))
    with pytest.raises(RuntimeError):
        web.TCPSite(runner)


async def test_default_ports() -> None:
    runner = web.ServerRunner(web.Server(ok))
    await runner.setup()
    try:
        assert web.TCPSite(runner).name == "http://0.0.0.0:8080"
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        assert web.TCPSite(runner, ssl_context=ctx).name == "https://0.0.0.0:8443"
    finally:
        await runner.cleanup()


async def test_unix_site(tmp_path: Path) -> None:
    path = str(tmp_path / "heron.sock")
    runner = web.ServerRunner(web.Server(ok))
    await runner.setup()
    try:
        site = web.UnixSite(runner, path)
        await site.start()
        assert site.name == f"http://unix:{path}:"
        reader, writer = await asyncio.open_unix_connection(path)
        writer.write(GET)
        reply = await asyncio.wait_for(read_response(reader), 2)
        assert reply.body == b"ok"
        writer.close()
    finally:
        await runner.cleanup()


async def test_sock_site() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = web.ServerRunner(web.Server(ok))
    await runner.setup()
    try:
        site = web.SockSite(runner, sock)
        await site.start()
        assert site.name == f"http://127.0.0.1:{port}"
        conn = await connect(port)
        conn.send(GET)
        assert (await conn.response()).body == b"ok"
        await conn.close()
    finally:
        await runner.cleanup()
        sock.close()


async def test_graceful_shutdown_with_a_request_in_flight() -> None:
    started = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/slow":
            started.set()
            await asyncio.sleep(0.3)
        return web.Response(text=request.path)

    runner = web.ServerRunner(web.Server(handler))
    _, port = await start(runner)
    idle = await connect(port)
    idle.send(GET)
    assert (await idle.response()).status == 200  # now an idle kept-alive connection
    busy = await connect(port)
    busy.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    await started.wait()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    cleanup = asyncio.ensure_future(runner.cleanup())
    # The idle connection closes at once, long before the slow request ends.
    assert await idle.closed_by_server(timeout=0.2)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)  # no longer accepting
    reply = await busy.response()  # the request in flight completes
    assert reply.body == b"/slow"
    assert reply.headers["Connection"] == "close"
    await asyncio.wait_for(cleanup, 2)
    assert loop.time() - t0 < 1.0
    await idle.close()
    await busy.close()


async def test_shutdown_timeout_cancels_stuck_handlers() -> None:
    cancelled = asyncio.Event()
    started = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response()

    runner = web.ServerRunner(web.Server(handler), shutdown_timeout=0.2)
    _, port = await start(runner)
    conn = await connect(port)
    conn.send(GET)
    await started.wait()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await asyncio.wait_for(runner.cleanup(), 2)
    assert 0.15 < loop.time() - t0 < 1.5
    assert cancelled.is_set()
    assert await conn.closed_by_server()
    await conn.close()


async def test_site_shutdown_timeout_is_deprecated_but_applies() -> None:
    # aiohttp 3.9+: the site-level argument warns and sets the runner's timeout.
    started = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        started.set()
        await asyncio.sleep(10)
        return web.Response()

    runner = web.ServerRunner(web.Server(handler))  # default: 60 s
    await runner.setup()
    with pytest.warns(DeprecationWarning, match="runner") as caught:
        site = web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=0.2)
    assert caught[0].filename == __file__  # points at the caller
    await site.start()
    conn = await connect(runner.addresses[0][1])
    conn.send(GET)
    await started.wait()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await asyncio.wait_for(runner.cleanup(), 3)
    assert loop.time() - t0 < 1.5  # 0.2 s, not 60
    assert await conn.closed_by_server()
    await conn.close()


async def test_site_default_shutdown_timeout_does_not_warn(
    recwarn: pytest.WarningsRecorder,
) -> None:
    runner = web.ServerRunner(web.Server(ok), shutdown_timeout=5)
    await runner.setup()
    try:
        web.TCPSite(runner, "127.0.0.1", 0)
        with socket.socket() as sock:
            web.SockSite(runner, sock)
    finally:
        await runner.cleanup()
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


async def test_app_runner_lifecycle() -> None:
    events: list[str] = []
    app = web.Application()

    async def on_startup(app: web.Application) -> None:
        events.append("startup")

    async def on_shutdown(app: web.Application) -> None:
        events.append("shutdown")

    async def on_cleanup(app: web.Application) -> None:
        events.append("cleanup")

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/", ok)
    runner = web.AppRunner(app)
    assert runner.app is app
    _, port = await start(runner)
    assert app.frozen
    assert events == ["startup"]
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{port}/")).text == "ok"
    await runner.cleanup()
    assert events == ["startup", "shutdown", "cleanup"]


def test_app_runner_checks_its_arguments() -> None:
    with pytest.raises(TypeError):
        web.AppRunner(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        web.AppRunner(web.Application(), access_log_class=dict)  # type: ignore[arg-type]


def test_graceful_exit_is_a_system_exit() -> None:
    assert issubclass(web.GracefulExit, SystemExit)
    assert web.GracefulExit().code == 1


async def test_tls() -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    seen: dict[str, Any] = {}

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        seen.update(scheme=request.scheme, secure=request.secure, url=str(request.url))
        return web.Response(text="secure")

    runner = web.ServerRunner(web.Server(handler))
    site, port = await start(runner, ssl_context=server_ctx)
    try:
        assert site.name == f"https://127.0.0.1:{port}"
        async with httpx.AsyncClient(verify=client_ctx) as client:
            resp = await client.get(f"https://127.0.0.1:{port}/x")
            resp2 = await client.get(f"https://127.0.0.1:{port}/y")
        assert resp.text == resp2.text == "secure"
    finally:
        await runner.cleanup()
    assert seen["scheme"] == "https" and seen["secure"] is True
    assert seen["url"] == f"https://127.0.0.1:{port}/y"


RUN_APP_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from heron import web

    async def handler(request):
        return web.Response(text=type(asyncio.get_running_loop()).__module__)

    async def make_app():
        app = web.Application()
        app.router.add_get("/", handler)
        async def cleanup(app):
            print("cleaned up", flush=True)
        app.on_cleanup.append(cleanup)
        return app

    def announce(text):
        print(text, flush=True)

    web.run_app(
        make_app(), host="127.0.0.1", port=0, print=announce,
        use_uvloop=sys.argv[1] == "uvloop", shutdown_timeout=1,
    )
    print("exited", flush=True)
    """
)


@pytest.mark.parametrize("loop_kind", ["uvloop", "asyncio"])
async def test_run_app_in_a_subprocess(loop_kind: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        RUN_APP_SCRIPT,
        loop_kind,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        assert line.startswith("======== Running on http://127.0.0.1:"), line
        url = line.split()[3]
        async with httpx.AsyncClient() as client:
            resp = await client.get(url + "/")
        assert resp.text == ("uvloop" if loop_kind == "uvloop" else "asyncio.unix_events")
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert "cleaned up" in out.decode() and "exited" in out.decode()
    assert b"Traceback" not in err
