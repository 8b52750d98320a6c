"""Helpers for the WebSocket tests: serve a handler, and raw-socket peers that misbehave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from heron import web
from heron.ws import (
    WebSocketReader,
    WSMessage,
    build_frame,
    close_payload,
    generate_key,
    ws_accept_key,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Served:
    """An application serving WebSocket handlers on 127.0.0.1."""

    host: str
    port: int
    runner: web.AppRunner
    app: web.Application
    path: str

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}{self.path}"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


@asynccontextmanager
async def serve_ws(
    handler: Handler, *, path: str = "/ws", app: web.Application | None = None, **runner_kw: Any
) -> AsyncIterator[Served]:
    """Serve `handler` at GET `path` on a free port; clean up on exit."""
    app = app or web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app, **runner_kw)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield Served(host, port, runner, app, path)
    finally:
        await runner.cleanup()


def upgrade_request(path: str, host: str, key: str, extra: str = "") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\n{extra}\r\n"
    ).encode("latin-1")


@dataclass
class RawPeer:
    """One side of a WebSocket spoken by hand, to send what a library never would."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    is_client: bool
    ws_reader: WebSocketReader = field(init=False)
    pending: list[WSMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ws_reader = WebSocketReader(is_client=self.is_client, max_msg_size=0)

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    def send_frame(self, opcode: int, payload: bytes, **kw: Any) -> None:
        kw.setdefault("mask", self.is_client)
        self.writer.write(build_frame(opcode, payload, **kw))

    def send_close(self, code: int | None = 1000, reason: bytes = b"") -> None:
        self.send_frame(0x8, close_payload(code, reason))

    async def receive(self, timeout: float = 2.0) -> WSMessage:
        """The next message from the other side (control frames included)."""
        async with asyncio.timeout(timeout):
            while not self.pending:
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError("connection closed")
                self.pending.extend(self.ws_reader.feed_data(data))
        return self.pending.pop(0)

    async def at_eof(self, timeout: float = 2.0) -> bool:
        """True when the other side closes the TCP connection (after anything pending)."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    data = await self.reader.read(65536)
                except ConnectionResetError:
                    return True
                if not data:
                    return True

    async def close(self) -> None:
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            pass


async def raw_client(served: Served, extra_headers: str = "") -> tuple[RawPeer, bytes]:
    """Open a hand-made client connection; returns it and the server's 101 head."""
    reader, writer = await asyncio.open_connection(served.host, served.port)
    key = generate_key()
    writer.write(upgrade_request(served.path, f"{served.host}:{served.port}", key, extra_headers))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)
    assert ws_accept_key(key).encode() in head, head
    return RawPeer(reader, writer, is_client=True), head


RawServerHandler = Callable[[RawPeer], Awaitable[None]]


@asynccontextmanager
async def raw_ws_server(
    on_open: RawServerHandler, *, status_line: str = "HTTP/1.1 101 Switching Protocols"
) -> AsyncIterator[str]:
    """A hand-made WebSocket server: answers any upgrade, then runs `on_open(peer)`.

    Yields the ``ws://`` URL. Unknown ``status_line`` values make a refusing server.
    `{accept}` in extra tricks is not needed: the accept key is always right here.
    """
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        key = next(
            line.split(":", 1)[1].strip()
            for line in head.split("\r\n")
            if line.lower().startswith("sec-websocket-key:")
        )
        writer.write(
            (
                f"{status_line}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {ws_accept_key(key)}\r\nContent-Length: 0\r\n\r\n"
            ).encode("latin-1")
        )
        peer = RawPeer(reader, writer, is_client=False)
        try:
            await on_open(peer)
        finally:
            await peer.close()

    def start(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.get_running_loop().create_task(serve(reader, writer))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(start, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.close()
        await server.wait_closed()
