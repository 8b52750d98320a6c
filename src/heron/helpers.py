"""Small pure helpers shared by client and server.

``BasicAuth``, ``parse_mimetype``/``MimeType``, entity tags (``ETag`` and the
``If-Match``/``If-None-Match`` list parser), HTTP dates, ``reify``, timeouts,
``ChainMapProxy``, ``sentinel``, ``is_ip_address``, token and quoted-string helpers and
the rules for bodies that must stay empty. Content-Disposition lives in
:mod:`heron.contentdisposition`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import calendar
import dataclasses
import enum
import functools
import ipaddress
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Generic, NamedTuple, TypeVar, overload

from multidict import MultiDict, MultiDictProxy
from yarl import URL

__all__ = (
    "ETAG_ANY",
    "BasicAuth",
    "ChainMapProxy",
    "ETag",
    "MimeType",
    "SentinelType",
    "Timeout",
    "call_later",
    "ceil_timeout",
    "format_etag",
    "format_http_date",
    "guess_filename",
    "is_ip_address",
    "is_token",
    "must_be_empty_body",
    "parse_etag",
    "parse_etags",
    "parse_http_date",
    "parse_mimetype",
    "quoted_string",
    "reify",
    "sentinel",
    "should_remove_content_length",
    "validate_etag_value",
)

_T = TypeVar("_T")


class SentinelType(enum.Enum):
    """Type of :data:`sentinel`, for annotations like ``int | SentinelType``."""

    sentinel = enum.auto()

    def __repr__(self) -> str:
        return "sentinel"


#: "Argument not given", where None is a meaningful value.
sentinel: Final = SentinelType.sentinel


# -- tokens and quoted strings (RFC 9110 §5.6) -------------------------------------

_TCHAR: Final = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)
# qdtext and quoted-pair content: HTAB, SP, VCHAR and obs-text; never other controls.
_QUOTABLE_RE: Final = re.compile(r"[\t\x20-\x7e\x80-\xff]*")


def is_token(value: str) -> bool:
    """True if ``value`` is a non-empty RFC 9110 token (method, header name, parameter)."""
    return bool(value) and _TCHAR.issuperset(value)


def quoted_string(value: str) -> str:
    """Return ``value`` as an RFC 9110 quoted-string, quotes included.

    Backslash and double quote are escaped; any control character other than HTAB
    (CR and LF above all) raises :class:`ValueError`, so the result is safe to put in
    a header.
    """
    if not _QUOTABLE_RE.fullmatch(value):
        raise ValueError(f"Cannot quote {value!r}: control or non-latin-1 characters")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _unquote(value: str) -> str:
    """Undo :func:`quoted_string` for a value that starts and ends with a quote."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _split_params(text: str) -> list[str]:
    """Split on ``;`` outside quoted strings."""
    parts: list[str] = []
    start = 0
    in_quotes = False
    escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif char == ";" and not in_quotes:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


# -- BasicAuth -------------------------------------------------------------------------


class _BasicAuthFields(NamedTuple):
    login: str
    password: str
    encoding: str


class BasicAuth(_BasicAuthFields):
    """HTTP Basic credentials (RFC 7617): ``BasicAuth(login, password='', encoding='latin1')``."""

    __slots__ = ()

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in login (RFC 7617 section 2)')
        return super().__new__(cls, login, password, encoding)

    @classmethod
    def decode(cls, auth_header: str, encoding: str = "latin1") -> BasicAuth:
        """Parse an ``Authorization: Basic ...`` header value."""
        try:
            auth_type, encoded = auth_header.strip().split(" ", 1)
        except ValueError:
            raise ValueError("Could not parse authorization header.") from None
        if auth_type.lower() != "basic":
            raise ValueError(f"Unknown authorization method {auth_type}")
        try:
            raw = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            raise ValueError("Invalid base64 encoding.") from None
        try:
            decoded = raw.decode(encoding)
        except UnicodeDecodeError:
            raise ValueError(f"Credentials are not valid {encoding}.") from None
        login, sep, password = decoded.partition(":")
        if not sep:
            raise ValueError("Invalid credentials.")
        return cls(login, password, encoding=encoding)

    @classmethod
    def from_url(cls, url: URL, *, encoding: str = "latin1") -> BasicAuth | None:
        """Credentials from the user info of ``url``, or None if it has none."""
        if not isinstance(url, URL):
            raise TypeError("url should be yarl.URL instance")
        if url.raw_user is None and url.raw_password is None:
            return None
        return cls(url.user or "", url.password or "", encoding=encoding)

    def encode(self) -> str:
        """The ``Authorization`` header value: ``'Basic <base64>'``."""
        creds = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(creds).decode("ascii")


