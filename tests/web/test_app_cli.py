"""``python -m heron.web module:factory``: a real process serving a real app."""

from __future__ import annotations

import asyncio
import pathlib
import signal
import sys

import httpx
import pytest

from heron.test_utils import unused_port

MODULE = """
from heron import web

async def hello(request):
    return web.Response(text="cli " + " ".join(request.app["argv"]))

def make_app(argv):
    app = web.Application()
    app["argv"] = argv
    app.router.add_get("/", hello)
    return app
"""


async def run_cli(cwd: pathlib.Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "heron.web",
        *args,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_serves_factory_and_stops_on_sigint(tmp_path: pathlib.Path) -> None:
    (tmp_path / "cliapp.py").write_text(MODULE)
    port = unused_port()
    proc = await run_cli(tmp_path, "-H", "127.0.0.1", "-P", str(port), "cliapp:make_app", "x")
    try:
        text = ""
        async with httpx.AsyncClient() as client:
            for _ in range(100):  # wait up to ~10 s for the server to listen
                try:
                    text = (await client.get(f"http://127.0.0.1:{port}/")).text
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        assert text == "cli x"
    finally:
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("nocolon", b"module:function"),
        ("missing_mod_xyz:f", b"unable to import"),
        ("cliapp:nothing", b"has no attribute"),
    ],
)
async def test_bad_entry_points(tmp_path: pathlib.Path, entry: str, message: bytes) -> None:
    (tmp_path / "cliapp.py").write_text(MODULE)
    proc = await run_cli(tmp_path, entry)
    _, stderr = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 2
    assert message in stderr


async def test_path_and_host_conflict(tmp_path: pathlib.Path) -> None:
    proc = await run_cli(tmp_path, "-H", "127.0.0.1", "-U", str(tmp_path / "s"), "m:f")
    _, stderr = await asyncio.wait_for(proc.communicate(), 15)
    assert proc.returncode == 2
    assert b"mutually exclusive" in stderr
