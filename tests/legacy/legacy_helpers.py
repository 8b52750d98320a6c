"""Small real-socket helpers for the 0.x alias tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


async def serve(factory: Callable[[], asyncio.BaseProtocol]) -> tuple[asyncio.Server, int]:
    """Listen on 127.0.0.1, a free port; return the server and its port."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, port


async def exchange(port: int, data: bytes, *, timeout: float = 2.0) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(timeout):
            return await reader.read()
    finally:
        writer.close()


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, dict[str, str], bytes]:
    """Read one Content-Length framed response: (status line, headers, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, Any] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return lines[0].encode(), headers, body


class WebServer:
    """A heron ``web.Application`` served on 127.0.0.1 (a free port) while in ``async with``."""

    def __init__(self, app: Any) -> None:
        from heron import web

        self.runner = web.AppRunner(app)
        self.port = 0

    async def __aenter__(self) -> WebServer:
        from heron import web

        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = self.runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    def url(self, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"