# -- MIME types --------------------------------------------------------------------------


class MimeType(NamedTuple):
    """A parsed media type: ``application/rss+xml; charset=utf-8``."""

    type: str
    subtype: str
    suffix: str
    parameters: MultiDictProxy[str]


@functools.lru_cache(maxsize=64)
def parse_mimetype(mimetype: str) -> MimeType:
    """Parse a media type into ``(type, subtype, suffix, parameters)``.

    Type, subtype and parameter names are lower-cased; parameter values are unquoted.
    ``parse_mimetype('text/html; charset=utf-8') == ('text', 'html', '',
    {'charset': 'utf-8'})``; an empty string gives empty fields.
    """
    params: MultiDict[str] = MultiDict()
    if not mimetype:
        return MimeType("", "", "", MultiDictProxy(params))
    fulltype, *items = _split_params(mimetype)
    for item in items:
        key, _, value = item.partition("=")
        key = key.strip().lower()
        if key:
            params.add(key, _unquote(value.strip()))
    fulltype = fulltype.strip().lower()
    if fulltype == "*":
        fulltype = "*/*"
    mtype, _, stype = fulltype.partition("/")
    stype, _, suffix = stype.partition("+")
    return MimeType(mtype.strip(), stype.strip(), suffix.strip(), MultiDictProxy(params))


def guess_filename(obj: Any, default: str | None = None) -> str | None:
    """The base name of a file object's ``name``, or ``default``."""
    name = getattr(obj, "name", None)
    if name and isinstance(name, str) and not (name[0] == "<" and name[-1] == ">"):
        return Path(name).name
    return default


# -- entity tags (RFC 9110 §8.8.3, §13.1.1-2) ---------------------------------------------

ETAG_ANY: Final = "*"

_ETAGC: Final = r"[\x21\x23-\x7e\x80-\xff]*"
_ETAG_RE: Final = re.compile(rf'(W/)?"({_ETAGC})"')
_ETAGC_RE: Final = re.compile(_ETAGC)


@dataclasses.dataclass(frozen=True, slots=True)
class ETag:
    """An entity tag; ``value`` is the opaque tag without quotes."""

    value: str
    is_weak: bool = False


def validate_etag_value(value: str) -> None:
    """Raise :class:`ValueError` unless ``value`` may appear between an ETag's quotes."""
    if value != ETAG_ANY and not _ETAGC_RE.fullmatch(value):
        raise ValueError(f"Value {value!r} is not a valid etag")


def format_etag(etag: ETag) -> str:
    """The header form of ``etag``: ``"v"``, ``W/"v"`` or ``*``."""
    if etag.value == ETAG_ANY:
        return ETAG_ANY
    validate_etag_value(etag.value)
    return f'W/"{etag.value}"' if etag.is_weak else f'"{etag.value}"'


def parse_etag(header: str | None) -> ETag | None:
    """Parse one ``ETag`` header value; None when absent or malformed."""
    if header is None:
        return None
    header = header.strip()
    if header == ETAG_ANY:
        return ETag(ETAG_ANY)
    match = _ETAG_RE.fullmatch(header)
    if match is None:
        return None
    return ETag(match[2], is_weak=bool(match[1]))


def parse_etags(header: str | None) -> tuple[ETag, ...] | None:
    """Parse an ``If-Match``/``If-None-Match`` value into a tuple of tags.

    None when the header is absent; ``(ETag('*'),)`` for ``*``; malformed members are
    skipped (a lenient reading, as the RFC asks recipients to be).
    """
    if header is None:
        return None
    if header.strip() == ETAG_ANY:
        return (ETag(ETAG_ANY),)
    return tuple(ETag(m[2], is_weak=bool(m[1])) for m in _ETAG_RE.finditer(header))


# -- HTTP dates (RFC 9110 §5.6.7) ---------------------------------------------------------

