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

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

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
_METHOD: Final = re.compile(_TOKEN)
_BAD_VALUE: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_BAD_TARGET: Final = re.compile(r"[\x00-\x20\x7f]")
_CRLF: Final = "\r\n"
# Header names already validated (most responses repeat a handful of names).
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_MAX: Final = 1024
_MULTIDICTS: Final = (CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, dict)
# Validated header lines by their (name, value) pairs (bounded; cleared when full).
_BLOCKS: dict[tuple[tuple[str, str], ...], str] = {}
_BLOCKS_MAX: Final = 256
# Status lines by (version, status, reason): a few dozen entries at most.
_STATUS_LINES: dict[tuple[tuple[int, int], int, str | None], str] = {}


def _items(headers: HeadersLike | None) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if type(headers) in _MULTIDICTS:
        return list(headers.items())  # type: ignore[union-attr]  # skip the ABC check
    if isinstance(headers, Mapping):
        return list(headers.items())
    return list(headers)


def _check_names(items: list[tuple[str, str]]) -> None:
    """Refuse names that are not tokens; names seen before are known to be good."""
    known = _GOOD_NAMES
    for name, _ in items:
        if name not in known:
            if _METHOD.fullmatch(name) is None:
                raise ValueError(f"Invalid header name: {name!r}")
            if len(known) < _GOOD_NAMES_MAX:
                known.add(name)


def _fields(headers: HeadersLike | None) -> str:
    """Header lines, each ending with CRLF, after validation.

    The lines of recently seen header sets are cached by their ``(name, value)``
    pairs: most responses of an application repeat a few such sets.
    """
    items = _items(headers)
    if not items:
        return ""
    key = tuple(items)
    try:
        lines = _BLOCKS.get(key)
    except TypeError:  # an unhashable value: not cacheable (and invalid anyway)
        return _build_fields(items)
    if lines is None:
        lines = _build_fields(items)
        if len(_BLOCKS) >= _BLOCKS_MAX:
            _BLOCKS.clear()
        _BLOCKS[key] = lines
    return lines


def _build_fields(items: list[tuple[str, str]]) -> str:
    _check_names(items)
    values = "".join([v for _, v in items])
    # isprintable() is false for every control character (and for HTAB and a few
    # non-ASCII characters, which the exact check below then lets through).
    if not values.isprintable() and _BAD_VALUE.search(values) is not None:
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
    trusted: str = "",
) -> bytes:
    """Serialise a status line and header section, ending with the empty line.

    ``reason=None`` uses the standard phrase for ``status``. ``trusted`` holds
    complete header lines (each ending with CRLF) appended without validation:
    only for fields the caller built itself (a formatted date, a number, a
    constant), never for data from users.
    """
    key = (version, status, reason)
    line = _STATUS_LINES.get(key)
    if line is None:
        line = _status_line(version, status, reason)
        if reason is None or reason == reason_phrase(status):
            _STATUS_LINES[key] = line  # bounded: standard phrases only
    head = f"{line}{_fields(headers)}{trusted}\r\n"
    return head.encode("utf-8", "surrogateescape")


def _status_line(version: tuple[int, int], status: int, reason: str | None) -> str:
    status = int(status)
    if not 100 <= status <= 999:
        raise ValueError(f"Invalid status code: {status}")
    if reason is None:
        reason = reason_phrase(status)
    elif _BAD_VALUE.search(reason) is not None:
        raise ValueError(f"Invalid character in reason phrase: {reason!r}")
    return f"{_version(version)} {status} {reason}\r\n"


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
