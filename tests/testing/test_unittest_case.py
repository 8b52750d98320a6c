"""HeronTestCase (alias AioHTTPTestCase) run by pytest and by unittest; loop helpers."""

from __future__ import annotations

import asyncio
import io
import unittest

import pytest

from heron import web
from heron.test_utils import (
    AioHTTPTestCase,
    HeronTestCase,
    TestClient,
    TestServer,
    loop_context,
    setup_test_loop,
    teardown_test_loop,
    unittest_run_loop,
    unused_port,
)


def build_app() -> web.Application:
    async def index(request: web.Request) -> web.StreamResponse:
        request.app["hits"].append(request.path)
        return web.Response(text="index")

    app = web.Application()
    app["hits"] = []
    app.router.add_get("/", index)
    return app


class TestAppCase(HeronTestCase):
    """Collected and run by pytest as a unittest TestCase."""

    async def get_application(self) -> web.Application:
        return build_app()

    async def test_client_talks_to_the_app(self) -> None:
        resp = await self.client.get("/")
        self.assertEqual(resp.status, 200)
        self.assertEqual(await resp.text(), "index")
        self.assertEqual(self.app["hits"], ["/"])
        self.assertIsInstance(self.server, TestServer)
        self.assertIsInstance(self.client, TestClient)
        self.assertIs(self.loop, asyncio.get_running_loop())

    async def test_each_test_gets_a_fresh_app(self) -> None:
        self.assertEqual(self.app["hits"], [])


def test_alias_is_the_same_class() -> None:
    assert AioHTTPTestCase is HeronTestCase


def run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    return unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(suite)


def test_run_by_unittest() -> None:
    events: list[str] = []

    class Case(AioHTTPTestCase):
        def get_application(self) -> web.Application:  # type: ignore[override]
            return build_app()  # a plain (non-async) method works too

        async def setUpAsync(self) -> None:
            events.append("setup")
            await super().setUpAsync()

        async def tearDownAsync(self) -> None:
            self.port = self.client.port
            await super().tearDownAsync()
            events.append("teardown")

        async def test_ok(self) -> None:
            self.assertEqual((await self.client.get("/")).status, 200)

        async def test_fails(self) -> None:
            self.assertEqual((await self.client.get("/missing")).status, 200)

    result = run_case(Case)
    assert result.testsRun == 2
    assert len(result.failures) == 1 and "404 != 200" in result.failures[0][1]
    assert not result.errors
    assert events == ["setup", "teardown", "setup", "teardown"]


def test_missing_get_application_is_reported() -> None:
    class Case(HeronTestCase):
        async def test_nothing(self) -> None:
            pass

    result = run_case(Case)
    assert len(result.errors) == 1
    assert "get_application" in result.errors[0][1]


def test_custom_server_and_client() -> None:
    class Case(HeronTestCase):
        async def get_application(self) -> web.Application:
            return build_app()

        async def get_server(self, app: web.Application) -> TestServer:
            return TestServer(app, port=unused_port())

        async def get_client(self, server: TestServer) -> TestClient:
            return TestClient(server, headers={"X-From": "case"})

        async def test_ok(self) -> None:
            self.assertEqual(self.client.session.headers["X-From"], "case")

    result = run_case(Case)
    assert result.wasSuccessful(), result.errors


def test_unittest_run_loop_is_a_deprecated_no_op() -> None:
    async def method() -> None:
        pass

    with pytest.warns(DeprecationWarning):
        assert unittest_run_loop(method) is method


def test_loop_context_sets_and_clears_the_current_loop() -> None:
    with loop_context() as loop:
        assert asyncio.get_event_loop_policy().get_event_loop() is loop

        async def pending() -> None:
            await asyncio.sleep(10)

        task = loop.create_task(pending())
        assert loop.run_until_complete(asyncio.sleep(0, "ok")) == "ok"
    assert loop.is_closed()
    assert task.cancelled()  # pending tasks are cancelled, not destroyed


def test_setup_and_teardown_test_loop_with_a_factory() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = setup_test_loop(uvloop.new_event_loop)
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        teardown_test_loop(loop, fast=True)
    assert loop.is_closed()
    teardown_test_loop(loop)  # a closed loop is fine


def test_unused_port_is_bindable() -> None:
    import socket

    port = unused_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
