"""Reason phrases for status codes (RFC 9110 §15 plus registered extensions)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Final

__all__ = ("reason_phrase",)

_EXTRA: Final = {
    # Registered or widely used codes that http.HTTPStatus lacks on some Pythons.
    103: "Early Hints",
    418: "I'm a Teapot",
    421: "Misdirected Request",
    425: "Too Early",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    511: "Network Authentication Required",
}

_REASONS: Final[dict[int, str]] = {
    **{int(status): status.phrase for status in HTTPStatus},
    **_EXTRA,
}


def reason_phrase(status: int) -> str:
    """Return the standard reason phrase for ``status``, or ``""`` if it has none.

    >>> reason_phrase(404)
    'Not Found'
    """
    return _REASONS.get(status, "")
