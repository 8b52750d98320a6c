"""Helpers for tests that drive servers in other processes."""

from __future__ import annotations

import asyncio
import http.client
import pathlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from heron import web

T = TypeVar("T")


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(predicate: Callable[[], T | None], timeout: float, step: float = 0.05) -> T:
    """Poll ``predicate`` until it returns something truthy (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(step)


@dataclass
class Reply:
    status_code: int
    text: str


def get(url: str, timeout: float = 3.0) -> Reply | None:
    """GET on a fresh connection; None if the server is not answering (yet).

    (http.client rather than httpx: a new httpx client per request builds an SSL
    context each time, which makes hundreds of fresh connections slow.)
    """
    parsed = urlsplit(url)
    conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=timeout)
    try:
        target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
        conn.request("GET", target or "/")
        response = conn.getresponse()
        return Reply(response.status, response.read().decode())
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def children(pid: int) -> set[int]:
    """The child processes of ``pid`` (Linux /proc)."""
    path = pathlib.Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return {int(p) for p in path.read_text().split()}
    except FileNotFoundError:
        return set()


@asynccontextmanager
async def serve(app: web.Application, **kwargs: Any) -> AsyncIterator[str]:
    """Serve ``app`` in this process on 127.0.0.1 (port 0); yields the base URL."""
    runner = web.AppRunner(app, access_log=None, **kwargs)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def raw_exchange(base: str, data: bytes, timeout: float = 3.0) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    host, _, port = base.removeprefix("http://").partition(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(data)
        return await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
