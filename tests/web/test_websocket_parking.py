"""A WebSocket handler parked on ``receive()`` is run on inline by each message.

While the connection's task drives a handler that waits for a message, the server
parks it (``heron.web._inline.Parking``): the message runs the handler on inside
``data_received`` instead of waking the task. These tests pin that a parked handler
behaves as one woken by its task: it runs as the same task and in the same context,
keeps its messages in order, hands any other wait back to the task, and sees
timeouts, closes, cancellations and errors exactly as before.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from websocket_helpers import Handler, RawPeer, raw_client, serve_ws

from heron import WSMsgType, web
from heron.web import _inline
from heron.web.protocol import RequestHandler

TEXT, CLOSE = WSMsgType.TEXT, WSMsgType.CLOSE

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


@asynccontextmanager
async def peer_of(handler: Handler, **runner_kw: Any) -> AsyncIterator[RawPeer]:
    async with serve_ws(handler, **runner_kw) as served:
        peer, _ = await raw_client(served)
        try:
            yield peer
        finally:
            await peer.close()


class Resumes(list[Any]):
    """Every message that ran a parked handler on inline (the path under test)."""

    parked = True

    def at_least(self, count: int) -> bool:
        return len(self) >= count if self.parked else not self


@pytest.fixture(params=["parked", "unparked"])
def resumes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Resumes:
    """Each test runs with parking and without it (``park_for`` declining): the
    handler must see the same in both."""
    seen = Resumes()
    original = _inline.Parking.resume

    def counting(self: _inline.Parking, value: Any) -> None:
        seen.append(value)
        original(self, value)

    monkeypatch.setattr(_inline.Parking, "resume", counting)
    if request.param == "unparked":
        seen.parked = False
        monkeypatch.setattr(RequestHandler, "park_for", lambda self, source: None)
    return seen


async def echo(request: web.Request) -> web.WebSocketResponse:
    """The plain echo handler."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        await ws.send_str(msg.data)
    return ws


async def echo_texts(peer: RawPeer, texts: list[str]) -> list[str]:
    got = []
    for text in texts:
        peer.send_frame(TEXT, text.encode())
        msg = await peer.receive()
        got.append(msg.data)
    return got


async def test_a_parked_handler_runs_as_its_task_in_its_context(resumes: Resumes) -> None:
    tasks: set[asyncio.Task[Any] | None] = set()
    ids: set[str] = set()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        request_id.set("r-1")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            tasks.add(asyncio.current_task())
            ids.add(request_id.get())
            await ws.send_str(msg.data.upper())
        return ws

    async with peer_of(handler) as peer:
        texts = [f"m{i}" for i in range(20)]
        assert await echo_texts(peer, texts) == [t.upper() for t in texts]
        peer.send_close()
        assert (await peer.receive()).type == CLOSE
    assert len(tasks) == 1 and None not in tasks
    assert ids == {"r-1"}
    assert resumes.at_least(19)  # the first message may arrive before the handler parks


async def test_several_frames_in_one_read_keep_their_order(resumes: Resumes) -> None:
    async with peer_of(echo) as peer:
        assert await echo_texts(peer, ["warm"]) == ["warm"]
        peer.send(b"".join(_frames([f"x{i}" for i in range(6)])))
        got = [(await peer.receive()).data for _ in range(6)]
        assert got == [f"x{i}" for i in range(6)]
    assert resumes.at_least(1)  # the first frame of the batch ran the parked handler on


def _frames(texts: list[str]) -> list[bytes]:
    from heron.ws import build_frame

    return [build_frame(TEXT, t.encode(), mask=True) for t in texts]


async def test_other_waits_between_messages_go_back_to_the_task(resumes: Resumes) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        loop = asyncio.get_running_loop()
        async for msg in ws:
            await asyncio.sleep(0)  # a bare yield
            later: asyncio.Future[str] = loop.create_future()
            loop.call_later(0.001, later.set_result, msg.data + "!")
            await ws.send_str(await later)  # a future of someone else
        return ws

    async with peer_of(handler) as peer:
        texts = [f"t{i}" for i in range(8)]
        assert await echo_texts(peer, texts) == [t + "!" for t in texts]
    assert resumes.at_least(7)


async def test_a_receive_timeout_reaches_a_parked_handler(resumes: Resumes) -> None:
    outcomes: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for _ in range(2):
            msg = await ws.receive()
            await ws.send_str(msg.data)
        try:
            await ws.receive(timeout=0.05)
        except TimeoutError:
            outcomes.append("receive timeout")
        try:
            async with asyncio.timeout(0.05):
                await ws.receive()
        except TimeoutError:
            outcomes.append("asyncio.timeout")
        msg = await ws.receive()  # the socket is still open and parks again
        await ws.send_str("after " + msg.data)
        return ws

    async with peer_of(handler) as peer:
        assert await echo_texts(peer, ["a", "b"]) == ["a", "b"]
        await asyncio.sleep(0.2)
        assert await echo_texts(peer, ["c"]) == ["after c"]
    assert outcomes == ["receive timeout", "asyncio.timeout"]
    assert resumes.at_least(1)


