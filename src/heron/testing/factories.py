"""What the pytest fixtures hand out: server and client factories, and leak tracking.

Both fixture sets of the plugin (with pytest-asyncio, and on its own) wrap these, so
the behaviour is the same whichever runs the test.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

from ..web.app import Application
from ..web.request import BaseRequest
from ..web.response import StreamResponse
from .client import TestClient
from .servers import BaseTestServer, RawTestServer, TestServer

__all__ = ("LeakTracker", "TestFactories")

_LEAK_KEYS = ("client_session", "client_response", "connector", "client_connection")


class TestFactories:
    """Creates servers and clients for one test and closes them all at the end."""

    __test__ = False

    def __init__(self) -> None:
        self._servers: list[BaseTestServer] = []
        self._clients: list[TestClient] = []

    async def server(
        self, app: Application, *, port: int | None = None, **kwargs: Any
    ) -> TestServer:
        """``aiohttp_server(app, *, port=None, **kwargs)``: a started :class:`TestServer`.

        ``kwargs`` go to ``start_server()`` (``ssl=``, server settings).
        """
        server = TestServer(app, port=port)
        await server.start_server(**kwargs)
        self._servers.append(server)
        return server

    async def raw_server(
        self,
        handler: Callable[[BaseRequest], Awaitable[StreamResponse]],
        *,
        port: int | None = None,
        **kwargs: Any,
    ) -> RawTestServer:
        """``aiohttp_raw_server(handler, *, port=None, **kwargs)``: a started
        :class:`RawTestServer`."""
        server = RawTestServer(handler, port=port)
        await server.start_server(**kwargs)
        self._servers.append(server)
        return server

    async def client(
        self,
        app_or_server: Application | BaseTestServer,
        *,
        server_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> TestClient:
        """``aiohttp_client(app_or_server, *, server_kwargs=None, **kwargs)``.

        An application is served by a new :class:`TestServer` made with
        ``server_kwargs``; a server (started or not) is used as is. ``kwargs`` go to
        :class:`TestClient` (and on to the session).
        """
        if isinstance(app_or_server, Application):
            server: BaseTestServer = TestServer(app_or_server, **(server_kwargs or {}))
        elif isinstance(app_or_server, BaseTestServer):
            server = app_or_server
        else:
            raise ValueError(
                "aiohttp_client() takes a web.Application, a TestServer or a "
                f"RawTestServer, got {type(app_or_server).__name__}"
            )
        client = TestClient(server, **kwargs)
        await client.start_server()
        self._clients.append(client)
        return client

    async def close(self) -> None:
        """Close clients (newest first, each with its server), then the servers."""
        while self._clients:
            await self._clients.pop().close()
        while self._servers:
            await self._servers.pop().close()


class LeakTracker:
    """Collects the "unclosed session/response/connector" reports of one test.

    heron's client objects report themselves through the loop's exception handler
    when they are garbage collected unclosed; the tracker takes over that handler
    for the test's duration and passes every other report on.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._previous = loop.get_exception_handler()
        self.leaks: list[str] = []
        loop.set_exception_handler(self._handle)

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        for key in _LEAK_KEYS:
            if key in context:
                self.leaks.append(f"{context.get('message', 'Unclosed')}: {context[key]!r}")
                return
        if self._previous is not None:
            self._previous(loop, context)
        else:
            loop.default_exception_handler(context)

    def stop(self) -> list[str]:
        """Collect garbage (so unreferenced leaks report now), restore the handler
        and return what leaked."""
        gc.collect()
        if not self._loop.is_closed():
            self._loop.set_exception_handler(self._previous)
        return self.leaks


def leak_message(nodeid: str, leaks: list[str]) -> str:
    """The text shown for a test that leaked client objects."""
    lines = "\n  ".join(leaks)
    return f"{nodeid} left client objects unclosed (close sessions, release responses):\n  {lines}"
