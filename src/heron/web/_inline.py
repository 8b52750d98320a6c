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

This uses ``asyncio.tasks._enter_task``/``_leave_task`` and ``_current_tasks``, the
private pieces eager tasks are built on (present in 3.11 and later).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

__all__ = ("InlineRun", "enter_task", "failed", "finished", "leave_task", "run_inline", "waiting")

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


class InlineRun(Generic[_T]):
    """A coroutine started outside its task; ``await`` it in the task to finish it.

    ``done`` is true when the first step already finished (``result`` holds the
    value, or ``error`` what it raised); otherwise ``pending`` is what the coroutine
    waits on (a future, or None for a bare yield such as ``asyncio.sleep(0)``).
    """

    __slots__ = ("_coro", "cancel", "done", "error", "pending", "result")

    def __init__(self, coro: Coroutine[Any, Any, _T]) -> None:
        self._coro = coro
        self.done = False
        self.result: _T | None = None
        self.error: BaseException | None = None
        self.pending: Any = None
        # A cancellation that reached the task before it took the coroutine over:
        # ``await`` then cancels the pending future and raises the error inside.
        self.cancel: BaseException | None = None

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
                try:
                    yield pending
                except BaseException as exc:  # thrown in by the task: cancellation
                    pending = coro.throw(exc)
                else:
                    pending = coro.send(None)
        except StopIteration as stop:
            value: _T = stop.value
            return value


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
