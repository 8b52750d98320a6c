"""A short path for the most common response: a small head and its whole body in one read.

:class:`~heron.http.parser.HttpResponseParser` asks :func:`parse_whole` first when a
read starts a new response; llhttp (``httptools``) is only driven when the answer is
None. Driving llhttp costs about a dozen Python callbacks per response; a response
that one regular expression fully validates needs none of them.

The short path accepts a strict *subset* of what llhttp accepts and gives exactly the
head the callbacks would have built. Anything it is not sure about returns None and
goes to llhttp, which then decides (and rejects what is malformed), so the parser is
exactly as strict as before:

* status line ``HTTP/1.0`` or ``HTTP/1.1``, a status from 200 to 599 other than 204
  and 304, a reason of printable ASCII and spaces;
* header names that are tokens, values of printable ASCII, spaces and tabs (no
  obs-text, so decoding cannot differ), no whitespace before a colon, CRLF only;
* exactly one ``Content-Length`` of ASCII digits, and the whole body in ``data``
  with nothing after it; no ``Transfer-Encoding``, ``Content-Encoding``,
  ``Upgrade`` or ``Proxy-Connection``; at most one ``Connection``, whose value is
  ``close`` or ``keep-alive``;
* a head no longer than the smaller of the line and field limits (so no field or
  reason can exceed them) and no more fields than allowed.

What a head taught is remembered by its exact bytes (a bounded table): a server
repeats the same head, and identical bytes can only parse the same way, so a head
seen before costs one dictionary lookup instead of the validation. The limits and
the body length are checked again on every response. The table is shared by the
whole process, so heads that carry one user's secrets (``Set-Cookie``,
``Set-Cookie2``, ``WWW-Authenticate``, ``Proxy-Authenticate``,
``Authentication-Info``) are never kept in it: they take the same short path,
validated each time.
"""

from __future__ import annotations

import re
from typing import Final

from multidict import CIMultiDict, CIMultiDictProxy

from .models import HttpVersion, HttpVersion10, HttpVersion11, RawHeaders, RawResponseMessage

__all__ = ("LazyResponseHead", "parse_whole")

_TOKEN: Final = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# The whole head, validated in one C-level match (CRLF line ends only).
_HEAD: Final = re.compile(
    rb"HTTP/1\.[01] [2-5][0-9][0-9] ([ \x21-\x7e]*)\r\n"
    rb"(?:" + _TOKEN + rb":[\t \x21-\x7e]*\r\n)*\r\n"
)
_OWS: Final = b" \t"
_new_tuple: Final = tuple.__new__
# The fields that decide whether the short path may take a response, found in the
# lowered head without splitting it into fields (the head was validated first, so
# every field starts after a CRLF and no value holds one).
_FRAMING: Final = re.compile(
    rb"\r\n(content-length|connection|set-cookie|transfer-encoding|content-encoding"
    rb"|upgrade|proxy-connection|set-cookie2|www-authenticate|proxy-authenticate"
    rb"|authentication-info):[\t ]*([^\r]*)"
)
# Fields that carry a secret of one user (session cookies, authentication challenges
# and their answers): a head holding one is never kept in the process-wide table,
# where it would outlive the session that received it.
_PRIVATE: Final = frozenset(
    (
        b"set-cookie",
        b"set-cookie2",
        b"www-authenticate",
        b"proxy-authenticate",
        b"authentication-info",
    )
)