async def test_a_close_from_another_task_ends_a_parked_iteration(resumes: Resumes) -> None:
    ended = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        closer: asyncio.Task[bool] | None = None
        async for msg in ws:
            await ws.send_str(msg.data)
            if msg.data == "close me":
                closer = asyncio.create_task(ws.close(code=4000))
        ended.set()
        if closer is not None:
            await closer
        return ws

    async with peer_of(handler) as peer:
        assert await echo_texts(peer, ["x", "close me"]) == ["x", "close me"]
        msg = await peer.receive()
        assert (msg.type, msg.data) == (CLOSE, 4000)
        peer.send_close()
        await asyncio.wait_for(ended.wait(), 2)


@pytest.mark.parametrize(
    ("handler_cancellation", "expected"),
    # With handler_cancellation the end of the socket wakes the task first, then the
    # cancellation reaches it before it runs: as for a task woken by its future.
    [(True, ["cancelled"]), (False, ["ended 1006"])],
)
async def test_a_parked_handler_sees_the_client_leave(
    resumes: Resumes, handler_cancellation: bool, expected: list[str]
) -> None:
    seen: list[str] = []
    done = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        try:
            async for msg in ws:
                await ws.send_str(msg.data)
            seen.append(f"ended {ws.close_code}")
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise
        finally:
            done.set()
        return ws

    async with peer_of(handler, handler_cancellation=handler_cancellation) as peer:
        assert await echo_texts(peer, ["one", "two"]) == ["one", "two"]
        peer.writer.transport.abort()
        await asyncio.wait_for(done.wait(), 2)
    assert seen == expected
    assert resumes.at_least(1)


async def test_an_error_raised_after_a_resume_is_logged_and_closes(
    resumes: Resumes, caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.data == "boom":
                raise ValueError("boom in handler")
            await ws.send_str(msg.data)
        return ws

    with caplog.at_level(logging.ERROR):
        async with peer_of(handler) as peer:
            assert await echo_texts(peer, ["fine"]) == ["fine"]
            peer.send_frame(TEXT, b"boom")
            assert await peer.at_eof()
    assert "boom in handler" in caplog.text
    assert resumes.at_least(1)


async def test_a_handler_returning_after_a_resume_ends_the_connection(
    resumes: Resumes,
) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for _ in range(3):
            msg = await ws.receive()
            await ws.send_str(msg.data)
        return ws  # without close(): the server runs the closing handshake itself

    async with peer_of(handler) as peer:
        assert await echo_texts(peer, ["1", "2", "3"]) == ["1", "2", "3"]
        assert (await peer.receive()).type == CLOSE
        peer.send_close()
        assert await peer.at_eof()
    assert resumes.at_least(1)


async def test_bytes_fed_from_a_coroutine_wake_the_task_instead(resumes: Resumes) -> None:
    # A transport that delivers data from inside a running coroutine (not a loop
    # callback) cannot borrow the task: the message wakes it the usual way.
    from heron.ws import build_frame

    transports: list[asyncio.BaseTransport] = []
    parked = asyncio.Event()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        assert request.transport is not None
        transports.append(request.transport)
        msg = await ws.receive()  # the raw client's message (parks first)
        await ws.send_str(msg.data)
        parked.set()
        msg = await ws.receive()  # the one fed below, from the test's coroutine
        await ws.send_str("fed " + msg.data)
        return ws

    async with peer_of(handler) as peer:
        assert await echo_texts(peer, ["first"]) == ["first"]
        await asyncio.wait_for(parked.wait(), 2)
        await asyncio.sleep(0.01)  # the handler waits again, parked
        count = len(resumes)
        protocol = transports[0].get_protocol()
        protocol.data_received(build_frame(TEXT, b"inside", mask=True))
        assert (await peer.receive()).data == "fed inside"
        # resume() ran (when parked), and handed the step to the task
        assert len(resumes) == count + resumes.parked


async def test_without_the_task_hooks_messages_wake_the_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_inline, "AVAILABLE", False)
    resumed: list[Any] = []
    monkeypatch.setattr(_inline.Parking, "resume", lambda self, value: resumed.append(value))

    async with peer_of(echo) as peer:
        assert await echo_texts(peer, ["a", "b", "c"]) == ["a", "b", "c"]
    assert resumed == []
