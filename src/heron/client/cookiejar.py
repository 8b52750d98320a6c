"""Client cookie storage scoped as RFC 6265 says: :class:`CookieJar`, :class:`DummyCookieJar`."""

from __future__ import annotations

import calendar
import ipaddress
import os
import pickle
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from http.cookies import BaseCookie, Morsel, SimpleCookie
from typing import IO, Any

from yarl import URL

from ..typedefs import LooseCookies, PathLike
from .abc import EMPTY_URL, AbstractCookieJar, ClearCookiePredicate

__all__ = ("CookieJar", "DummyCookieJar")

_CookieKey = tuple[str, str]  # (domain, path)

# RFC 6265 §5.1.1: the delimiters that split a cookie date into tokens.
_DATE_DELIMS = r"\x09\x20-\x2F\x3B-\x40\x5B-\x60\x7B-\x7E"
_DATE_TOKEN_RE = re.compile(rf"[{_DATE_DELIMS}]*([^{_DATE_DELIMS}]+)")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D|$)")
_DAY_RE = re.compile(r"(\d{1,2})(?:\D|$)")
_YEAR_RE = re.compile(r"(\d{2,4})(?:\D|$)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Cookies that expire after this are kept "forever" (no float overflow in datetime).
_MAX_TIME = float(calendar.timegm((9999, 12, 31, 23, 59, 59, -1, -1, -1)))


def _is_ip(host: str | None) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def parse_cookie_date(date_str: str) -> float | None:
    """Parse a cookie ``Expires`` date with the lenient RFC 6265 §5.1.1 algorithm.

    Returns a POSIX timestamp, or None when the date is not a valid cookie date.
    """
    found_time = found_day = found_month = found_year = False
    hour = minute = second = day = month = year = 0
    for token_match in _DATE_TOKEN_RE.finditer(date_str):
        token = token_match.group(1)
        if not found_time and (m := _TIME_RE.match(token)):
            found_time = True
            hour, minute, second = (int(x) for x in m.groups())
        elif not found_day and (m := _DAY_RE.match(token)):
            found_day = True
            day = int(m.group(1))
        elif not found_month and token[:3].lower() in _MONTHS:
            found_month = True
            month = _MONTHS.index(token[:3].lower()) + 1
        elif not found_year and (m := _YEAR_RE.match(token)):
            found_year = True
            year = int(m.group(1))
    if not (found_time and found_day and found_month and found_year):
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    if year < 1601 or not 1 <= day <= 31 or hour > 23 or minute > 59 or second > 59:
        return None
    return float(calendar.timegm((year, month, day, hour, minute, second, -1, -1, -1)))


def _default_path(url: URL) -> str:
    """RFC 6265 §5.1.4: the directory of the request path."""
    path = url.raw_path
    if not path.startswith("/") or path.count("/") == 1:
        return "/"
    return path[: path.rfind("/")]


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def _domain_matches(domain: str, hostname: str) -> bool:
    """RFC 6265 §5.1.3 domain-match: equal, or a subdomain that is not an IP address."""
    if hostname == domain:
        return True
    return hostname.endswith("." + domain) and not _is_ip(hostname)


class _CookieUnpickler(pickle.Unpickler):
    """Loads saved jars but refuses every class a cookie jar file cannot contain.

    A pickle can run arbitrary code; restricting the classes keeps ``load()`` of a
    tampered file from doing more than failing.
    """

    _ALLOWED = frozenset(
        {
            ("http.cookies", "SimpleCookie"),
            ("http.cookies", "BaseCookie"),
            ("http.cookies", "Morsel"),
            ("collections", "defaultdict"),
            ("builtins", "dict"),
            ("builtins", "set"),
            ("builtins", "frozenset"),
            ("builtins", "tuple"),
            ("builtins", "list"),
        }
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"Refusing to load {module}.{name} from a cookie file")
        return super().find_class(module, name)


class CookieJar(AbstractCookieJar):
    """Cookies kept per RFC 6265: domain and path scoped, host-only, ``Secure``, expiry.

    * ``unsafe=True`` accepts cookies from servers addressed by IP address (refused by
      default, as browsers do);
    * ``quote_cookie=False`` sends values exactly as received instead of quoting them
      the way :class:`http.cookies.SimpleCookie` does;
    * ``treat_as_secure_origin`` lists origins (``"http://localhost:8080"``) that get
      ``Secure`` cookies even over plain HTTP.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: URL | str | Iterable[URL | str] | None = None,
        loop: Any = None,
    ) -> None:
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        self._cookies: dict[_CookieKey, SimpleCookie] = {}
        self._host_only: set[tuple[str, str]] = set()  # (domain, name)
        self._expirations: dict[tuple[str, str, str], float] = {}  # (domain, path, name)
        self._next_expiration = _MAX_TIME
        if treat_as_secure_origin is None:
            origins: Iterable[URL | str] = ()
        elif isinstance(treat_as_secure_origin, URL | str):
            origins = (treat_as_secure_origin,)
        else:
            origins = treat_as_secure_origin
        self._secure_origins = frozenset(URL(str(o)).origin() for o in origins)

    @property
    def quote_cookie(self) -> bool:
        """Whether values are quoted when sent."""
        return self._quote_cookie

    # -- persistence -------------------------------------------------------------

    def save(self, file_path: PathLike) -> None:
        """Write the cookies to ``file_path`` (pickle format)."""
        state = {
            "cookies": self._cookies,
            "host_only": self._host_only,
            "expirations": self._expirations,
        }
        with open(os.fspath(file_path), "wb") as f:
            pickle.dump(state, f, pickle.HIGHEST_PROTOCOL)

    def load(self, file_path: PathLike) -> None:
        """Replace the cookies with those saved in ``file_path`` by :meth:`save`."""
        with open(os.fspath(file_path), "rb") as f:
            state = self._unpickle(f)
        if isinstance(state, dict) and set(state) == {"cookies", "host_only", "expirations"}:
            self._cookies = dict(state["cookies"])
            self._host_only = set(state["host_only"])
            self._expirations = dict(state["expirations"])
        else:  # a plain mapping of (domain, path) -> SimpleCookie
            self._cookies = dict(state)
            self._host_only = set()
            self._expirations = {}
        self._next_expiration = min(self._expirations.values(), default=_MAX_TIME)
        self._expire()

    @staticmethod
    def _unpickle(f: IO[bytes]) -> Any:
        return _CookieUnpickler(f).load()

    # -- removal -------------------------------------------------------------------

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove the cookies matching ``predicate`` (every cookie without one)."""
        if predicate is None:
            self._cookies.clear()
            self._host_only.clear()
            self._expirations.clear()
            self._next_expiration = _MAX_TIME
            return
        doomed = [
            (key, name)
            for key, cookie in self._cookies.items()
            for name, morsel in cookie.items()
            if predicate(morsel)
        ]
        for (domain, path), name in doomed:
            self._delete(domain, path, name)

    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and of its subdomains."""
        domain = domain.lstrip(".")
        self.clear(lambda morsel: _domain_matches(domain, morsel["domain"]))

    def _delete(self, domain: str, path: str, name: str) -> None:
        cookie = self._cookies.get((domain, path))
        if cookie is not None and name in cookie:
            del cookie[name]
            if not cookie:
                del self._cookies[(domain, path)]
        self._expirations.pop((domain, path, name), None)
        # The host-only flag belongs to the name on that host, for any path.
        if not any(name in c for (d, _), c in self._cookies.items() if d == domain):
            self._host_only.discard((domain, name))

    def _expire(self) -> None:
        now = time.time()
        if now < self._next_expiration:
            return
        expired = [key for key, when in self._expirations.items() if when <= now]
        for domain, path, name in expired:
            self._delete(domain, path, name)
        self._next_expiration = min(self._expirations.values(), default=_MAX_TIME)

    def _set_expiration(self, domain: str, path: str, name: str, when: float) -> None:
        self._expirations[(domain, path, name)] = when
        self._next_expiration = min(self._next_expiration, when)

    # -- container protocol -----------------------------------------------------------

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._expire()
        for cookie in list(self._cookies.values()):
            yield from cookie.values()

    def __len__(self) -> int:
        if not self._cookies:
            return 0  # the usual case for API clients: no clock, no scan
        self._expire()
        return sum(len(cookie) for cookie in self._cookies.values())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {len(self)} cookies>"

    # -- storing -------------------------------------------------------------------

    def update_cookies(self, cookies: LooseCookies, response_url: URL = EMPTY_URL) -> None:
        """Store ``cookies`` received from ``response_url``.

        With an empty ``response_url`` the cookies are shared: sent to every host.
        Cookies whose ``Domain`` does not cover the responding host are refused, and so
        is every cookie from a host given as an IP address unless the jar is ``unsafe``.
        """
        hostname = response_url.raw_host
        if not self._unsafe and _is_ip(hostname):
            return
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in items:
            morsel = value if isinstance(value, Morsel) else self._make_morsel(name, value)
            self._store(morsel, response_url, hostname)
        self._expire()

    @staticmethod
    def _make_morsel(name: str, value: Any) -> Morsel[str]:
        tmp: SimpleCookie = SimpleCookie()
        tmp[name] = value
        return tmp[name]

    def _store(self, morsel: Morsel[str], response_url: URL, hostname: str | None) -> None:
        name = morsel.key
        domain = morsel["domain"].lstrip(".").lower()
        if hostname is not None:
            if not domain:
                domain = hostname
                self._host_only.add((domain, name))
            elif not _domain_matches(domain, hostname):
                return  # a server may only set cookies for itself or a parent domain
            else:
                self._host_only.discard((domain, name))
        morsel["domain"] = domain
        path = morsel["path"]
        if not path.startswith("/"):
            path = _default_path(response_url)
        path = path.rstrip("/") or "/"
        morsel["path"] = path
        expires_at = self._expiry_of(morsel)
        if expires_at is not None and expires_at <= time.time():
            self._delete(domain, path, name)
            return
        self._cookies.setdefault((domain, path), SimpleCookie())
        # dict.__setitem__ keeps the Morsel object (and its coded value) as received.
        dict.__setitem__(self._cookies[(domain, path)], name, morsel)
        if expires_at is not None:
            self._set_expiration(domain, path, name, expires_at)
        else:
            self._expirations.pop((domain, path, name), None)

    @staticmethod
    def _expiry_of(morsel: Morsel[str]) -> float | None:
        max_age = morsel["max-age"]
        if max_age:
            try:
                delta = int(max_age)
            except ValueError:
                morsel["max-age"] = ""
            else:
                return min(time.time() + delta, _MAX_TIME) if delta > 0 else 0.0
        expires = morsel["expires"]
        if expires:
            when = parse_cookie_date(expires)
            if when is not None:
                return min(when, _MAX_TIME)
            morsel["expires"] = ""
        return None

    # -- sending -------------------------------------------------------------------

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Return the cookies a request to ``request_url`` carries, most specific path first."""
        filtered: BaseCookie[str] = SimpleCookie() if self._quote_cookie else BaseCookie()
        if not self._cookies:
            return filtered
        self._expire()
        hostname = request_url.raw_host or ""
        is_secure = request_url.scheme in ("https", "wss") or (
            request_url.absolute and request_url.origin() in self._secure_origins
        )
        request_path = request_url.raw_path or "/"
        ip_host = _is_ip(hostname)
        candidates = sorted(self._cookies.items(), key=lambda item: -len(item[0][1]))
        for (domain, path), cookie in candidates:
            if domain and not self._host_allowed(domain, hostname, ip_host):
                continue
            if not _path_matches(request_path, path):
                continue
            for name, morsel in cookie.items():
                if name in filtered:
                    continue  # a longer path already supplied this name
                if morsel["secure"] and not is_secure:
                    continue
                if domain and (domain, name) in self._host_only and hostname != domain:
                    continue
                self._copy_into(filtered, morsel)
        return filtered

    def _host_allowed(self, domain: str, hostname: str, ip_host: bool) -> bool:
        if ip_host and not self._unsafe:
            return False
        return _domain_matches(domain, hostname)

    def _copy_into(self, filtered: BaseCookie[str], morsel: Morsel[str]) -> None:
        copy: Morsel[str] = Morsel()
        coded = morsel.coded_value if self._quote_cookie else morsel.value
        copy.set(morsel.key, morsel.value, coded)
        dict.__setitem__(filtered, morsel.key, copy)


class DummyCookieJar(AbstractCookieJar):
    """A jar that keeps nothing: for crawlers and clients that must not track cookies."""

    def __init__(self, *, loop: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[Morsel[str]]:
        return iter(())

    def __len__(self) -> int:
        return 0

    @property
    def quote_cookie(self) -> bool:
        """Always True (nothing is ever sent)."""
        return True

    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Nothing to clear."""

    def clear_domain(self, domain: str) -> None:
        """Nothing to clear."""

    def update_cookies(self, cookies: LooseCookies, response_url: URL = EMPTY_URL) -> None:
        """Discard ``cookies``."""

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Always empty."""
        return SimpleCookie()
