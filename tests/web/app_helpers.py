"""Helpers for the application-layer tests.

Apps are served with heron's own fixtures (``aiohttp_client``, ``aiohttp_server``) and
unit-level requests come from ``heron.test_utils.make_mocked_request``; what is left
here is for tests that need exact bytes on the wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from heron.test_utils import BaseTestServer, TestClient, TestServer

ClientFactory = Callable[..., Awaitable[TestClient]]
"""The type of the ``aiohttp_client`` fixture."""
ServerFactory = Callable[..., Awaitable[TestServer]]
"""The type of the ``aiohttp_server`` fixture."""


async def raw_request(server: BaseTestServer | TestClient, data: bytes) -> bytes:
    """Send raw bytes to ``server`` and read the reply until the server closes."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
