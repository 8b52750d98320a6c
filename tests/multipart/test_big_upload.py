"""A 200 MiB multipart upload over a real socket, streamed to disk in flat memory.

The server runs in its own process so that its memory can be measured honestly: it
resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) when a request arrives and
reports ``VmHWM`` once the body is stored. The client (heron's, in this process) builds
the body on the fly from an async generator inside a ``MultipartWriter``, so neither side
ever holds the 200 MiB. Both sides' peaks are asserted to stay within a small budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import pathlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest
from yarl import URL

import heron as aiohttp
from heron.multipart import MultipartWriter

TOTAL = 200 * 2**20
BLOCK = 2**18
#: Growth of peak RSS allowed while 200 MiB pass through (buffers, spool, allocator).
BUDGET = 32 * 2**20

pytestmark = pytest.mark.skipif(
    not pathlib.Path("/proc/self/status").exists(), reason="needs Linux /proc to measure memory"
)

SERVER = r"""
import asyncio, hashlib, json, sys, tempfile
from heron import web

def mem(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise LookupError(key)

def reset_peak():
    # Writing 5 resets VmHWM to the current RSS (Linux >= 4.0); say whether it worked.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True

async def via_post(request):
    reset = reset_peak()
    before = mem("VmRSS")
    form = await request.post()
    field = form["file"]
    digest, size = hashlib.sha256(), 0
    on_disk = bool(getattr(field.file, "_rolled", True))
    while chunk := field.file.read(2**16):
        digest.update(chunk)
        size += len(chunk)
    field.file.close()
    return web.json_response({
        "name": field.filename, "size": size, "sha256": digest.hexdigest(),
        "on_disk": on_disk, "reset": reset, "growth": mem("VmHWM") - before,
    })

async def via_multipart(request):
    reset = reset_peak()
    before = mem("VmRSS")
    reader = await request.multipart()
    part = await reader.next()
    digest, size = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as out:
        while chunk := await part.read_chunk(2**16):
            out.write(chunk)
            digest.update(chunk)
        size = out.tell()
    return web.json_response({
        "name": part.filename, "size": size, "sha256": digest.hexdigest(),
        "on_disk": True, "reset": reset, "growth": mem("VmHWM") - before,
    })

async def main():
    app = web.Application(client_max_size=256 * 2**20)
    app.router.add_post("/post", via_post)
    app.router.add_post("/multipart", via_multipart)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()

asyncio.run(main())
"""


def _proc_status(key: str) -> int:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(key)


def _reset_own_peak() -> bool:
    try:
        pathlib.Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def block(i: int) -> bytes:
    # Every block differs, and holds CRLFs and dashes that look like the start of a delimiter.
    return (b"\r\n--%08d\r\n--" % i).ljust(BLOCK, bytes([i % 251]))


def expected_sha256() -> str:
    digest = hashlib.sha256()
    for i in range(TOTAL // BLOCK):
        digest.update(block(i))
    return digest.hexdigest()


async def generate() -> AsyncIterator[bytes]:
    for i in range(TOTAL // BLOCK):
        yield block(i)


@pytest.fixture(scope="module")
def sha256() -> str:
    return expected_sha256()


@pytest.fixture
async def server() -> AsyncIterator[URL]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVER,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    try:
        port = int(await asyncio.wait_for(proc.stdout.readline(), 20))
        yield URL(f"http://127.0.0.1:{port}")
    finally:
        proc.stdin.close()  # the server stops when its stdin closes
        try:
            await asyncio.wait_for(proc.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


async def upload(url: URL) -> tuple[dict[str, Any], int, bool]:
    """Stream the 200 MiB upload; returns the server's report and this side's peak growth."""
    with MultipartWriter("form-data") as mpwriter:
        part = mpwriter.append(generate(), {"Content-Type": "application/octet-stream"})
        part.set_content_disposition("form-data", name="file", filename="big.bin")
    reset = _reset_own_peak()
    before = _proc_status("VmRSS")
    timeout = aiohttp.ClientTimeout(total=50)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(url, data=mpwriter) as resp,
    ):
        assert resp.status == 200, await resp.text()
        report = json.loads(await resp.text())
    return report, _proc_status("VmHWM") - before, reset


@pytest.mark.parametrize("route", ["post", "multipart"])
async def test_200_mib_upload_streams_to_disk_in_flat_memory(
    server: URL, sha256: str, route: str
) -> None:
    report, client_growth, client_reset = await upload(server / route)
    mib = 2**20
    print(
        f"\n{route}: server peak RSS growth {report['growth'] / mib:.1f} MiB "
        f"(peak reset: {report['reset']}), client {client_growth / mib:.1f} MiB "
        f"(peak reset: {client_reset}) for {TOTAL // mib} MiB"
    )
    assert report["name"] == "big.bin"
    assert report["size"] == TOTAL
    assert report["sha256"] == sha256
    assert report["on_disk"] is True
    assert report["growth"] < BUDGET, report
    if client_reset:  # without a reset the peak may come from earlier tests in this process
        assert client_growth < BUDGET, client_growth
