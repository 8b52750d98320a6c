"""Helpers for the application-layer tests: build requests and serve apps on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from heron import web
from heron.http.models import HttpVersion11, RawRequestMessage
from heron.web.request import Request


def make_request(
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
) -> Request:
    """A routing-only request: method, target and headers (no connection behind it)."""
    hdrs = CIMultiDictProxy(CIMultiDict(headers or {}))
    message = RawRequestMessage(
        method,
        path,
        HttpVersion11,
        hdrs,
        tuple((k.encode(), v.encode()) for k, v in hdrs.items()),
        False,
        None,
        False,
        False,
        URL(path, encoded=True),
    )
    return Request(message, None, None, None, None, None)  # type: ignore[arg-type]


@asynccontextmanager
async def serve(app: web.Application, **kwargs: Any) -> AsyncIterator[str]:
    """Run ``app`` on 127.0.0.1 with a free port; yields the base URL."""
    runner = web.AppRunner(app, **kwargs)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


async def raw_request(base: str, data: bytes, *, until_close: bool = True) -> bytes:
    """Send raw bytes to the server behind ``base`` and read the reply."""
    url = URL(base)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        writer.write(data)
        await writer.drain()
        if until_close:
            return await asyncio.wait_for(reader.read(), 5)
        return await asyncio.wait_for(reader.read(65536), 5)
    finally:
        writer.close()


def free_socket() -> socket.socket:
    """A bound listening socket on 127.0.0.1."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock
