"""Run a request handler's first step inline, as an eager task start does.

Python 3.11 has no eager task factory. Without one, a request that arrives while the
connection's task sleeps costs a loop iteration before its handler runs: the protocol
wakes the task (``set_result`` on a future, a ``call_soon``, a task step). Most
handlers never wait for anything, so the connection runs the handler's coroutine
right in ``data_received`` instead, *as* the connection's task (the task is made the
current one, so ``asyncio.current_task()``, ``asyncio.timeout()`` and cancellation
behave as usual) and in the task's context (so context variables set by a handler
stay where they would have been). If the coroutine finishes, nothing else happens.
If it waits on a future, the task takes it over: :class:`InlineRun` is awaited by
the task, which forwards the pending future to the event loop and drives the
coroutine from there on, exactly as if the task had started it.

A handler that waits again and again on futures of its own connection (a WebSocket
handler waiting for each message) need not wake its task every time either. While
the task drives it, a future the connection will complete is *parked* (see
:class:`Parking`): the task sleeps on a stand-in future instead, and when the message
arrives the connection completes the parked future and runs the coroutine on right in
``data_received``, again as the task. Only when the coroutine finishes, fails or
waits on anything else is the task woken, to take over from there.

This uses ``asyncio.tasks._enter_task``/``_leave_task`` and ``_current_tasks``, the
private pieces eager tasks are built on (present in 3.11 and later).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, Protocol, TypeVar

__all__ = (
    "InlineRun",
    "Parking",
    "enter_task",
    "failed",
    "finished",
    "leave_task",
    "run_inline",
    "waiting",
)

_T = TypeVar("_T")

_enter_task = getattr(asyncio.tasks, "_enter_task", None)
_leave_task = getattr(asyncio.tasks, "_leave_task", None)
# The loop -> running task mapping behind asyncio.current_task() (a plain dict
# lookup instead of a Python-level function call).
_Tasks = dict[asyncio.AbstractEventLoop, "asyncio.Task[Any]"]
_current_tasks: _Tasks | None = getattr(asyncio.tasks, "_current_tasks", None)
# Should a future Python drop these private pieces, handlers simply start in their
# task as usual (one loop iteration later) instead of failing.
AVAILABLE = _enter_task is not None and _leave_task is not None and isinstance(_current_tasks, dict)

# What a parked coroutine did when the task is woken (InlineRun.next): its parked
# future completed some other way (send None to it), it waits on another future
# (PENDING, the future), or it returned or raised.
_SEND, _PENDING, _RETURN, _RAISE = range(4)
_Outcome = tuple[int, Any]
_WOKEN: _Outcome = (_SEND, None)


class Waits(Protocol):
    """What a parked future comes from: it keeps the future a receiver waits on now."""

    _waiter: asyncio.Future[Any] | None


class Parking:
    """One connection's parking place for the handler its task drives.

    ``source`` is the object whose ``_waiter`` future the handler may be parked on
    (a WebSocket connection); whoever completes that future calls :meth:`resume`
    instead of ``set_result`` when ``waiting`` is that future, and :meth:`hand_back`
    before completing it any other way. A parked future completed by someone who did
    neither still wakes the task, through a done-callback (one loop turn later).
    """

    __slots__ = ("_context", "_loop", "_on_done_cb", "_task", "run", "source", "waiting")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        task: asyncio.Task[Any],
        context: contextvars.Context,
    ) -> None:
        self._loop = loop
        self._task = task
        self._context = context
        self.source: Waits | None = None
        self.waiting: asyncio.Future[Any] | None = None  # the parked future
        self.run: InlineRun[Any] | None = None  # whose task sleeps meanwhile
        self._on_done_cb = self._on_done  # one bound method, added and removed per park

    def park(self, run: InlineRun[Any], future: asyncio.Future[Any]) -> None:
        """Park ``run``'s coroutine on ``future``."""
        self.waiting = future
        self.run = run
        future.add_done_callback(self._on_done_cb)

    def hand_back(self) -> None:
        """The parked future is about to be completed other than by :meth:`resume`
        (a close, a timeout): wake the task for it now, as completing the future of
        a sleeping task would (its done-callback would take one loop turn more)."""
        future, self.waiting = self.waiting, None
        if future is not None:
            future.remove_done_callback(self._on_done_cb)
            assert self.run is not None
            self.run.wake(_WOKEN)

    def unpark(self) -> None:
        """Forget the parked future (the task was woken by a cancellation)."""
        future, self.waiting = self.waiting, None
        if future is not None:
            future.remove_done_callback(self._on_done_cb)
            future.cancel()

    def _on_done(self, future: asyncio.Future[Any]) -> None:
        # Completed by someone other than resume(): the task takes it from here.
        if self.waiting is future:
            self.waiting = None
            assert self.run is not None
            self.run.wake(_WOKEN)

    def resume(self, value: Any) -> None:
        """Complete the parked future with ``value`` and run the coroutine on, here.

        It runs as the task, in the task's context, until it waits again: on the next
        parkable future it stays parked (the task sleeps on), on anything else the
        task is woken to take over. Called from a running coroutine (no loop callback
        to borrow), or once the task was woken already (a cancellation on its way), it
        only wakes the task: the cancellation comes first, as it would for a task
        whose future completes after it was cancelled.
        """
        future, run = self.waiting, self.run
        assert future is not None and run is not None
        self.waiting = None
        future.remove_done_callback(self._on_done_cb)
        future.set_result(value)  # no callbacks left: schedules nothing
        loop, task = self._loop, self._task
        proxy = run.proxy
        if proxy is None or proxy.done() or loop in _current_tasks:  # type: ignore[operator]
            run.wake(_WOKEN)
            return
        _enter_task(loop, task)  # type: ignore[misc]
        try:
            try:
                pending = self._context.run(run._coro.send, None)
            except StopIteration as stop:
                outcome: _Outcome = (_RETURN, stop.value)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:
                outcome = (_RAISE, exc)
            else:
                source = self.source
                waiter = None if source is None else source._waiter
                if waiter is not None and pending is waiter and not waiter.done():
                    self.waiting = waiter  # park() unrolled: once per message
                    waiter.add_done_callback(self._on_done_cb)
                    return
                outcome = (_PENDING, pending)
        finally:
            _leave_task(loop, task)  # type: ignore[misc]
        run.wake(outcome)


