"""Helpers and fixtures for the client tests: real servers on 127.0.0.1.

* ``raw_server(handler)`` — an ``asyncio.start_server`` whose ``handler(reader,
  writer)`` speaks exact bytes; returns the base URL.
* ``aio_server(app)`` — aiohttp's server as an independent peer; returns the base URL.
* ``read_request(reader)`` — read one request head (and its Content-Length body).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from yarl import URL

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawRequest:
    """A request as a raw server saw it."""

    method: str
    target: str
    version: str
    headers: dict[str, str]
    header_list: list[tuple[str, str]]
    body: bytes = b""
    raw: bytes = field(default=b"", repr=False)


async def read_request(reader: asyncio.StreamReader, *, body: bool = True) -> RawRequest | None:
    """Read one request head (and a Content-Length or chunked body) or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    header_list = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            header_list.append((name, value.strip()))
    headers = {k.lower(): v for k, v in header_list}
    data = b""
    if body and "content-length" in headers:
        data = await reader.readexactly(int(headers["content-length"]))
    elif body and headers.get("transfer-encoding", "").lower() == "chunked":
        data = await read_chunked(reader)
    return RawRequest(method, target, version, headers, header_list, data, head)


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Read a chunked body (the last chunk and trailers included)."""
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def response(
    status: int = 200,
    body: bytes = b"",
    headers: list[tuple[str, str]] | None = None,
    *,
    reason: str = "OK",
    length: bool = True,
) -> bytes:
    """Serialise a response for raw servers."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    for name, value in headers or []:
        lines.append(f"{name}: {value}")
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[URL]]]:
    """Factory: ``url = await raw_server(handler)`` starts a raw server."""
    servers: list[asyncio.Server] = []
    tasks: set[asyncio.Task[None]] = set()

    async def start(handler: Handler) -> URL:
        async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                tasks.discard(task)
                writer.close()

        server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return URL(f"http://127.0.0.1:{port}")

    yield start
    for server in servers:
        server.close()
    for task in list(tasks):
        task.cancel()
    for task in list(tasks):
        with contextlib.suppress(BaseException):
            await task
    for server in servers:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 1)


@pytest.fixture
async def aio_server() -> AsyncIterator[Callable[..., Awaitable[URL]]]:
    """Factory: ``url = await aio_server(app)`` serves an aiohttp app (a real peer)."""
    runners: list[web.AppRunner] = []

    async def start(app: web.Application, *, ssl_context: object = None) -> URL:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)  # type: ignore[arg-type]
        await site.start()
        server = site._server
        assert server is not None
        port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        scheme = "https" if ssl_context is not None else "http"
        return URL(f"{scheme}://127.0.0.1:{port}")

    yield start
    for runner in runners:
        await runner.cleanup()


async def keep_answering(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    answer: Callable[[RawRequest], bytes],
) -> None:
    """Serve requests on one connection until the client closes it."""
    while True:
        req = await read_request(reader)
        if req is None:
            return
        writer.write(answer(req))
        await writer.drain()


def echo_answer(req: RawRequest) -> bytes:
    """Answer with the request as JSON: method, target, headers (list) and body."""
    import json

    doc = {
        "method": req.method,
        "target": req.target,
        "version": req.version,
        "headers": req.header_list,
        "body": req.body.decode("latin-1"),
    }
    return response(200, json.dumps(doc).encode(), [("Content-Type", "application/json")])


@pytest.fixture
async def echo_url(raw_server: Callable[[Handler], Awaitable[URL]]) -> URL:
    """A raw keep-alive server that echoes every request back as JSON."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, echo_answer)

    return await raw_server(handler)


class ForwardProxy:
    """A tiny HTTP forward proxy on real sockets: absolute-form requests and CONNECT.

    ``seen`` records ``(method, target, Proxy-Authorization or None)`` per request;
    ``refuse`` makes it answer CONNECT with that status instead.
    """

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str | None]] = []
        self.refuse: int | None = None
        self.server: asyncio.Server | None = None
        self.url = URL()
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> URL:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.url = URL(f"http://127.0.0.1:{port}")
        return self.url

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while (req := await read_request(reader)) is not None:
                self.seen.append((req.method, req.target, req.headers.get("proxy-authorization")))
                if req.method == "CONNECT":
                    await self._tunnel(req, reader, writer)
                    return
                await self._forward(req, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()

    async def _forward(self, req: RawRequest, writer: asyncio.StreamWriter) -> None:
        target = URL(req.target)
        up_reader, up_writer = await asyncio.open_connection(target.host, target.port)
        lines = [f"{req.method} {target.raw_path_qs} HTTP/1.1"]
        for name, value in req.header_list:
            if name.lower() not in ("proxy-authorization", "connection"):
                lines.append(f"{name}: {value}")
        lines.append("Connection: close")
        up_writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + req.body)
        data = await up_reader.read()  # the upstream closes after its answer
        up_writer.close()
        writer.write(data)
        await writer.drain()

    async def _tunnel(
        self, req: RawRequest, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if self.refuse is not None:
            writer.write(response(self.refuse, b"denied", reason="Denied"))
            await writer.drain()
            return
        host, _, port = req.target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        self.writers.add(up_writer)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@pytest.fixture
async def forward_proxy() -> AsyncIterator[ForwardProxy]:
    """A started :class:`ForwardProxy`."""
    proxy = ForwardProxy()
    await proxy.start()
    yield proxy
    await proxy.close()