_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_NAMES: Final = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_MONTHS: Final = {name.lower(): i for i, name in enumerate(_MONTH_NAMES, 1)}
_TIME: Final = r"(\d\d):(\d\d):(\d\d)"
_IMF_FIXDATE_RE: Final = re.compile(
    rf"[a-z]{{3}},\s+(\d\d?)\s+([a-z]{{3}})\s+(\d{{4}})\s+{_TIME}\s+(?:GMT|UTC)", re.I
)
_RFC850_RE: Final = re.compile(
    rf"[a-z]{{6,9}},\s+(\d\d)-([a-z]{{3}})-(\d\d)\s+{_TIME}\s+(?:GMT|UTC)", re.I
)
_ASCTIME_RE: Final = re.compile(rf"[a-z]{{3}}\s+([a-z]{{3}})\s+(\d\d?)\s+{_TIME}\s+(\d{{4}})", re.I)


def _full_year(two_digits: int) -> int:
    # RFC 9110: a two-digit year more than 50 years in the future means the most
    # recent past year with the same last two digits.
    this_year = datetime.now(UTC).year
    year = this_year - this_year % 100 + two_digits
    if year > this_year + 50:
        year -= 100
    return year


def parse_http_date(text: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC :class:`datetime`; None if absent or invalid.

    Accepts the IMF-fixdate form (``Sun, 06 Nov 1994 08:49:37 GMT``) and the obsolete
    RFC 850 and asctime forms.
    """
    if not text:
        return None
    text = text.strip()
    if match := _IMF_FIXDATE_RE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        year_num = int(year)
    elif match := _RFC850_RE.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        year_num = _full_year(int(year))
    elif match := _ASCTIME_RE.fullmatch(text):
        month, day, hour, minute, second, year = match.groups()
        year_num = int(year)
    else:
        return None
    month_num = _MONTHS.get(month.lower())
    if month_num is None:
        return None
    try:
        return datetime(
            year_num,
            month_num,
            int(day),
            int(hour),
            int(minute),
            # A leap second (:60) is folded into the last second of the minute.
            min(int(second), 59),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def format_http_date(value: datetime | float | None = None) -> str:
    """Format a time as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``).

    ``value`` is a timestamp, a datetime (naive ones are taken as UTC) or None for now.
    Day and month names are always English, whatever the locale.
    """
    if value is None:
        value = time.time()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        ts = calendar.timegm(value.timetuple())
    else:
        ts = math.floor(value)
    tm = time.gmtime(ts)
    return (
        f"{_DAY_NAMES[tm.tm_wday]}, {tm.tm_mday:02d} {_MONTH_NAMES[tm.tm_mon - 1]} "
        f"{tm.tm_year:04d} {tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} GMT"
    )


# -- reify ------------------------------------------------------------------------------------


class reify(Generic[_T]):  # lower-case: aiohttp's public name
    """A read-only property computed once per instance and cached in its ``__dict__``.

    Setting it raises :class:`AttributeError`. The class must have a ``__dict__`` (no
    ``__slots__``-only classes). An exception in the getter is not cached.
    """

    def __init__(self, wrapped: Callable[[Any], _T]) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.name = wrapped.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, inst: None, owner: type | None = None) -> reify[_T]: ...

    @overload
    def __get__(self, inst: object, owner: type | None = None) -> _T: ...

    def __get__(self, inst: object | None, owner: type | None = None) -> _T | reify[_T]:
        if inst is None:
            return self
        cache = inst.__dict__
        try:
            return cache[self.name]  # type: ignore[no-any-return]
        except KeyError:
            value = self.wrapped(inst)
            cache[self.name] = value
            return value

    def __set__(self, inst: object, value: _T) -> None:
        raise AttributeError("reified property is read-only")


# -- timeouts --------------------------------------------------------------------------------


def ceil_timeout(delay: float | None, ceil_threshold: float = 5) -> asyncio.Timeout:
    """An :func:`asyncio.timeout` whose deadline is rounded up to a whole loop second.

    Long timeouts (``delay >= ceil_threshold``) that all end on whole seconds let the
    loop fire many of them in one tick. ``None`` or a non-positive delay: no timeout.
    """
    if delay is None or delay <= 0:
        return asyncio.timeout(None)
    loop = asyncio.get_running_loop()
    when = loop.time() + delay
    if delay >= ceil_threshold:
        when = math.ceil(when)
    return asyncio.timeout_at(when)


def call_later(
    callback: Callable[[], None],
    timeout: float | None,
    loop: asyncio.AbstractEventLoop,
    ceil_threshold: float = 5,
) -> asyncio.TimerHandle | None:
    """``loop.call_at`` with the rounding of :func:`ceil_timeout`; None for no timeout."""
    if timeout is None or timeout <= 0:
        return None
    when = loop.time() + timeout
    if timeout >= ceil_threshold:
        when = math.ceil(when)
    return loop.call_at(when, callback)


class Timeout:
    """0.x ``Timeout(timeout)``: cancel the enclosed block after ``timeout`` seconds.

    ``async with Timeout(1.5):`` is a thin wrapper over :func:`asyncio.timeout`. The
    old ``with Timeout(...):`` form still works inside a task. Both raise
    :class:`TimeoutError` (``asyncio.TimeoutError``); ``None`` means no limit.
    """

    def __init__(
        self, timeout: float | None, *, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        self._timeout = timeout
        self._loop = loop
        self._cm: asyncio.Timeout | None = None
        self._task: asyncio.Task[Any] | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._expired = False

    @property
    def expired(self) -> bool:
        """True when the block was cancelled because the time ran out."""
        if self._cm is not None:
            return self._cm.expired()
        return self._expired

    async def __aenter__(self) -> Timeout:
        self._cm = asyncio.timeout(self._timeout)
        await self._cm.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._cm is not None
        await self._cm.__aexit__(exc_type, exc, tb)

    def __enter__(self) -> Timeout:
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop
            task = None
        if task is None:
            raise RuntimeError("Timeout context manager should be used inside a task")
        self._task = task
        if self._timeout is not None:
            loop = self._loop or asyncio.get_running_loop()
            self._handle = loop.call_later(max(self._timeout, 0), self._on_timeout)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        if self._expired and exc_type is asyncio.CancelledError:
            assert self._task is not None
            # Our own cancellation: undo it so an outer cancel() still works.
            if self._task.uncancel() == 0:
                raise TimeoutError from exc

    def _on_timeout(self) -> None:
        assert self._task is not None
        self._expired = True
        self._task.cancel()


# -- ChainMapProxy ------------------------------------------------------------------------------


class ChainMapProxy(Mapping[str | Any, Any]):
    """A read-only view of several mappings; the first one holding a key wins.

    Used for looking up configuration through nested applications.
    """

    __slots__ = ("_maps",)

    def __init__(self, maps: Any) -> None:
        self._maps = tuple(maps)

    def __init_subclass__(cls) -> None:
        raise TypeError(f"Inheritance class {cls.__name__} from ChainMapProxy is forbidden")

    def __getitem__(self, key: Any) -> Any:
        for mapping in self._maps:
            try:
                return mapping[key]
            except KeyError:
                pass
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        """Return the value for ``key``, or ``default``."""
        try:
            return self[key]
        except KeyError:
            return default

    def __len__(self) -> int:
        return len(set().union(*self._maps))

    def __iter__(self) -> Iterator[Any]:
        # Each key once, in the order of first appearance.
        seen: dict[Any, None] = {}
        for mapping in self._maps:
            seen.update(dict.fromkeys(mapping))
        return iter(seen)

    def __contains__(self, key: object) -> bool:
        return any(key in mapping for mapping in self._maps)

    def __bool__(self) -> bool:
        return any(self._maps)

    def __repr__(self) -> str:
        content = ", ".join(map(repr, self._maps))
        return f"ChainMapProxy({content})"


# -- hosts and bodies ----------------------------------------------------------------------------


def is_ip_address(host: str | bytes | bytearray | None) -> bool:
    """True if ``host`` is an IPv4 or IPv6 address literal (not a host name)."""
    if host is None:
        return False
    if isinstance(host, bytes | bytearray):
        try:
            host = host.decode("ascii")
        except UnicodeDecodeError:
            return False
    if not isinstance(host, str):
        raise TypeError(f"{host!r} [{type(host)!r}] is not a str or bytes")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _empty_body_status(code: int) -> bool:
    return 100 <= code < 200 or code in (204, 304)


def should_remove_content_length(method: str, code: int) -> bool:
    """True when a response must not carry ``Content-Length`` (RFC 9110 §8.6)."""
    return _empty_body_status(code) or (200 <= code < 300 and method.upper() == "CONNECT")


def must_be_empty_body(method: str, code: int) -> bool:
    """True when a response to ``method`` with status ``code`` has no body."""
    return method.upper() == "HEAD" or should_remove_content_length(method, code)