class InlineRun(Generic[_T]):
    """A coroutine started outside its task; ``await`` it in the task to finish it.

    ``done`` is true when the first step already finished (``result`` holds the
    value, or ``error`` what it raised); otherwise ``pending`` is what the coroutine
    waits on (a future, or None for a bare yield such as ``asyncio.sleep(0)``).
    """

    __slots__ = ("_coro", "cancel", "done", "error", "next", "park", "pending", "proxy", "result")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self.done = False
        self.result: _T | None = None
        self.error: BaseException | None = None
        self.pending: Any = None
        # A cancellation that reached the task before it took the coroutine over:
        # ``await`` then cancels the pending future and raises the error inside.
        self.cancel: BaseException | None = None
        # Parking (see Parking): where the coroutine may be parked, the stand-in the
        # task sleeps on meanwhile, and what happened when the task is woken.
        self.park: Parking | None = None
        self.proxy: asyncio.Future[None] | None = None
        self.next: _Outcome | None = None

    def wake(self, outcome: _Outcome) -> None:
        """Wake the task sleeping on the stand-in future, with what happened."""
        self.next = outcome
        proxy = self.proxy
        if proxy is not None and not proxy.done():
            proxy.set_result(None)

    def __await__(self) -> Generator[Any, None, _T]:
        """Drive the coroutine to its end inside the awaiting task."""
        if self.error is not None:
            raise self.error
        if self.done:
            return self.result  # type: ignore[return-value]
        coro = self._coro
        pending = self.pending
        cancel = self.cancel
        self.pending = self.cancel = None
        try:
            if cancel is not None:
                if isinstance(pending, asyncio.Future) and not pending.done():
                    pending.cancel()
                pending = coro.throw(cancel)
            while True:
                park = self.park
                source = None if park is None else park.source
                waiter = None if source is None else source._waiter
                if waiter is not None and pending is waiter and not waiter.done():
                    assert park is not None
                    finished, pending = yield from self._parked(park, pending)
                    if finished:
                        result: _T = pending
                        return result
                    continue
                try:
                    yield pending
                except BaseException as exc:  # thrown in by the task: cancellation
                    pending = coro.throw(exc)
                else:
                    pending = coro.send(None)
        except StopIteration as stop:
            done: _T = stop.value
            return done

    def _parked(self, park: Parking, future: Any) -> Generator[Any, None, tuple[bool, Any]]:
        """Sleep on a stand-in while ``park`` runs the coroutine on inline, then take
        over: ``(True, result)`` if it finished, else ``(False, what it waits on)``."""
        coro = self._coro
        proxy = self.proxy = park._loop.create_future()
        proxy._asyncio_future_blocking = True  # what ``await proxy`` would set
        park.park(self, future)
        thrown: BaseException | None = None
        try:
            yield proxy
        except BaseException as exc:  # thrown in by the task: cancellation
            thrown = exc
        self.proxy = None
        outcome, self.next = self.next, None
        if outcome is None:  # still parked: woken by the cancellation
            park.unpark()
            assert thrown is not None
            return _step(coro.throw, thrown)
        kind, value = outcome
        if kind in (_RETURN, _RAISE):
            # Finished inline; a cancellation that came after that still ends the
            # task, as a task's cancellation does.
            if thrown is not None:
                raise thrown
            if kind == _RAISE:
                raise value
            return True, value
        if thrown is not None:
            if kind == _PENDING and isinstance(value, asyncio.Future):
                value.cancel()
            return _step(coro.throw, thrown)
        if kind == _PENDING:
            return False, value
        return _step(coro.send, None)


