"""Handlers started inline in ``data_received`` behave as if the connection's task ran them.

The server runs a handler's first step right where the request arrives (no task switch)
and lets the connection's task finish it if it has to wait. These tests pin what a
handler can observe either way: the current task, timeouts, context variables,
cancellation and errors.
"""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from server_helpers import serve

from heron import web
from heron.web import _inline

_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("_VAR", default="unset")


async def test_current_task_is_the_request_task_before_and_after_waiting() -> None:
    seen: list[bool] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        seen.append(asyncio.current_task() is request.task)
        if request.path == "/wait":
            await asyncio.sleep(0.01)
            seen.append(asyncio.current_task() is request.task)
        return web.Response(text="ok")

    async with serve(handler) as srv:
        conn = await srv.connect()
        for path in (b"/", b"/wait", b"/"):
            conn.send(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await conn.response()).body == b"ok"
        await conn.close()
    assert seen == [True, True, True, True]


async def test_asyncio_timeout_works_in_handlers() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        try:
            async with asyncio.timeout(0.05):
                if request.path == "/slow":
                    await asyncio.sleep(5)
        except TimeoutError:
            return web.Response(text="timed out")
        return web.Response(text="in time")

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).body == b"in time"
        conn.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).body == b"timed out"
        conn.send(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).body == b"in time"
        await conn.close()


async def test_context_variables_survive_a_wait_and_stay_per_connection() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        before = _VAR.get()
        _VAR.set(request.query.get("v", "none"))
        await asyncio.sleep(0.01)  # the connection's task finishes the handler
        return web.Response(text=f"{before}->{_VAR.get()}")

    async with serve(handler) as srv:
        first, second = await srv.connect(), await srv.connect()
        first.send(b"GET /?v=a HTTP/1.1\r\nHost: x\r\n\r\n")
        second.send(b"GET /?v=b HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await first.response()).body == b"unset->a"
        assert (await second.response()).body == b"unset->b"
        await first.close()
        await second.close()


async def test_a_waiting_handler_is_cancelled_when_its_client_leaves() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        started.set()
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return web.Response(text="never")

    async with serve(handler, handler_cancellation=True) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await asyncio.wait_for(started.wait(), 1)
        await conn.close()
        await asyncio.wait_for(cancelled.wait(), 1)


async def test_a_handler_raising_cancelled_error_at_once_closes_the_connection() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path == "/cancel":
            raise asyncio.CancelledError
        return web.Response(text="ok")

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET /cancel HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await conn.closed_by_server()
        await conn.close()
        conn = await srv.connect()  # the server itself is fine
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).body == b"ok"
        await conn.close()


async def test_pipelined_mix_of_immediate_and_waiting_handlers_keeps_order() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        if request.path.startswith("/wait"):
            await asyncio.sleep(0.01)
        return web.Response(text=request.path)

    async with serve(handler) as srv:
        conn = await srv.connect()
        paths = [b"/a", b"/wait1", b"/b", b"/wait2", b"/c"]
        conn.send(b"".join(b"GET " + p + b" HTTP/1.1\r\nHost: x\r\n\r\n" for p in paths))
        bodies = [(await conn.response()).body for _ in paths]
        await conn.close()
    assert bodies == paths


async def test_requests_are_served_when_the_inline_start_is_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without asyncio's private task hooks the server falls back to its task."""
    monkeypatch.setattr(_inline, "AVAILABLE", False)
    seen: list[bool] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        seen.append(asyncio.current_task() is request.task)
        return web.Response(text="ok")

    async with serve(handler) as srv:
        conn = await srv.connect()
        for _ in range(3):
            conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert (await conn.response()).body == b"ok"
        await conn.close()
    assert seen == [True, True, True]
