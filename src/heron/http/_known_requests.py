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

A head that is fit but for its secret is handed back by :meth:`KnownRequests.learn`
as a :data:`PrivateRequest`: the connection that sent it keeps that one entry for
itself (browsers and API clients repeat their cookies and tokens on a connection),
and :func:`private_events` answers its repeats. The secret then lives exactly as
long as the connection does.
"""

from __future__ import annotations

import re
from typing import Final, TypeGuard

from ._parser_base import _END
from .models import HttpVersion11, RawRequestMessage
from .parser import SECRET_FIELD_NAMES, RequestEvent

__all__ = ("KnownRequests", "PrivateRequest", "private_events")

_HEAD_END: Final = b"\r\n\r\n"
# The largest head kept, and the most heads kept per table.
MAX_HEAD_BYTES: Final = 2048
MAX_HEADS: Final = 256
# Traffic that never repeats a head (distinct targets, say) would pay for looking and
# learning on every request for nothing: after this many new heads in a row without a
# repeat, the table rests (answers None, learns nothing) for this many reads.
NEW_IN_A_ROW: Final = 64
REST_FOR: Final = 1024
# Fields whose values must not outlive the connection that sent them, found in the
# head bytes (every field line follows a CRLF; llhttp allows no space before the
# colon). Codings need no check: a chunked or compressed body shows in the head event.
_SECRET: Final = re.compile(
    rb"\r\n(?:%b):" % b"|".join(re.escape(name.encode()) for name in SECRET_FIELD_NAMES),
    re.IGNORECASE,
)

# A whole request a connection keeps for itself: head bytes, head event, body length.
PrivateRequest = tuple[bytes, RawRequestMessage, int]


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

    def learn(self, data: bytes, events: list[RequestEvent]) -> PrivateRequest | None:
        """Remember ``data`` if the parser, at rest before it, made ``events`` of it:
        one whole request that may be kept (see the module doc).

        A head is kept the second time it is learned: the first time only its bytes
        are noted. Traffic that never repeats a head (distinct targets) then leaves
        no parsed objects behind for the garbage collector to walk. A fit head with
        credentials or cookies is returned instead, for its connection to keep.
        """
        count = len(events)
        if count == 2:
            # No body: data is the head (its hash is cached by events() already).
            if len(data) > MAX_HEAD_BYTES:
                return None
            head = data
            length = 0
        elif count == 3:
            body = events[1]
            if type(body) is not bytes:
                return None
            length = len(body)
            end = data.find(_HEAD_END, 0, MAX_HEAD_BYTES) + 4
            if end < 4 or len(data) - end != length:
                return None
            head = data[:end]
        else:
            return None
        if _SECRET.search(head) is not None:
            # Never kept here (nor its hash noted); if fit, it is the connection's to
            # keep. It counts as a new head: a connection repeating it hits its own
            # entry before this table is asked again.
            self._note_new()
            message = events[0]
            return (head, message, length) if _fit(message, events) else None
        # The cheapest test first: most heads that are never seen twice stop here.
        # Only hashes are noted (no bytes of a head that may carry a secret); a
        # collision merely lets a head be kept at its first sighting.
        seen = self._seen
        key = hash(head)
        if key not in seen:
            if len(seen) >= MAX_HEADS:
                seen.clear()
            seen.add(key)
            self._note_new()
            return None
        self._new_in_row = 0
        message = events[0]
        if not _fit(message, events):
            return None
        heads = self._heads
        if len(heads) >= MAX_HEADS:
            heads.clear()
        heads[head] = (message, length)
        return None

    def _note_new(self) -> None:
        """One more head that was not a repeat: rest after too many in a row."""
        self._new_in_row += 1
        if self._new_in_row >= NEW_IN_A_ROW:
            self.listening = False
            self._resting = REST_FOR


def _fit(message: RequestEvent, events: list[RequestEvent]) -> TypeGuard[RawRequestMessage]:
    """Whether a parsed request carries no per-connection state (see the module doc)."""
    return (
        type(message) is RawRequestMessage
        and events[-1] is _END
        and message.version is HttpVersion11
        and not message.should_close
        and not message.upgrade
        and not message.chunked
        and message.compression is None
        and message.path[:1] == "/"
    )


def private_events(entry: PrivateRequest, data: bytes) -> list[RequestEvent] | None:
    """The events of ``data`` if it is exactly the request ``entry`` was learned from
    (its head, with a complete body of the same length), else None."""
    head, message, length = entry
    if not length:
        return [message, _END] if data == head else None
    if len(data) - len(head) != length or not data.startswith(head):
        return None
    return [message, data[len(head) :], _END]
