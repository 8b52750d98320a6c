"""0.x ``aiohttp.signals`` debug signals: ``DebugSignal``, ``PreSignal``, ``PostSignal``.

In 0.x an application in debug mode sent a ``PreSignal`` before and a ``PostSignal``
after each of its signals, with an ordinal that pairs them and the signal's name.
heron keeps the classes for code that builds or sends them itself; heron's
application does **not** send them (that would cost every signal a check), so a
program that relied on ``app.on_pre_signal``/``on_post_signal`` must send them::

    pre, post = PreSignal(), PostSignal()
    pre.append(on_pre)                              # async def on_pre(ordinal, name, *args)
    ordinal = pre.ordinal()
    await pre.send(ordinal, "on_startup", app)
    await app.on_startup.send(app)
    await post.send(ordinal, "on_startup", app)

Building one warns (``DeprecationWarning``); modern code uses :class:`heron.signals.Signal`.
``BaseSignal`` is the 0.x name of the list base, :class:`heron.signals.FrozenList`.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from ..signals import FrozenList
from ._deprecation import warn_deprecated_by_caller

__all__ = ("BaseSignal", "DebugSignal", "PostSignal", "PreSignal", "lookup")

BaseSignal = FrozenList
"""0.x name of the signals' list base (``copy()``, ``sort()``, freezable)."""

_Receiver = Callable[..., Awaitable[Any]]


class DebugSignal(FrozenList[_Receiver]):
    """A signal whose receivers are called as ``receiver(ordinal, name, *args, **kwargs)``."""

    __slots__ = ()

    def __init__(self) -> None:
        warn_deprecated_by_caller(f"heron.signals.{type(self).__name__}", "heron.signals.Signal")
        super().__init__()

    async def send(self, ordinal: int, name: str, *args: Any, **kwargs: Any) -> None:
        """Await every receiver in order with ``(ordinal, name, *args, **kwargs)``."""
        for receiver in tuple(self):  # a snapshot: a receiver may change the list
            await receiver(ordinal, name, *args, **kwargs)


class PreSignal(DebugSignal):
    """Sent before a signal; :meth:`ordinal` numbers the pairs (1, 2, 3, ...)."""

    __slots__ = ("_counter",)

    def __init__(self) -> None:
        super().__init__()
        self._counter = itertools.count(1)

    def ordinal(self) -> int:
        """The next ordinal, to pass to this signal's and the PostSignal's ``send``."""
        return next(self._counter)


class PostSignal(DebugSignal):
    """Sent after a signal, with the ordinal its :class:`PreSignal` got."""

    __slots__ = ()


def lookup(name: str) -> Any:
    """``heron.signals.<name>`` for the 0.x names; AttributeError for any other."""
    if name == "BaseSignal":
        warn_deprecated_by_caller("heron.signals.BaseSignal", "heron.signals.FrozenList")
        return BaseSignal
    value: type = {"DebugSignal": DebugSignal, "PreSignal": PreSignal, "PostSignal": PostSignal}[
        name
    ]  # these warn when built
    return value
