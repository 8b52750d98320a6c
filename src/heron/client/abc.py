"""Abstract base classes of the client: cookie jars and DNS resolvers.

``heron.abc`` re-exports these under aiohttp's public module path.
"""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sized
from http.cookies import BaseCookie, Morsel
from typing import TypedDict

from yarl import URL

from ..typedefs import LooseCookies

__all__ = ("AbstractCookieJar", "AbstractResolver", "ClearCookiePredicate", "ResolveResult")

EMPTY_URL = URL()
"""The URL of shared cookies (and a safe immutable default)."""

ClearCookiePredicate = Callable[["Morsel[str]"], bool]


class ResolveResult(TypedDict):
    """One address a resolver found, shaped for ``loop.create_connection``."""

    hostname: str
    host: str
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(ABC):
    """Turns a host name into socket addresses."""

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Return the addresses of ``host`` (raise :class:`OSError` when there are none)."""

    @abstractmethod
    async def close(self) -> None:
        """Release the resolver's resources."""


class AbstractCookieJar(Sized, Iterable["Morsel[str]"], ABC):
    """Storage of the cookies a client session received and sends."""

    @property
    def quote_cookie(self) -> bool:
        """Whether cookie values are quoted when sent (as ``SimpleCookie`` does)."""
        return True

    @abstractmethod
    def clear(self, predicate: ClearCookiePredicate | None = None) -> None:
        """Remove every cookie for which ``predicate(morsel)`` is true (all without one)."""

    @abstractmethod
    def clear_domain(self, domain: str) -> None:
        """Remove the cookies of ``domain`` and its subdomains."""

    @abstractmethod
    def update_cookies(self, cookies: LooseCookies, response_url: URL = EMPTY_URL) -> None:
        """Store ``cookies`` as received from ``response_url`` (shared ones when empty)."""

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        """Store the cookies of ``Set-Cookie`` header values received from ``response_url``."""
        for header in headers:
            cookie: BaseCookie[str] = BaseCookie()
            try:
                cookie.load(header)
            except Exception:  # a malformed Set-Cookie is ignored, not fatal
                continue
            if cookie:
                self.update_cookies(cookie, response_url)

    @abstractmethod
    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """Return the cookies that a request to ``request_url`` should carry."""
