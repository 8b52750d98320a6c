"""Parsers of request header values: Content-Type, Cookie and Forwarded (RFC 7239).

Pure functions of the header text, kept apart from :mod:`heron.web.request` so the
request class reads as its API. Each is lenient where browsers and proxies are: one
malformed element never hides the well-formed ones around it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http.cookies import _unquote as _unquote_cookie
from types import MappingProxyType
from typing import Final

__all__ = ("parse_content_type", "parse_cookie_header", "parse_forwarded")

# RFC 7239 §4 and RFC 9110 §5.6: tokens and quoted strings of the Forwarded header.
_TCHAR: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z-]"
_TOKEN: Final = rf"{_TCHAR}+"
_QDTEXT: Final = r"[\t !#-\[\]-~\x80-\xff]"
_QUOTED_PAIR: Final = r"\\[\t !-~\x80-\xff]"
_QUOTED_STRING: Final = rf'"(?:{_QDTEXT}|{_QUOTED_PAIR})*"'
_FORWARDED_PAIR: Final = re.compile(
    rf"[ \t]*({_TOKEN})=({_TOKEN}|{_QUOTED_STRING})[ \t]*", re.ASCII
)
_QUOTED_PAIR_RE: Final = re.compile(r"\\([\t !-~\x80-\xff])")


def parse_content_type(raw: str | None) -> tuple[str, dict[str, str]]:
    """Split a Content-Type value into the lower-cased media type and its parameters."""
    if raw is None:
        return "application/octet-stream", {}
    mtype, *params = raw.split(";")
    result: dict[str, str] = {}
    for param in params:
        key, sep, value = param.partition("=")
        if sep:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            result[key.strip().lower()] = value
    return mtype.strip().lower(), result


def parse_cookie_header(raw: str) -> dict[str, str]:
    """Parse a Cookie header leniently: one bad pair never hides the others."""
    cookies: dict[str, str] = {}
    for item in raw.split(";"):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = _unquote_cookie(value)
        cookies.setdefault(name, value)
    return cookies


def parse_forwarded(values: list[str]) -> tuple[Mapping[str, str], ...]:
    """Parse Forwarded header values (RFC 7239) into one mapping per proxy hop.

    Parameter names are lower-cased and quoted values unquoted. A malformed element
    keeps the pairs read before the error and parsing resumes after the next comma,
    so one bad hop does not hide the others.
    """
    elements: list[dict[str, str]] = []
    for field in values:
        pos, length = 0, len(field)
        elem: dict[str, str] = {}
        while pos < length:
            match = _FORWARDED_PAIR.match(field, pos)
            if match is not None:
                name, value = match.group(1).lower(), match.group(2)
                if value[0] == '"':
                    value = _QUOTED_PAIR_RE.sub(r"\1", value[1:-1])
                elem.setdefault(name, value)
                pos = match.end()
                if pos == length:
                    break
            char = field[pos]
            if char == ";":
                pos += 1
            elif char == ",":
                elements.append(elem)
                elem = {}
                pos += 1
            elif char in " \t" and match is None:
                pos += 1
            else:
                pos = _skip_element(field, pos)
                elements.append(elem)
                elem = {}
        elements.append(elem)
    return tuple(MappingProxyType(e) for e in elements if e)


def _skip_element(field: str, pos: int) -> int:
    quoted = False
    while pos < len(field):
        char = field[pos]
        if char == "\\" and quoted:
            pos += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            return pos + 1
        pos += 1
    return pos
