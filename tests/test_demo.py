"""The demo (``examples/demo.py``, what ``make run`` serves) works end to end.

Every route is exercised through the ``aiohttp_client`` fixture; the upload form also
through curl ``-F`` against the app on a real socket, and the script itself is started
as ``make run`` starts it (on a free port) to show that it serves its home page.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import pathlib
import re
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any

import pytest
from yarl import URL

import heron as aiohttp
from heron import web
from heron.test_utils import TestClient

DEMO = pathlib.Path(__file__).parents[1] / "examples" / "demo.py"
ClientFactory = Callable[..., Awaitable[TestClient]]


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("heron_demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = _load_demo()


@pytest.fixture
async def client(aiohttp_client: ClientFactory) -> TestClient:
    return await aiohttp_client(demo.make_app(stream_delay=0.001))


def received(page: str) -> tuple[str, int, str, str]:
    """(name, size, content type, sha256) from the upload handler's answer."""
    match = re.search(
        r"<h1>Received (.*?)</h1><p>(\d+) bytes, (.*?)</p><p>sha256 <code>([0-9a-f]{64})</code>",
        page,
    )
    assert match is not None, page
    return match[1], int(match[2]), match[3], match[4]


async def test_index_links_every_route(client: TestClient) -> None:
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    assert "X-Response-Time" in resp.headers
    page = await resp.text()
    assert 'href="/hello/world"' in page
    assert 'enctype="multipart/form-data"' in page
    assert '<input type="file" name="file">' in page
    css = re.search(r'href="(/static/style\.css\?v=[^"]+)"', page)
    assert css is not None, page
    style = await client.get(css[1])
    assert style.status == 200
    assert style.content_type == "text/css"
    assert (await style.read()) == (DEMO.parent / "static" / "style.css").read_bytes()


async def test_hello_escapes_the_name(client: TestClient) -> None:
    resp = await client.get("/hello/<b>you&me")
    assert await resp.text() == "<h1>Hello, &lt;b&gt;you&amp;me!</h1>"


async def test_json_and_trailing_slash_redirect(client: TestClient) -> None:
    resp = await client.get("/json/", params={"a": "1"})
    assert [r.status for r in resp.history] == [308]  # normalize_path_middleware
    data = await resp.json()
    assert data["method"] == "GET"
    assert data["path"] == "/json"
    assert data["query"] == {"a": "1"}
    assert data["remote"] == "127.0.0.1"


async def test_stream_is_chunked(client: TestClient) -> None:
    resp = await client.get("/stream")
    assert resp.headers["Transfer-Encoding"] == "chunked"
    assert await resp.text() == "".join(f"line {i} of 5\n" for i in range(1, 6))


async def test_form_echoes_fields(client: TestClient) -> None:
    resp = await client.post("/form", data={"name": "<heron>", "colour": "grey"})
    page = await resp.text()
    assert "<li>name = &lt;heron&gt;</li><li>colour = grey</li>" in page


async def test_notes_view_adds_and_lists(client: TestClient) -> None:
    assert await (await client.get("/notes")).json() == {"notes": []}
    resp = await client.post("/notes", data={"text": "remember the milk"})
    assert [r.status for r in resp.history] == [303]
    assert await resp.json() == {"notes": ["remember the milk"]}
    assert (await client.put("/notes")).status == 405


async def test_static_listing_and_missing_file(client: TestClient) -> None:
    listing = await (await client.get("/static/")).text()
    assert "about.txt" in listing
    assert "style.css" in listing
    about = await client.get("/static/about.txt")
    assert "heron" in await about.text()
    missing = await client.get("/static/nope.txt")
    assert missing.status == 404
    assert "X-Response-Time" in missing.headers  # the middleware times errors too


async def test_upload_form_streams_a_file(client: TestClient) -> None:
    blob = bytes(range(256)) * 4096 + b"\r\n--tail"  # 1 MiB and a bit, delimiter-like end
    form = aiohttp.FormData()
    form.add_field("comment", "first field, skipped by the handler")
    form.add_field("file", blob, filename="<photo>.bin", content_type="image/x-test")
    resp = await client.post("/upload", data=form)
    assert resp.status == 200
    assert received(await resp.text()) == (
        "&lt;photo&gt;.bin",
        len(blob),
        "image/x-test",
        hashlib.sha256(blob).hexdigest(),
    )


async def test_upload_without_a_file_is_a_400(client: TestClient) -> None:
    form = aiohttp.FormData({"file": "just text"}, default_to_multipart=True)
    resp = await client.post("/upload", data=form)
    assert resp.status == 400
    assert await resp.text() == "no file in the form"


@pytest.fixture
async def demo_url() -> AsyncIterator[URL]:
    """The demo app on a real socket, in this process."""
    runner = web.AppRunner(demo.make_app(stream_delay=0.001))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield URL(f"http://127.0.0.1:{runner.addresses[0][1]}")
    await runner.cleanup()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
async def test_curl_uploads_through_the_form(demo_url: URL, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "report.pdf"
    data = b"%PDF-1.4\r\n" + bytes(range(256)) * 3000
    path.write_bytes(data)
    proc = await asyncio.create_subprocess_exec(
        "curl", "-sS", "--max-time", "10", "-F", "title=x", "-F", f"file=@{path}",
        str(demo_url / "upload"),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0
    assert received(out.decode()) == (
        "report.pdf",
        len(data),
        "application/pdf",
        hashlib.sha256(data).hexdigest(),
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _get_when_up(url: URL, deadline: float) -> tuple[int, str]:
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as resp:
                    return resp.status, await resp.text()
            except aiohttp.ClientConnectionError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)


async def test_script_serves_like_make_run() -> None:
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(DEMO), str(port),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output: Any = b""
    try:
        deadline = asyncio.get_running_loop().time() + 15
        status, page = await _get_when_up(URL(f"http://127.0.0.1:{port}/"), deadline)
        assert status == 200
        assert "<h1>heron demo</h1>" in page
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)  # run_app shuts down cleanly on Ctrl-C
        try:
            output, _ = await asyncio.wait_for(proc.communicate(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, output
