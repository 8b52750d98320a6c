"""Utilities for testing heron (and aiohttp-style) applications and clients.

The names and signatures are aiohttp 3.x's ``aiohttp.test_utils``:

* :class:`TestServer` serves an :class:`~heron.web.Application`,
  :class:`RawTestServer` a bare handler coroutine, both on a free loopback port;
* :class:`TestClient` sends requests to such a server with relative paths;
* :func:`make_mocked_request` builds a request for calling a handler directly;
* :class:`HeronTestCase` (alias :class:`AioHTTPTestCase`) is a ``unittest`` base class;
* :func:`loop_context`, :func:`setup_test_loop`, :func:`teardown_test_loop` and
  :func:`unused_port` help tests that manage event loops and ports themselves.

The pytest fixtures (``aiohttp_client``, ``aiohttp_server``, ...) live in
:mod:`heron.pytest_plugin`, which pytest loads automatically once heron is installed.
"""

from __future__ import annotations

from .testing.client import TestClient
from .testing.loops import loop_context, setup_test_loop, teardown_test_loop
from .testing.mocked import (
    MockedProtocol,
    MockedTransport,
    RecordingStreamWriter,
    make_mocked_coro,
    make_mocked_request,
)
from .testing.servers import BaseTestServer, RawTestServer, TestServer, get_port_socket, unused_port
from .testing.unittest_case import AioHTTPTestCase, HeronTestCase, unittest_run_loop

__all__ = (
    "AioHTTPTestCase",
    "BaseTestServer",
    "HeronTestCase",
    "MockedProtocol",
    "MockedTransport",
    "RawTestServer",
    "RecordingStreamWriter",
    "TestClient",
    "TestServer",
    "get_port_socket",
    "loop_context",
    "make_mocked_coro",
    "make_mocked_request",
    "setup_test_loop",
    "teardown_test_loop",
    "unittest_run_loop",
    "unused_port",
)