class LazyResponseHead:
    """A response head with the attributes of :class:`RawResponseMessage`, whose
    ``headers`` and ``raw_headers`` are only built when first asked for.

    Most answers are read for their status and body alone; building the header
    multidict is then work nobody uses. ``sets_cookie`` tells whether a
    ``Set-Cookie`` field is present without building it. Responses with the same
    head bytes may share one instance (heads kept in the table): treat it as
    immutable.
    """

    __slots__ = (
        "_built",
        "_data",
        "_fields",
        "code",
        "reason",
        "sets_cookie",
        "should_close",
        "version",
    )

    compression: str | None = None
    upgrade: bool = False
    chunked: bool = False

    def __init__(
        self,
        data: bytes,
        fields: tuple[int, int],
        version: HttpVersion,
        code: int,
        reason: str,
        should_close: bool,
        sets_cookie: bool,
    ) -> None:
        self._data = data
        self._fields = fields
        self._built: tuple[CIMultiDictProxy[str], RawHeaders] | None = None
        self.version = version
        self.code = code
        self.reason = reason
        self.should_close = should_close
        self.sets_cookie = sets_cookie

    def _build(self) -> tuple[CIMultiDictProxy[str], RawHeaders]:
        built = self._built
        if built is None:
            start, end = self._fields
            raw = []
            pairs = []
            for line in self._data[start:end].split(b"\r\n"):
                name, _, value = line.partition(b":")
                # llhttp hands values over without their leading whitespace but with
                # the trailing one (raw_headers keep that); decoded values have neither.
                value = value.lstrip(_OWS)
                raw.append((name, value))
                # (plain decode(): ASCII was checked, and naming a codec costs more)
                pairs.append((name.decode(), value.rstrip(_OWS).decode()))
            built = self._built = (CIMultiDictProxy(CIMultiDict(pairs)), tuple(raw))
        return built

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The fields, decoded (case-insensitive multidict)."""
        return self._build()[0]

    @property
    def raw_headers(self) -> RawHeaders:
        """The fields as received: ``(name, value)`` byte pairs."""
        return self._build()[1]

    def message(self) -> RawResponseMessage:
        """The same head as a :class:`RawResponseMessage` (headers built now)."""
        headers, raw = self._build()
        # tuple.__new__: the named tuple's own __new__ is a Python function.
        return _new_tuple(
            RawResponseMessage,
            (
                self.version,
                self.code,
                self.reason,
                headers,
                raw,
                self.should_close,
                None,
                False,
                False,
            ),
        )


# What parse_whole learnt about heads it took, by their exact bytes: servers repeat
# the same head (same status, same fields; a Date changes once a second), and a head
# seen before needs no validating again. (the head, body length, head length, field
# count.) Identical bytes make identical heads, so every response with these bytes
# shares one LazyResponseHead: nothing to build per response, and its headers (a
# read-only proxy and a tuple, so sharing is safe) are built once per head at most.
# Heads with a field of _PRIVATE are never kept (the table outlives every session).
_Known = tuple[LazyResponseHead, int, int, int]
_KNOWN: dict[bytes, _Known] = {}
_KNOWN_MAX: Final = 128
_KNOWN_HEAD_MAX: Final = 2048  # (so the table stays under 256 KiB, plus built headers)


def parse_whole(
    data: bytes, max_head: int, max_headers: int
) -> tuple[LazyResponseHead, bytes] | None:
    """The head and body of ``data`` if it is exactly one plain response, else None.

    ``max_head`` is the smaller of the parser's line and field limits; ``max_headers``
    its field count limit. See the module docstring for what "plain" means.
    """
    # A validated head ends at the first empty line (no reason or value holds a CR).
    end = data.find(b"\r\n\r\n") + 4
    if end < 4:
        return None
    head = data[:end]
    known = _KNOWN.get(head)
    if known is None:
        known = _learn(head)
        if known is None:
            return None
    lazy, length, size, count = known
    if size > max_head or count > max_headers or len(data) != end + length:
        return None  # a limit this parser has, a body still to come or bytes after it
    return lazy, data[end:] if length else b""


def _learn(head: bytes) -> _Known | None:
    """Validate ``head`` (a head up to its empty line) and remember it, or None."""
    match = _HEAD.match(head)
    if match is None or match.end() != len(head):
        return None
    status = int(head[9:12])  # "HTTP/1.x " is 9 bytes, and the regex matched
    if status == 204 or status == 304:
        return None
    length = None
    close = None
    cookies = False
    private = False
    for name, value in _FRAMING.findall(head.lower()):
        if name == b"content-length":
            value = value.rstrip(_OWS)
            # (int() of a huge digit string is slow or refused)
            if length is not None or not value.isdigit() or len(value) > 15:
                return None
            length = int(value)
        elif name == b"connection":
            value = value.rstrip(_OWS)
            if close is not None or (value != b"close" and value != b"keep-alive"):
                return None
            close = value == b"close"
        elif name in _PRIVATE:
            private = True
            cookies = cookies or name == b"set-cookie"
        else:
            # Transfer-Encoding, Content-Encoding, Upgrade, or Proxy-Connection (which
            # llhttp reads as if it were Connection): llhttp's callbacks handle these.
            return None
    if length is None:
        return None  # framed by the connection's end: llhttp's job
    version = HttpVersion11 if head[7] == 0x31 else HttpVersion10  # b"1"
    lazy = LazyResponseHead(
        head,
        (match.end(1) + 2, len(head) - 4),  # the fields, between status line and CRLFCRLF
        version,
        status,
        head[13 : match.end(1)].decode(),  # ASCII: the regex matched
        (version is HttpVersion10) if close is None else close,
        cookies,
    )
    # (the fields: the CRLFs less those of the status line and the empty line)
    known = (lazy, length, len(head), head.count(b"\r\n") - 2)
    if len(head) <= _KNOWN_HEAD_MAX and not private:
        if len(_KNOWN) >= _KNOWN_MAX:
            _KNOWN.clear()
        _KNOWN[head] = known
    return known
