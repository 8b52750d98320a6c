"""Loggers of the server and the access log.

The logger names are aiohttp's (``aiohttp.access``, ``aiohttp.server``, ``aiohttp.web``)
so that existing logging configuration keeps working after ``import heron as aiohttp``.

An :class:`AccessLogger` compiles its Apache-like format once into a list of small
functions. The server asks :attr:`AbstractAccessLogger.enabled` before doing any work
for a request, so a disabled access log costs nothing per request.

Format letters: ``%%`` percent sign, ``%a`` remote address, ``%t`` time the request
started, ``%P`` process id, ``%r`` request line, ``%s`` status, ``%b`` body bytes sent,
``%O`` bytes sent including headers, ``%T`` seconds taken (integer), ``%Tf`` seconds
taken (float), ``%D`` microseconds taken, ``%{FOO}i`` request header, ``%{FOO}o``
response header, ``%{FOO}e`` environment variable, ``%l`` and ``%u`` (identd and user
names; always ``-``).
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:
    from .request import BaseRequest
    from .response import StreamResponse

__all__ = (
    "AbstractAccessLogger",
    "AccessLogger",
    "access_logger",
    "server_logger",
    "web_logger",
)

access_logger: Final = logging.getLogger("aiohttp.access")
server_logger: Final = logging.getLogger("aiohttp.server")
web_logger: Final = logging.getLogger("aiohttp.web")


class AbstractAccessLogger(ABC):
    """Base of access loggers: subclass it and implement :meth:`log`.

    The server creates one instance per connection handler with the ``access_log``
    logger and ``access_log_format`` given to it, and calls ``log(request, response,
    time)`` after each response, where ``time`` is the seconds the request took.
    """

    __slots__ = ("log_format", "logger")

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        self.logger = logger
        self.log_format = log_format

    @abstractmethod
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Emit one access-log record."""

    @property
    def enabled(self) -> bool:
        """Whether records would be emitted; the server skips all work when False."""
        return self.logger.isEnabledFor(logging.INFO)


_Atom = Callable[["BaseRequest", "StreamResponse", float], str]

_TOKEN: Final = re.compile(r"%(\{([A-Za-z0-9\-_]+)\}([ioe])|Tf|[atPrsbOTDlu%])")


def _remote(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return request.remote or "-"


def _start_time(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    now = datetime.datetime.now(datetime.UTC).astimezone()
    start = now - datetime.timedelta(seconds=elapsed)
    return start.strftime("[%d/%b/%Y:%H:%M:%S %z]")


def _pid(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return str(os.getpid())


def _request_line(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    version = request.version
    return f"{request.method} {request.path_qs} HTTP/{version[0]}.{version[1]}"


def _status(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return str(response.status)


def _body_bytes(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return str(response.body_length)


def _output_bytes(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return str(response.output_length)


def _seconds(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return str(round(elapsed))


def _seconds_float(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return f"{elapsed:.6f}"


def _microseconds(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return str(round(elapsed * 1_000_000))


def _dash(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
    return "-"


def _literal(text: str) -> _Atom:
    def atom(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
        return text

    return atom


def _request_header(name: str) -> _Atom:
    def atom(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
        return request.headers.get(name, "-")

    return atom


def _response_header(name: str) -> _Atom:
    def atom(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
        return response.headers.get(name, "-")

    return atom


def _environ(name: str) -> _Atom:
    def atom(request: BaseRequest, response: StreamResponse, elapsed: float) -> str:
        return os.environ.get(name, "-")

    return atom


_SIMPLE: Final[dict[str, _Atom]] = {
    "a": _remote,
    "t": _start_time,
    "P": _pid,
    "r": _request_line,
    "s": _status,
    "b": _body_bytes,
    "O": _output_bytes,
    "T": _seconds,
    "Tf": _seconds_float,
    "D": _microseconds,
    "l": _dash,
    "u": _dash,
    "%": _literal("%"),
}

_KEYED: Final[dict[str, Callable[[str], _Atom]]] = {
    "i": _request_header,
    "o": _response_header,
    "e": _environ,
}


def _compile(log_format: str) -> tuple[_Atom | str, ...]:
    """Split a format into literal strings and atoms; unknown ``%x`` stay literal."""
    parts: list[_Atom | str] = []
    pos = 0
    for match in _TOKEN.finditer(log_format):
        if match.start() > pos:
            parts.append(log_format[pos : match.start()])
        if match.group(2) is not None:
            parts.append(_KEYED[match.group(3)](match.group(2)))
        else:
            parts.append(_SIMPLE[match.group(1)])
        pos = match.end()
    if pos < len(log_format):
        parts.append(log_format[pos:])
    # Merge neighbouring literals so formatting does the least work.
    merged: list[_Atom | str] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return tuple(merged)


class AccessLogger(AbstractAccessLogger):
    """The default access logger: Apache-like lines built from ``log_format``.

    The default format is ``%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"``.
    """

    __slots__ = ("_parts",)

    LOG_FORMAT: ClassVar[str] = '%a %t "%r" %s %b "%{Referer}i" "%{User-Agent}i"'
    _compiled: ClassVar[dict[str, tuple[_Atom | str, ...]]] = {}

    def __init__(self, logger: logging.Logger, log_format: str = LOG_FORMAT) -> None:
        super().__init__(logger, log_format)
        parts = self._compiled.get(log_format)
        if parts is None:
            parts = self._compiled[log_format] = _compile(log_format)
        self._parts = parts

    def format(self, request: BaseRequest, response: StreamResponse, time: float) -> str:
        """Return the log line for one request (what :meth:`log` emits)."""
        return "".join(
            part if isinstance(part, str) else part(request, response, time) for part in self._parts
        )

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Format and emit one line at INFO level; never raises into the server."""
        try:
            line = self.format(request, response, time)
            extra: dict[str, Any] = {
                "remote_address": request.remote,
                "request_start_time": _wall_start(time),
                "first_request_line": _request_line(request, response, time),
                "response_status": response.status,
                "response_size": response.body_length,
                "request_time": time,
            }
            self.logger.info(line, extra=extra)
        except Exception:
            self.logger.exception("Error in logging")


def _wall_start(elapsed: float) -> float:
    return time.time() - elapsed
