"""Content-Disposition parsing and building (RFC 6266, RFC 5987/8187, RFC 7578).

Parsing is strict about structure and forgiving about nothing else: a malformed header
or parameter emits a :class:`BadContentDispositionHeader` or
:class:`BadContentDispositionParam` warning and yields ``(None, {})``, so a caller never
acts on half-understood metadata. Building refuses CR, LF and NUL anywhere, so user data
can never split a header.
"""

from __future__ import annotations

import codecs
import warnings
from collections.abc import Mapping
from urllib.parse import quote, unquote

__all__ = (
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "content_disposition_filename",
    "content_disposition_header",
    "parse_content_disposition",
)

# RFC 9110 tchar.
_TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
_FORBIDDEN = frozenset("\r\n\x00")


class BadContentDispositionHeader(RuntimeWarning):
    """The Content-Disposition header as a whole could not be parsed."""


class BadContentDispositionParam(RuntimeWarning):
    """A Content-Disposition parameter could not be parsed."""


def _is_token(value: str) -> bool:
    return bool(value) and all(ch in _TOKEN_CHARS for ch in value)


class _Malformed(Exception):
    """Internal: carries the warning to emit when parsing gives up."""

    def __init__(self, warning: RuntimeWarning) -> None:
        super().__init__(str(warning))
        self.warning = warning


