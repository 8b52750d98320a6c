"""Signal and FrozenList: ordered coroutine receivers that freeze."""

from __future__ import annotations

import pytest

from heron.signals import FrozenList, Signal


async def test_send_awaits_receivers_in_order() -> None:
    calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []

    async def first(*args: object, **kwargs: object) -> None:
        calls.append(("first", args, kwargs))

    async def second(*args: object, **kwargs: object) -> None:
        calls.append(("second", args, kwargs))

    signal = Signal(owner="app")
    signal.append(second)
    signal.insert(0, first)
    await signal.send(1, key="v")
    assert calls == [("first", (1,), {"key": "v"}), ("second", (1,), {"key": "v"})]


async def test_exception_stops_the_chain() -> None:
    calls: list[str] = []

    async def bad() -> None:
        raise ValueError("boom")

    async def later() -> None:
        calls.append("later")

    signal = Signal()
    signal.extend([bad, later])
    with pytest.raises(ValueError):
        await signal.send()
    assert calls == []


async def test_frozen_signal_refuses_changes_but_sends() -> None:
    calls: list[str] = []

    async def receiver() -> None:
        calls.append("r")

    signal = Signal()
    signal.append(receiver)
    signal.freeze()
    assert signal.frozen
    for change in (
        lambda: signal.append(receiver),
        lambda: signal.insert(0, receiver),
        lambda: signal.remove(receiver),
        lambda: signal.pop(),
        lambda: signal.clear(),
        lambda: signal.extend([receiver]),
        lambda: signal.sort(key=id),
        lambda: signal.reverse(),
        lambda: signal.__setitem__(0, receiver),
        lambda: signal.__delitem__(0),
    ):
        with pytest.raises(RuntimeError):
            change()
    await signal.send()
    assert calls == ["r"]
    assert "frozen=True" in repr(signal) and "owner=" in repr(signal)


def test_frozen_list_behaves_like_a_list() -> None:
    items = FrozenList([3, 1, 2])
    items.sort()
    assert list(items) == [1, 2, 3]
    assert items[0] == 1 and items[-1] == 3 and items[1:] == [2, 3]
    assert 2 in items and len(items) == 3
    assert list(reversed(items)) == [3, 2, 1]
    assert items == [1, 2, 3] and items == FrozenList([1, 2, 3])
    items[0] = 9
    del items[1]
    assert items.copy() == [9, 3]
    items += [4]
    assert list(items) == [9, 3, 4]
    with pytest.raises(TypeError):
        hash(items)
    items.freeze()
    with pytest.raises(RuntimeError):
        items += [5]
    assert "FrozenList(frozen=True" in repr(items)
