"""HeronTestCase: a ``unittest`` base class that serves an application per test."""

from __future__ import annotations

import asyncio
import inspect
import unittest
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from ..web.app import Application
from .client import TestClient
from .servers import TestServer

__all__ = ("AioHTTPTestCase", "HeronTestCase", "unittest_run_loop")

_F = TypeVar("_F", bound=Callable[..., Any])


class HeronTestCase(unittest.IsolatedAsyncioTestCase):
    """Each test gets the application from :meth:`get_application`, served on a
    loopback port, and ``self.client`` (a :class:`TestClient`) to talk to it.

    Test methods are ``async def``; ``self.app``, ``self.server`` and ``self.loop``
    are set too. Override :meth:`setUpAsync`/:meth:`tearDownAsync` for per-test work
    (call ``super()`` so the client starts and closes), :meth:`get_server` or
    :meth:`get_client` to change how they are made.
    """

    app: Application
    server: TestServer
    client: TestClient
    loop: asyncio.AbstractEventLoop

    async def get_application(self) -> Application:
        """Return the application to test (override this)."""
        raise NotImplementedError("override get_application() to return the app under test")

    async def asyncSetUp(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.setUpAsync()

    async def setUpAsync(self) -> None:
        """Build the app, server and client and start them."""
        app: Any = self.get_application()
        # get_application() was a plain method in older aiohttp: accept both.
        if inspect.isawaitable(app):
            app = await app
        self.app = app
        self.server = await self.get_server(self.app)
        self.client = await self.get_client(self.server)
        await self.client.start_server()

    async def asyncTearDown(self) -> None:
        await self.tearDownAsync()

    async def tearDownAsync(self) -> None:
        """Close the client (and with it the server)."""
        await self.client.close()

    async def get_server(self, app: Application) -> TestServer:
        """Return the :class:`TestServer` for ``app``."""
        return TestServer(app)

    async def get_client(self, server: TestServer) -> TestClient:
        """Return the :class:`TestClient` for ``server``."""
        return TestClient(server)


AioHTTPTestCase = HeronTestCase
"""aiohttp's name for :class:`HeronTestCase`."""


def unittest_run_loop(func: _F) -> _F:
    """Deprecated no-op: :class:`HeronTestCase` runs ``async def`` tests itself."""
    warnings.warn(
        "unittest_run_loop is a no-op: async test methods run without it",
        DeprecationWarning,
        stacklevel=2,
    )
    return func