def _read_quoted(header: str, pos: int) -> tuple[str, int]:
    """Read a quoted-string starting at the opening quote; return (value, next pos)."""
    out: list[str] = []
    i = pos + 1
    end = len(header)
    while i < end:
        ch = header[i]
        if ch == "\\" and i + 1 < end:
            out.append(header[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise _Malformed(BadContentDispositionHeader(header))


def _decode_ext_value(value: str) -> str:
    """Decode an RFC 8187 ext-value ``charset'lang'pct-encoded``."""
    parts = value.split("'", 2)
    if len(parts) != 3 or not parts[0]:
        raise ValueError(value)
    charset = codecs.lookup(parts[0]).name
    # Only the characters RFC 8187 allows in attr-char, plus percent escapes.
    if not all(ch in _TOKEN_CHARS and ch not in "*'" for ch in parts[2]):
        raise ValueError(value)
    return unquote(parts[2], encoding=charset, errors="strict")


def _read_param(header: str, pos: int, params: dict[str, str]) -> int:
    """Parse one ``key=value`` at ``pos`` into ``params``; return the next position."""
    end = len(header)
    eq = header.find("=", pos)
    semi = header.find(";", pos)
    if eq == -1 or (semi != -1 and semi < eq):
        raise _Malformed(BadContentDispositionParam(header[pos : semi if semi != -1 else end]))
    key = header[pos:eq].strip().lower()
    if not _is_token(key):
        raise _Malformed(BadContentDispositionParam(key))
    i = eq + 1
    while i < end and header[i] in " \t":
        i += 1
    if i < end and header[i] == '"':
        if key.endswith("*"):
            raise _Malformed(BadContentDispositionParam(key))
        value, i = _read_quoted(header, i)
    else:
        stop = header.find(";", i)
        stop = end if stop == -1 else stop
        value = header[i:stop].strip()
        i = stop
        if not _is_token(value):
            raise _Malformed(BadContentDispositionParam(f"{key}={value}"))
        if key.endswith("*") and not key[:-1].rstrip("0123456789").endswith("*"):
            try:
                value = _decode_ext_value(value)
            except (ValueError, LookupError):
                raise _Malformed(BadContentDispositionParam(f"{key}={value}")) from None
    if key in params:
        raise _Malformed(BadContentDispositionHeader(header))
    params[key] = value
    return i


def _parse(header: str) -> tuple[str, dict[str, str]]:
    semi = header.find(";")
    disptype = (header if semi == -1 else header[:semi]).strip()
    if not _is_token(disptype):
        raise _Malformed(BadContentDispositionHeader(header))
    params: dict[str, str] = {}
    pos = len(header) if semi == -1 else semi + 1
    end = len(header)
    while pos < end:
        while pos < end and header[pos] in " \t;":
            pos += 1
        if pos >= end:
            break
        pos = _read_param(header, pos, params)
        while pos < end and header[pos] in " \t":
            pos += 1
        if pos < end and header[pos] != ";":
            raise _Malformed(BadContentDispositionHeader(header))
    return disptype.lower(), params


def parse_content_disposition(header: str | None) -> tuple[str | None, dict[str, str]]:
    """Parse a Content-Disposition header into ``(disposition type, params)``.

    The type and parameter names are lower-cased. ``name*``/``filename*`` ext-values
    are decoded with their declared charset and kept under their starred key; RFC 2231
    continuations (``filename*0``, ``filename*1*``) are kept raw for
    :func:`content_disposition_filename` to join. A malformed header warns
    (:class:`BadContentDispositionHeader` or :class:`BadContentDispositionParam`) and
    returns ``(None, {})``.
    """
    if not header:
        return None, {}
    try:
        return _parse(header)
    except _Malformed as exc:
        warnings.warn(exc.warning, stacklevel=2)
        return None, {}


def _join_continuations(params: Mapping[str, str], name: str) -> str | None:
    """Join RFC 2231 ``name*0``, ``name*1*``, ... sections, decoding starred ones."""
    pieces: list[str] = []
    charset: str | None = None
    index = 0
    while True:
        plain = f"{name}*{index}"
        starred = plain + "*"
        if starred in params:
            raw = params[starred]
            if index == 0:
                charset, _, rest = raw.partition("'")
                _, _, raw = rest.partition("'")
            try:
                pieces.append(unquote(raw, encoding=charset or "utf-8", errors="strict"))
            except (UnicodeDecodeError, LookupError):
                return None
        elif plain in params:
            pieces.append(params[plain])
        else:
            break
        index += 1
    return "".join(pieces) if pieces else None


def content_disposition_filename(params: Mapping[str, str], name: str = "filename") -> str | None:
    """Pick the value of parameter ``name`` from parsed Content-Disposition ``params``.

    Prefers the RFC 5987 ``filename*`` form, then plain ``filename``, then RFC 2231
    continuations. Returns None when the parameter is absent.
    """
    name = name.lower()
    if not params:
        return None
    extended = params.get(name + "*")
    if extended is not None:
        return extended
    plain = params.get(name)
    if plain is not None:
        return plain
    return _join_continuations(params, name)


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _format_param(key: str, value: str, disptype: str, quote_fields: bool, charset: str) -> str:
    if not quote_fields:
        return f"{key}={_quoted(value)}"
    if disptype == "form-data" or value.isascii():
        # RFC 7578 section 4.2: form-data sends names and filenames as quoted-strings in
        # the form's charset, which is what every form parser (and browser) expects;
        # ext-values are for other dispositions.
        return f"{key}={_quoted(value)}"
    encoded = quote(value, safe="", encoding=charset)
    return f"{key}*={charset}''{encoded}"


def content_disposition_header(
    disptype: str,
    quote_fields: bool = True,
    _charset: str = "utf-8",
    params: Mapping[str, str] | None = None,
    **kwparams: str,
) -> str:
    """Build a Content-Disposition header value.

    ``disptype`` is ``inline``, ``attachment``, ``form-data`` or another token.
    Parameters come from ``params`` and/or keyword arguments; values are always
    quoted. With ``quote_fields`` (the default), a non-ASCII value outside
    ``form-data`` is written as an RFC 5987 ext-value (``filename*=utf-8''...``).
    Raises ValueError for a non-token type or key and for CR, LF or NUL in a value.
    """
    if not _is_token(disptype):
        raise ValueError(f"bad content disposition type {disptype!r}")
    merged: dict[str, str] = dict(params or {})
    merged.update(kwparams)
    pieces = [disptype]
    lowered = disptype.lower()
    for key, value in merged.items():
        if not _is_token(key):
            raise ValueError(f"bad content disposition parameter {key!r}={value!r}")
        if not isinstance(value, str):
            raise TypeError(f"content disposition parameter {key!r} must be str")
        if _FORBIDDEN.intersection(value):
            raise ValueError(f"CR, LF or NUL in content disposition parameter {key!r}")
        pieces.append(_format_param(key, value, lowered, quote_fields, _charset))
    return "; ".join(pieces)
