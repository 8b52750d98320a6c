"""A real browser as the WebSocket peer: headless Chromium against heron's server.

The page opens a WebSocket (Chromium offers permessage-deflate), exchanges a text and a
binary message, and reports what it saw over the same socket. Skipped, with the
reason shown, when Chromium is not installed (`make test` installs Debian's `chromium`
when it runs as root).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile

import pytest
from websocket_helpers import serve_ws

from heron import WSMsgType, web

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

PAGE = """<!doctype html>
<html><head><title>heron ws</title></head><body><script>
const ws = new WebSocket(`ws://${location.host}/ws`, ["chat"]);
ws.binaryType = "arraybuffer";
ws.onopen = () => ws.send("hello");
ws.onmessage = (event) => {
  if (typeof event.data === "string") {
    if (event.data === "hello/answer") ws.send(new Uint8Array([1, 2, 3, 250]));
  } else {
    const bytes = Array.from(new Uint8Array(event.data)).join(",");
    ws.send(`binary=${bytes} protocol=${ws.protocol} extensions=${ws.extensions}`);
  }
};
</script></body></html>
"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
async def test_headless_chromium_echoes_over_a_websocket() -> None:
    assert CHROMIUM is not None
    report: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("chat",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is WSMsgType.TEXT and msg.data.startswith("binary="):
                if not report.done():
                    report.set_result(msg.data)
                await ws.close()
            elif msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data + "/answer")
            elif msg.type is WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", page)
    with tempfile.TemporaryDirectory() as profile:
        async with serve_ws(handler, app=app) as served:
            proc = await asyncio.create_subprocess_exec(
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"http://{served.host}:{served.port}/",
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,  # its helper processes go down with it
            )
            try:
                result = await asyncio.wait_for(report, 30)
            finally:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    await proc.wait()
    assert result.startswith("binary=1,2,3,250 protocol=chat extensions=permessage-deflate")
