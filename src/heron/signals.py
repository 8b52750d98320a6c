"""Signals: ordered lists of coroutine receivers that can be frozen.

An application exposes several signals (``on_startup``, ``on_shutdown``, ``on_cleanup``,
``on_response_prepare``). Receivers are registered with the usual list methods
(``append``, ``insert``, ``extend``, ``remove``, ...) while the application is being set
up; once the application starts, its signals are frozen and further changes raise
:class:`RuntimeError`, so a running server never sees its receivers change under it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableSequence
from typing import Any, Generic, TypeVar, overload

__all__ = ("FrozenList", "Signal")

_T = TypeVar("_T")


class FrozenList(MutableSequence[_T], Generic[_T]):
    """A list that can be frozen: after :meth:`freeze`, every mutation raises.

    Reading (indexing, iteration, ``len``, ``in``) works the same before and after.
    Unlike a tuple it keeps its identity, so code holding a reference sees the final
    contents.
    """

    __slots__ = ("_frozen", "_items")

    def __init__(self, items: Iterable[_T] | None = None) -> None:
        self._frozen = False
        self._items: list[_T] = list(items) if items is not None else []

    @property
    def frozen(self) -> bool:
        """True once :meth:`freeze` was called."""
        return self._frozen

    def freeze(self) -> None:
        """Forbid any further change. Idempotent."""
        self._frozen = True

    def _check_frozen(self) -> None:
        if self._frozen:
            raise RuntimeError(f"Cannot modify frozen {type(self).__name__}")

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> MutableSequence[_T]: ...

    def __getitem__(self, index: int | slice) -> _T | MutableSequence[_T]:
        return self._items[index]

    @overload
    def __setitem__(self, index: int, value: _T) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[_T]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        self._check_frozen()
        self._items[index] = value

    def __delitem__(self, index: int | slice) -> None:
        self._check_frozen()
        del self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[_T]:
        return iter(self._items)

    def __reversed__(self) -> Iterator[_T]:
        return reversed(self._items)

    def __contains__(self, value: object) -> bool:
        return value in self._items

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenList):
            return self._items == other._items
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]  # mutable until frozen: unhashable

    def insert(self, index: int, value: _T) -> None:
        """Insert ``value`` before ``index`` (refused once frozen)."""
        self._check_frozen()
        self._items.insert(index, value)

    def copy(self) -> list[_T]:
        """A plain list with the same items."""
        return list(self._items)

    def reverse(self) -> None:
        """Reverse in place (refused once frozen, even when it would change nothing)."""
        self._check_frozen()
        self._items.reverse()

    def sort(self, *, key: Callable[[_T], Any] | None = None, reverse: bool = False) -> None:
        """Sort in place (refused once frozen)."""
        self._check_frozen()
        self._items.sort(key=key, reverse=reverse)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(frozen={self._frozen}, {self._items!r})>"


_Receiver = Callable[..., Awaitable[Any]]


class Signal(FrozenList[_Receiver]):
    """A coroutine signal: :meth:`send` awaits every receiver in registration order.

    ``Signal(owner)`` keeps a reference to its owner (usually the application) for its
    repr. Receivers must be coroutine functions (or callables returning awaitables);
    their return values are ignored. An exception in a receiver propagates to the
    caller of :meth:`send` and the remaining receivers are not called.
    """

    __slots__ = ("_owner",)

    def __init__(self, owner: object = None) -> None:
        super().__init__()
        self._owner = owner

    async def send(self, *args: Any, **kwargs: Any) -> None:
        """Call each receiver with ``*args, **kwargs`` and await it, in order."""
        # Iterate over a snapshot: an unfrozen signal may be changed by a receiver.
        for receiver in tuple(self._items):
            await receiver(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Signal owner={self._owner!r}, frozen={self._frozen}, receivers={self._items!r}>"


def __getattr__(name: str) -> Any:
    """0.x ``BaseSignal``, ``DebugSignal``, ``PreSignal``, ``PostSignal`` (deprecated),
    loaded lazily from :mod:`heron.legacy.signals`; see ``docs/legacy.md``."""
    if name not in ("BaseSignal", "DebugSignal", "PreSignal", "PostSignal"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .legacy.signals import lookup

    return lookup(name)
