"""Event loops for tests: create one, make it current, and tear it down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterator

__all__ = (
    "LOOP_FACTORIES",
    "loop_context",
    "loop_factories",
    "setup_test_loop",
    "teardown_test_loop",
)

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def _uvloop_factory() -> asyncio.AbstractEventLoop:
    import uvloop  # imported on demand: an optional extra

    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


LOOP_FACTORIES: dict[str, LoopFactory] = {
    "pyloop": asyncio.new_event_loop,
    "uvloop": _uvloop_factory,
}
"""Loop factories by the names ``--aiohttp-loop`` accepts."""


def _uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def loop_factories(spec: str) -> dict[str, LoopFactory]:
    """Resolve an ``--aiohttp-loop`` value (``pyloop``, ``uvloop``, ``all`` or a comma
    list) into the factories to run each test with.

    ``all`` means every loop that is installed; naming ``uvloop`` explicitly when it is
    not installed is an error (``ValueError``) rather than a silent fallback.
    """
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if names == ["all"]:
        names = ["pyloop", "uvloop"] if _uvloop_available() else ["pyloop"]
    chosen: dict[str, LoopFactory] = {}
    for name in names or ["pyloop"]:
        if name not in LOOP_FACTORIES:
            known = ", ".join([*LOOP_FACTORIES, "all"])
            raise ValueError(f"Unknown loop {name!r}; choose from {known}")
        if name == "uvloop" and not _uvloop_available():
            raise ValueError("uvloop is not installed (pip install uvloop)")
        chosen[name] = LOOP_FACTORIES[name]
    return chosen


def setup_test_loop(
    loop_factory: LoopFactory = asyncio.new_event_loop,
) -> asyncio.AbstractEventLoop:
    """Create a loop with ``loop_factory``, make it the current loop and return it.

    Pair every call with :func:`teardown_test_loop`.
    """
    loop = loop_factory()
    asyncio.set_event_loop(loop)
    return loop


def teardown_test_loop(loop: asyncio.AbstractEventLoop, fast: bool = False) -> None:
    """Stop and close ``loop`` made by :func:`setup_test_loop`.

    Tasks still pending are cancelled and awaited first, so their ``finally`` blocks
    run inside the loop rather than being reported as destroyed. Unless ``fast``, a
    garbage collection follows, so objects left unclosed by the test (sessions,
    responses) report themselves now, next to the test that leaked them.
    """
    if not loop.is_closed():
        if not loop.is_running():
            _cancel_pending(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    if not fast:
        gc.collect()
    asyncio.set_event_loop(None)


def _cancel_pending(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not pending:
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


@contextlib.contextmanager
def loop_context(
    loop_factory: LoopFactory = asyncio.new_event_loop, fast: bool = False
) -> Iterator[asyncio.AbstractEventLoop]:
    """``with loop_context() as loop:`` a fresh current loop, torn down on exit."""
    loop = setup_test_loop(loop_factory)
    try:
        yield loop
    finally:
        teardown_test_loop(loop, fast=fast)