def _step(method: Callable[[Any], Any], arg: Any) -> tuple[bool, Any]:
    """One step of a coroutine, as ``(True, result)`` if it finished there."""
    try:
        return False, method(arg)
    except StopIteration as stop:
        return True, stop.value


def enter_task(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> bool:
    """Make ``task`` the current task; False if another task is running right now."""
    if not AVAILABLE:
        return False
    if loop in _current_tasks:  # type: ignore[operator]
        return False  # called from a coroutine rather than from a loop callback
    _enter_task(loop, task)  # type: ignore[misc]
    return True


def leave_task(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
    """Undo a successful :func:`enter_task`."""
    _leave_task(loop, task)  # type: ignore[misc]


def finished(coro: Coroutine[Any, Any, _T], value: _T) -> InlineRun[_T]:
    """The :class:`InlineRun` of a coroutine whose first step returned ``value``."""
    run = InlineRun(coro)
    run.done = True
    run.result = value
    return run


def failed(coro: Coroutine[Any, Any, _T], error: BaseException) -> InlineRun[_T]:
    """The :class:`InlineRun` of a coroutine whose first step raised ``error``."""
    run = InlineRun(coro)
    run.done = True
    run.error = error
    return run


def waiting(coro: Coroutine[Any, Any, _T], pending: Any) -> InlineRun[_T]:
    """The :class:`InlineRun` of a coroutine that waits on ``pending``."""
    run = InlineRun(coro)
    run.pending = pending
    return run


def run_inline(coro: Coroutine[Any, Any, _T], context: contextvars.Context) -> InlineRun[_T] | None:
    """Run ``coro`` in ``context`` up to its first wait (between ``enter_task`` and
    ``leave_task``, so that it runs as the task that will finish it).

    Returns None in the common case, when the coroutine finished with a true value
    (nothing is left to do); otherwise the :class:`InlineRun` to hand to the task.
    """
    try:
        pending = context.run(coro.send, None)
    except StopIteration as stop:
        if stop.value:
            return None
        return finished(coro, stop.value)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return failed(coro, exc)
    return waiting(coro, pending)
