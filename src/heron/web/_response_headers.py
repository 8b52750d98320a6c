"""Typed views of a server response's content headers, and the Date/Server lines.

Content-Length, Content-Type (with its charset), Last-Modified and ETag as properties;
each setter refuses a prepared response and values that would break the header (CR,
LF, or ``;`` where a parameter cannot start). The ``Date`` and ``Server`` lines every
response gets are formatted here, at most once per second.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict

from .. import hdrs
from .._version import __version__
from ..helpers import ETag, format_etag, format_http_date, parse_etag, parse_http_date

__all__ = ()

_CRLF: Final = ("\r", "\n")


def _server_software() -> str:
    # The version comes from heron itself: importlib.metadata costs ~7 ms at import.
    return f"Python/{sys.version_info[0]}.{sys.version_info[1]} heron/{__version__}"


SERVER_SOFTWARE: Final = _server_software()

# -- the Date header, computed at most once per second ---------------------------------

_date_second = 0
_date_value = ""
_date_server_line = ""


def _http_date() -> str:
    """Return the current time as an IMF-fixdate, formatted once per second."""
    global _date_second, _date_value, _date_server_line
    now = int(time.time())
    if now != _date_second:
        _date_second = now
        _date_value = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now))
        _date_server_line = f"Date: {_date_value}\r\nServer: {SERVER_SOFTWARE}\r\n"
    return _date_value


def _date_and_server() -> str:
    """The ``Date`` and ``Server`` header lines, built once per second."""
    if int(time.time()) != _date_second:
        _http_date()
    return _date_server_line


def _parse_lines(lines: str) -> list[tuple[str, str]]:
    """Split header lines this module built (``Name: value\\r\\n`` each) into pairs."""
    pairs = []
    for line in lines.split("\r\n"):
        if line:
            name, _, value = line.partition(": ")
            pairs.append((name, value))
    return pairs


class _FrozenHeaders(CIMultiDict[str]):
    """The headers of a prepared response: reading works, changing raises RuntimeError."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Cannot change the headers of a response after prepare()")

    __setitem__ = __delitem__ = add = extend = update = _refuse
    setdefault = pop = popone = popall = popitem = clear = _refuse


class ContentHeadersMixin:
    """The content-header part of :class:`~heron.web.StreamResponse`."""

    _headers: CIMultiDict[str]
    _chunked: bool

    if TYPE_CHECKING:

        def _check_not_prepared(self) -> None: ...

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, or None."""
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        return int(value) if value is not None else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        self._check_not_prepared()
        if value is None:
            self._headers.pop(hdrs.CONTENT_LENGTH, None)
            return
        value = int(value)
        if value < 0:
            raise ValueError("Content-Length cannot be negative")
        if self._chunked:
            raise RuntimeError("You can't set a content length when chunked encoding is enabled")
        self._headers[hdrs.CONTENT_LENGTH] = str(value)

    @property
    def content_type(self) -> str:
        """The media type of Content-Type (``application/octet-stream`` when unset)."""
        raw = self._headers.get(hdrs.CONTENT_TYPE)
        if raw is None:
            return "application/octet-stream"
        return raw.partition(";")[0].strip().lower()

    @content_type.setter
    def content_type(self, value: str) -> None:
        self._check_not_prepared()
        value = str(value)
        if any(c in value for c in _CRLF) or ";" in value:
            raise ValueError(f"Invalid content type {value!r}")
        self._set_content_type(value, self.charset)

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, or None."""
        raw = self._headers.get(hdrs.CONTENT_TYPE)
        if raw is None:
            return None
        for param in raw.split(";")[1:]:
            key, _, val = param.partition("=")
            if key.strip().lower() == "charset":
                return val.strip().strip('"').lower()
        return None

    @charset.setter
    def charset(self, value: str | None) -> None:
        self._check_not_prepared()
        ctype = self.content_type
        if ctype == "application/octet-stream" and value is not None:
            raise RuntimeError(
                "Setting a charset for application/octet-stream makes no sense; "
                "set content_type first"
            )
        if value is not None and (any(c in value for c in _CRLF) or ";" in value):
            raise ValueError(f"Invalid charset {value!r}")
        self._set_content_type(ctype, None if value is None else value.lower())

    def _set_content_type(self, ctype: str, charset: str | None) -> None:
        value = ctype if charset is None else f"{ctype}; charset={charset}"
        self._headers[hdrs.CONTENT_TYPE] = value

    @property
    def last_modified(self) -> datetime | None:
        """The Last-Modified header as an aware datetime, or None."""
        return parse_http_date(self._headers.get(hdrs.LAST_MODIFIED))

    @last_modified.setter
    def last_modified(self, value: datetime | float | str | None) -> None:
        self._check_not_prepared()
        if value is None:
            self._headers.pop(hdrs.LAST_MODIFIED, None)
        elif isinstance(value, (int, float, datetime)):
            self._headers[hdrs.LAST_MODIFIED] = format_http_date(value)
        elif isinstance(value, str):
            if any(c in value for c in _CRLF):
                raise ValueError("Last-Modified cannot contain CR or LF")
            self._headers[hdrs.LAST_MODIFIED] = value
        else:
            raise TypeError(f"Unsupported type for last_modified: {type(value).__name__}")

    @property
    def etag(self) -> ETag | None:
        """The ETag header as an :class:`~heron.helpers.ETag`, or None."""
        return parse_etag(self._headers.get(hdrs.ETAG))

    @etag.setter
    def etag(self, value: ETag | str | None) -> None:
        self._check_not_prepared()
        if value is None:
            self._headers.pop(hdrs.ETAG, None)
            return
        etag = ETag(value) if isinstance(value, str) else value
        self._headers[hdrs.ETAG] = format_etag(etag)  # ValueError for a bad tag
