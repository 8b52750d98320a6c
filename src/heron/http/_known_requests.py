"""Whole requests the server has parsed before, recognised by their head bytes.

Clients send the same head request after request (the same method, target and
fields, byte for byte). Once llhttp has parsed and checked such a head, the same
bytes under the same parser limits can only give the same events again, so the
next time they arrive as one whole message (the head and its complete
``Content-Length`` body, nothing before or after) the server takes those events
from here and skips the parser altogether: no llhttp feed, no Python callbacks,
no parser taken from the pool. Anything else (a partial or pipelined read, a new
head, a head over the size bound) goes through the parser as before.

Kept only for heads whose events carry no per-connection state: HTTP/1.1 with
keep-alive, no upgrade, no ``Transfer-Encoding`` or ``Content-Encoding``, an
origin-form target. Heads carrying credentials or cookies are never kept, so the
table holds no secret after the connection that sent it is gone. One table per
set of parser limits (the parser pool owns it); bounded and cleared when full.
While heads keep arriving new (distinct targets), the table rests for a while, so
such traffic does not pay for lookups that never hit.
"""

from __future__ import annotations

from typing import Final

from multidict import istr

from ._parser_base import _END
from .models import HttpVersion11, RawRequestMessage
from .parser import RequestEvent

__all__ = ("KnownRequests",)

_HEAD_END: Final = b"\r\n\r\n"
# The largest head kept, and the most heads kept per table.
MAX_HEAD_BYTES: Final = 2048
MAX_HEADS: Final = 256
# Traffic that never repeats a head (distinct targets, say) would pay for looking and
# learning on every request for nothing: after this many new heads in a row without a
# repeat, the table rests (answers None, learns nothing) for this many reads.
NEW_IN_A_ROW: Final = 64
REST_FOR: Final = 1024
# Fields whose values must not outlive the connection that sent them. (Codings need
# no check: a chunked or compressed body shows in the head event.)
_NEVER_KEPT: Final = tuple(
    istr(name) for name in ("Authorization", "Cookie", "Proxy-Authorization")
)


class KnownRequests:
    """Events of whole requests parsed before, by head bytes (see the module doc)."""

    __slots__ = ("_heads", "_new_in_row", "_resting", "_seen", "listening")

    def __init__(self) -> None:
        # False while resting: the server then skips learn() as well.
        self.listening = True
        self._new_in_row = 0
        self._resting = 0
        # head bytes -> (the head event, the body length it declares)
        self._heads: dict[bytes, tuple[RawRequestMessage, int]] = {}
        # Hashes of heads learned once (ints: nothing for the garbage collector).
        self._seen: set[int] = set()

    def __len__(self) -> int:
        return len(self._heads)

    def events(self, data: bytes) -> list[RequestEvent] | None:
        """The events of ``data`` if it is exactly one known request, else None."""
        if not self.listening:
            self._resting -= 1
            if self._resting <= 0:
                self.listening = True
                self._new_in_row = 0
            return None
        heads = self._heads
        if len(data) <= MAX_HEAD_BYTES:
            # The common case, a request without a body: data is the head itself.
            known = heads.get(data)
            if known is not None:
                self._new_in_row = 0
                return [known[0], _END] if not known[1] else None
            if data.endswith(_HEAD_END):
                return None  # a head never seen (or a body ending so: the parser decides)
        end = data.find(_HEAD_END, 0, MAX_HEAD_BYTES) + 4
        if end < 4:
            return None
        known = heads.get(data[:end])
        if known is None or not known[1] or len(data) - end != known[1]:
            return None
        self._new_in_row = 0
        return [known[0], data[end:], _END]

    def learn(self, data: bytes, events: list[RequestEvent]) -> None:
        """Remember ``data`` if the parser, at rest before it, made ``events`` of it:
        one whole request that may be kept (see the module doc).

        A head is kept the second time it is learned: the first time only its bytes
        are noted. Traffic that never repeats a head (distinct targets, cookies) then
        leaves no parsed objects behind for the garbage collector to walk.
        """
        count = len(events)
        if count == 2:
            # No body: data is the head (its hash is cached by events() already).
            if len(data) > MAX_HEAD_BYTES:
                return
            head = data
            length = 0
        elif count == 3:
            body = events[1]
            if type(body) is not bytes:
                return
            length = len(body)
            end = data.find(_HEAD_END, 0, MAX_HEAD_BYTES) + 4
            if end < 4 or len(data) - end != length:
                return
            head = data[:end]
        else:
            return
        # The cheapest test first: most heads that are never seen twice stop here.
        # Only hashes are noted (no bytes of a head that may carry a secret); a
        # collision merely lets a head be kept at its first sighting.
        seen = self._seen
        key = hash(head)
        if key not in seen:
            if len(seen) >= MAX_HEADS:
                seen.clear()
            seen.add(key)
            self._new_in_row += 1
            if self._new_in_row >= NEW_IN_A_ROW:
                self.listening = False
                self._resting = REST_FOR
            return
        self._new_in_row = 0
        message = events[0]
        if (
            type(message) is not RawRequestMessage
            or events[-1] is not _END
            or message.version is not HttpVersion11
            or message.should_close
            or message.upgrade
            or message.chunked
            or message.compression is not None
            or message.path[:1] != "/"
        ):
            return
        headers = message.headers
        if any(name in headers for name in _NEVER_KEPT):
            return
        heads = self._heads
        if len(heads) >= MAX_HEADS:
            heads.clear()
        heads[head] = (message, length)
