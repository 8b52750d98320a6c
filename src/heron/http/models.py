"""Immutable HTTP/1.x message types produced by the parsers.

These are plain named tuples so that creating one per request costs as little as
possible; field names and order follow aiohttp's public ``RawRequestMessage`` and
``RawResponseMessage``.
"""

from __future__ import annotations

from typing import NamedTuple

from multidict import CIMultiDictProxy
from yarl import URL

__all__ = (
    "EndOfMessage",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RawHeaders",
    "RawRequestMessage",
    "RawResponseMessage",
    "Upgrade",
)


class HttpVersion(NamedTuple):
    """An HTTP protocol version, ``HttpVersion(1, 1)``; compares as a tuple."""

    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)

RawHeaders = tuple[tuple[bytes, bytes], ...]


class RawRequestMessage(NamedTuple):
    """A parsed request head."""

    method: str
    path: str
    version: HttpVersion
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    should_close: bool
    compression: str | None
    upgrade: bool
    chunked: bool
    url: URL


class RawResponseMessage(NamedTuple):
    """A parsed response head."""

    version: HttpVersion
    code: int
    reason: str
    headers: CIMultiDictProxy[str]
    raw_headers: RawHeaders
    should_close: bool
    compression: str | None
    upgrade: bool
    chunked: bool


class EndOfMessage(NamedTuple):
    """Parser event: the body of the current message is complete."""

    trailers: CIMultiDictProxy[str] | None = None


class Upgrade(NamedTuple):
    """Parser event: the connection switches protocol; ``tail`` is what followed the head."""

    tail: bytes
