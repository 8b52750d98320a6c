"""Serialisation of HTTP/1.1 start lines, header sections and chunks.

Everything written is checked so that data coming from users can never inject a
line break: a header name must be a token (RFC 9110 §5.1), a header value or reason
phrase must not contain CR, LF, NUL or other control characters except HTAB, and a
request target must not contain whitespace or control characters. Violations raise
``ValueError``.

Text is encoded as UTF-8 with ``surrogateescape``: ASCII stays ASCII, non-ASCII
values are sent as UTF-8 (what browsers and aiohttp do), and bytes the parser
decoded from a peer (obs-text, decoded with the same error handler) are written
back unchanged, so a parsed header section re-serialises byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Final, TypeAlias

from .reasons import reason_phrase

__all__ = (
    "HeadersLike",
    "serialize_chunk",
    "serialize_headers",
    "serialize_last_chunk",
    "serialize_request_head",
    "serialize_response_head",
)

HeadersLike: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]

_TOKEN: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
# Names are checked all at once: joined with "\n", the whole string must be tokens.
_NAMES: Final = re.compile(rf"{_TOKEN}(?:\n{_TOKEN})*")
_METHOD: Final = re.compile(_TOKEN)
_BAD_VALUE: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_TARGET: Final = re.compile(r"[\x00-\x20\x7f]")
_CRLF: Final = "\r\n"


def _items(headers: HeadersLike | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)


def _fields(headers: HeadersLike | None) -> str:
    """Header lines, each ending with CRLF, after validation."""
    items = _items(headers)
    if not items:
        return ""
    names = "\n".join([k for k, _ in items])
    # A name containing the "\n" separator would pass as two tokens: count them too.
    if _NAMES.fullmatch(names) is None or names.count("\n") != len(items) - 1:
        bad = next(k for k, _ in items if _METHOD.fullmatch(k) is None)
        raise ValueError(f"Invalid header name: {bad!r}")
    values = "".join([v for _, v in items])
    if _BAD_VALUE.search(values) is not None:
        bad = next(v for _, v in items if _BAD_VALUE.search(v) is not None)
        raise ValueError(f"Invalid character in header value: {bad!r}")
    return "".join([f"{k}: {v}\r\n" for k, v in items])


def serialize_headers(headers: HeadersLike | None) -> bytes:
    """Serialise header fields (without the final empty line)."""
    return _fields(headers).encode("utf-8", "surrogateescape")


def _version(version: tuple[int, int]) -> str:
    major, minor = version
    return f"HTTP/{int(major)}.{int(minor)}"


def serialize_request_head(
    method: str, target: str, version: tuple[int, int], headers: HeadersLike | None
) -> bytes:
    """Serialise a request line and header section, ending with the empty line."""
    if _METHOD.fullmatch(method) is None:
        raise ValueError(f"Invalid method: {method!r}")
    if not target or _BAD_TARGET.search(target) is not None:
        raise ValueError(f"Invalid request target: {target!r}")
    head = f"{method} {target} {_version(version)}\r\n{_fields(headers)}\r\n"
    return head.encode("utf-8", "surrogateescape")


def serialize_response_head(
    version: tuple[int, int],
    status: int,
    reason: str | None,
    headers: HeadersLike | None,
) -> bytes:
    """Serialise a status line and header section, ending with the empty line.

    ``reason=None`` uses the standard phrase for ``status``.
    """
    status = int(status)
    if not 100 <= status <= 999:
        raise ValueError(f"Invalid status code: {status}")
    if reason is None:
        reason = reason_phrase(status)
    elif _BAD_VALUE.search(reason) is not None:
        raise ValueError(f"Invalid character in reason phrase: {reason!r}")
    head = f"{_version(version)} {status} {reason}\r\n{_fields(headers)}\r\n"
    return head.encode("utf-8", "surrogateescape")


def serialize_chunk(data: bytes) -> bytes:
    """Frame ``data`` as one chunk; empty data gives ``b""`` (it would end the body)."""
    if not data:
        return b""
    return b"%x\r\n%b\r\n" % (len(data), data)


def serialize_last_chunk(trailers: HeadersLike | None = None) -> bytes:
    """The last chunk, optional trailer fields and the final empty line."""
    if trailers is None:
        return b"0\r\n\r\n"
    return f"0\r\n{_fields(trailers)}\r\n".encode("utf-8", "surrogateescape")
