"""Helpers for the server-core tests: run a low-level server, talk raw HTTP to it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from multidict import CIMultiDict

from heron import web

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


@dataclass
class Running:
    """A server running on 127.0.0.1."""

    host: str
    port: int
    runner: web.BaseRunner
    server: web.Server

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def connect(self) -> Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return Conn(reader, writer)


@dataclass
class Reply:
    """One parsed HTTP response."""

    status: int
    reason: str
    version: str
    headers: CIMultiDict[str]
    body: bytes
    raw_head: bytes = b""
    chunks: list[bytes] = field(default_factory=list)


@dataclass
class Conn:
    """A raw client connection."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def response(self, *, head_only: bool = False, timeout: float = 2.0) -> Reply:
        return await asyncio.wait_for(read_response(self.reader, head_only=head_only), timeout)

    async def read_all(self, timeout: float = 2.0) -> bytes:
        """Everything until the server closes the connection."""
        return await asyncio.wait_for(self.reader.read(), timeout)

    async def closed_by_server(self, timeout: float = 2.0) -> bool:
        """True if the server closes the connection (EOF) without sending more data."""
        try:
            data = await asyncio.wait_for(self.reader.read(), timeout)
        except ConnectionResetError:
            return True
        return data == b""

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def read_response(reader: asyncio.StreamReader, *, head_only: bool = False) -> Reply:
    """Parse one response (Content-Length, chunked, or read-until-close body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
    reply = Reply(int(status), reason[0] if reason else "", version, headers, b"", head)
    code = int(status)
    if head_only or code < 200 or code in (204, 304):
        return reply
    if headers.get("Transfer-Encoding", "").lower() == "chunked":
        parts = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            data = await reader.readexactly(size + 2)
            parts.append(data[:-2])
        reply.chunks = parts
        reply.body = b"".join(parts)
    elif "Content-Length" in headers:
        reply.body = await reader.readexactly(int(headers["Content-Length"]))
    else:
        reply.body = await reader.read()
    return reply


@asynccontextmanager
async def serve(handler: Handler, **kwargs: Any) -> AsyncIterator[Running]:
    """Serve ``handler`` with a low-level Server on 127.0.0.1 (free port)."""
    runner_kwargs = {k: kwargs.pop(k) for k in ("shutdown_timeout",) if k in kwargs}
    server = web.Server(handler, **kwargs)
    runner = web.ServerRunner(server, **runner_kwargs)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield Running(host, port, runner, server)
    finally:
        await runner.cleanup()


async def fetch(running: Running, data: bytes, timeout: float = 2.0) -> bytes:
    """Send raw bytes on a new connection and read until the server closes it."""
    conn = await running.connect()
    try:
        conn.send(data)
        return await conn.read_all(timeout)
    finally:
        await conn.close()


async def ok(request: web.BaseRequest) -> web.StreamResponse:
    """A handler answering ``ok``."""
    return web.Response(text="ok")
