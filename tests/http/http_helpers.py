"""Helpers for driving the sans-IO parsers with bytes alone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Parser = Any


def merge_body(events: Sequence[object]) -> list[object]:
    """Join adjacent body chunks: how bytes are split must not matter to a reader."""
    out: list[object] = []
    for ev in events:
        if isinstance(ev, bytes) and out and isinstance(out[-1], bytes):
            out[-1] = out[-1] + ev
        else:
            out.append(ev)
    return out


def feed_pieces(parser: Parser, pieces: Sequence[bytes], eof: bool = False) -> list[object]:
    events: list[object] = []
    for piece in pieces:
        events.extend(parser.feed_data(piece))
    if eof:
        events.extend(parser.feed_eof())
    return events


def parse(factory: Callable[[], Parser], data: bytes, eof: bool = False) -> list[object]:
    """Parse ``data`` in one piece and return the merged events."""
    return merge_body(feed_pieces(factory(), [data], eof))


def assert_split_invariant(
    factory: Callable[[], Parser], data: bytes, eof: bool = False
) -> list[object]:
    """Feed ``data`` whole, split at every boundary and byte by byte: same events."""
    whole = parse(factory, data, eof)
    for i in range(1, len(data)):
        split = merge_body(feed_pieces(factory(), [data[:i], data[i:]], eof))
        assert split == whole, f"split at {i}"
    single = merge_body(feed_pieces(factory(), [data[i : i + 1] for i in range(len(data))], eof))
    assert single == whole, "byte by byte"
    return whole
