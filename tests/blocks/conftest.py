"""Fixtures for the building-block tests: a real loopback connection per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from heron.flow import BaseProtocol


@dataclass
class Loopback:
    """A server-side BaseProtocol connected to a plain asyncio client stream."""

    protocol: BaseProtocol
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def read_exactly(self, n: int) -> bytes:
        return await asyncio.wait_for(self.reader.readexactly(n), 5)

    async def read_all(self) -> bytes:
        return await asyncio.wait_for(self.reader.read(), 5)


@pytest.fixture
async def loopback() -> AsyncIterator[Callable[[], Awaitable[Loopback]]]:
    """Factory: ``conn = await loopback()`` gives a fresh loopback connection."""
    servers: list[asyncio.Server] = []
    protocols: list[BaseProtocol] = []
    writers: list[asyncio.StreamWriter] = []
    loop = asyncio.get_running_loop()

    async def make() -> Loopback:
        made: asyncio.Future[BaseProtocol] = loop.create_future()

        class ServerProtocol(BaseProtocol):
            # Tests set on_data; data_received is defined on the class because uvloop
            # binds it when the connection is made.
            on_data: Callable[[bytes], None] | None = None

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                made.set_result(self)

            def data_received(self, data: bytes) -> None:
                if self.on_data is not None:
                    self.on_data(data)

        server = await loop.create_server(ServerProtocol, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writers.append(writer)
        protocol = await asyncio.wait_for(made, 5)
        protocols.append(protocol)
        return Loopback(protocol, reader, writer)

    yield make
    for protocol in protocols:
        if protocol.transport is not None:
            protocol.transport.close()
    for writer in writers:
        writer.close()
    for server in servers:
        server.close()
        await server.wait_closed()
