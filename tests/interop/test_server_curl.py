"""The server against curl, a real and strict HTTP/1.1 client."""

from __future__ import annotations

import asyncio
import gzip
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heron import web

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


async def handler(request: web.BaseRequest) -> web.StreamResponse:
    if request.path == "/echo":
        body = await request.read()
        return web.Response(body=body, headers={"X-Length": str(len(body))})
    if request.path == "/gzip":
        resp = web.Response(text="squeeze " * 200)
        resp.enable_compression()
        return resp
    if request.path == "/stream":
        stream = web.StreamResponse()
        await stream.prepare(request)
        for i in range(3):
            await stream.write(b"part%d\n" % i)
        await stream.write_eof()
        return stream
    return web.Response(text=f"hello {request.method} {request.version[0]}.{request.version[1]}")


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    runner = web.ServerRunner(web.Server(handler))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def curl(*args: str) -> tuple[bytes, str]:
    proc = await asyncio.create_subprocess_exec(
        "curl",
        "-sS",
        "--max-time",
        "5",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode == 0, err.decode()
    return out, err.decode()


async def test_keep_alive_is_reused(base_url: str) -> None:
    out, err = await curl("-v", f"{base_url}/a", f"{base_url}/b")
    assert out == b"hello GET 1.1hello GET 1.1"
    assert "Re-using existing connection" in err or "Reusing existing connection" in err


async def test_http10(base_url: str) -> None:
    out, _ = await curl("-0", f"{base_url}/")
    assert out == b"hello GET 1.0"


async def test_head(base_url: str) -> None:
    out, _ = await curl("-I", f"{base_url}/")
    assert out.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 14\r\n" in out  # len("hello HEAD 1.1")


async def test_post_with_100_continue(base_url: str) -> None:
    out, err = await curl(
        "-v", "-H", "Expect: 100-continue", "--data-binary", "x" * 5000, f"{base_url}/echo"
    )
    assert out == b"x" * 5000
    assert "HTTP/1.1 100 Continue" in err


async def test_chunked_upload(base_url: str, tmp_path: Path) -> None:
    data = tmp_path / "upload.bin"
    data.write_bytes(bytes(range(256)) * 1000)
    out, _ = await curl(
        "-H", "Transfer-Encoding: chunked", "--data-binary", f"@{data}", f"{base_url}/echo"
    )
    assert out == data.read_bytes()


async def test_compressed(base_url: str) -> None:
    out, _ = await curl("--compressed", f"{base_url}/gzip")
    assert out == b"squeeze " * 200
    raw, _ = await curl("-H", "Accept-Encoding: gzip", f"{base_url}/gzip")
    assert gzip.decompress(raw) == b"squeeze " * 200


async def test_streamed_response(base_url: str) -> None:
    out, _ = await curl("-N", f"{base_url}/stream")
    assert out == b"part0\npart1\npart2\n"
