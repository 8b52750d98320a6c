"""`Parking` and `InlineRun` at their edges, with a stand-in for the WebSocket.

The socket tests (test_websocket_parking.py) cover the paths a WebSocket takes; here
a minimal source of futures drives the cases no socket reaches on demand: a parked
future completed behind the parking's back, the handler finishing or failing inline,
and a cancellation arriving after an inline step (when the handler finished, waits on
another future, or was handed its parked future's result).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

import pytest

from heron.web import _inline

pytestmark = pytest.mark.skipif(not _inline.AVAILABLE, reason="no eager-start hooks")


class Source:
    """Hands out one future at a time, like a WebSocket's receive()."""

    def __init__(self) -> None:
        self._waiter: asyncio.Future[Any] | None = None

    async def receive(self) -> Any:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            return await self._waiter
        finally:
            self._waiter = None


async def body(source: Source, log: list[Any]) -> str:
    """The "handler": logs what it receives until told to stop, fail or sleep."""
    while True:
        try:
            value = await source.receive()
        except asyncio.CancelledError:
            log.append("cancelled")
            raise
        if value == "stop":
            return "done"
        if value == "raise":
            raise KeyError("raised inline")
        if value == "sleep":
            await asyncio.sleep(10)
        log.append(value)


class Harness:
    """A task driving ``body`` through an InlineRun, parked on the source's futures."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.source = Source()
        self.log: list[Any] = []
        self.context = contextvars.copy_context()
        run = _inline.run_inline(body(self.source, self.log), self.context)
        assert run is not None and not run.done
        self.task: asyncio.Task[str] = self.loop.create_task(self._drive(run), context=self.context)
        self.park = _inline.Parking(self.loop, self.task, self.context)
        self.park.source = self.source
        run.park = self.park

    async def _drive(self, run: _inline.InlineRun[str]) -> str:
        return await run

    async def parked(self) -> None:
        for _ in range(10):
            if self.park.waiting is not None:
                return
            await asyncio.sleep(0)
        raise AssertionError("never parked")

    async def from_callback(self, action: Callable[[], None]) -> None:
        """Run ``action`` in a loop callback (as data_received runs), then let it settle."""
        done = self.loop.create_future()

        def callback() -> None:
            action()
            done.set_result(None)

        self.loop.call_soon(callback)
        await done


async def test_messages_run_the_parked_coroutine_inline() -> None:
    h = Harness()
    await h.parked()
    seen_at_once: list[list[Any]] = []

    def deliver() -> None:
        h.park.resume("a")
        seen_at_once.append(list(h.log))  # already handled, inside the callback
        h.park.resume("b")

    await h.from_callback(deliver)
    assert seen_at_once == [["a"]] and h.log == ["a", "b"]
    assert h.park.waiting is not None and not h.task.done()  # parked again, task asleep
    await h.from_callback(lambda: h.park.resume("stop"))
    assert await h.task == "done"


async def test_a_parked_future_completed_behind_the_parkings_back_wakes_the_task() -> None:
    h = Harness()
    await h.parked()
    assert h.source._waiter is not None
    h.source._waiter.set_result("direct")  # neither resume() nor hand_back()
    for _ in range(5):
        await asyncio.sleep(0)
    assert h.log == ["direct"]
    await h.parked()  # the task took over, then parked it again
    await h.from_callback(lambda: h.park.resume("stop"))
    assert await h.task == "done"


async def test_an_error_raised_inline_is_raised_by_the_task() -> None:
    h = Harness()
    await h.parked()
    await h.from_callback(lambda: h.park.resume("raise"))
    with pytest.raises(KeyError, match="raised inline"):
        await h.task


async def test_a_cancellation_after_an_inline_finish_still_cancels_the_task() -> None:
    h = Harness()
    await h.parked()

    def finish_then_cancel() -> None:
        h.park.resume("stop")
        h.task.cancel()

    await h.from_callback(finish_then_cancel)
    with pytest.raises(asyncio.CancelledError):
        await h.task


async def test_a_cancellation_after_an_inline_failure_wins_as_well() -> None:
    h = Harness()
    await h.parked()

    def fail_then_cancel() -> None:
        h.park.resume("raise")
        h.task.cancel()

    await h.from_callback(fail_then_cancel)
    with pytest.raises(asyncio.CancelledError):
        await h.task


async def test_a_cancellation_while_waiting_on_another_future_reaches_it() -> None:
    h = Harness()
    await h.parked()

    def sleep_then_cancel() -> None:
        h.park.resume("sleep")  # now waits on asyncio.sleep's future: handed back
        h.task.cancel()

    await h.from_callback(sleep_then_cancel)
    with pytest.raises(asyncio.CancelledError):
        await h.task
    assert h.log == []


async def test_a_cancellation_after_a_hand_back_is_thrown_in_instead_of_the_value() -> None:
    h = Harness()
    await h.parked()

    def hand_back_then_cancel() -> None:
        waiter = h.source._waiter
        assert waiter is not None
        h.park.hand_back()
        waiter.set_result("lost")
        h.task.cancel()

    await h.from_callback(hand_back_then_cancel)
    with pytest.raises(asyncio.CancelledError):
        await h.task
    assert h.log == ["cancelled"]  # as for a task cancelled after its future completed


async def test_a_cancellation_while_parked_cancels_the_parked_future() -> None:
    h = Harness()
    await h.parked()
    waiter = h.source._waiter
    assert waiter is not None
    h.task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await h.task
    assert waiter.cancelled() and h.log == ["cancelled"]
    assert h.park.waiting is None


async def test_resume_from_a_running_coroutine_hands_the_step_to_the_task() -> None:
    h = Harness()
    await h.parked()
    h.park.resume("x")  # this test's coroutine is running: no task to borrow
    assert h.log == []
    for _ in range(5):
        await asyncio.sleep(0)
    assert h.log == ["x"]
    await h.parked()
    await h.from_callback(lambda: h.park.resume("stop"))
    assert await h.task == "done"


async def test_a_message_after_the_task_was_cancelled_waits_behind_the_cancellation() -> None:
    h = Harness()
    await h.parked()

    def cancel_then_deliver() -> None:
        h.task.cancel()  # the task is woken (its stand-in cancelled), not run yet
        h.park.resume("late")  # must not run the handler on past the cancellation

    await h.from_callback(cancel_then_deliver)
    with pytest.raises(asyncio.CancelledError):
        await h.task
    assert h.log == ["cancelled"]
