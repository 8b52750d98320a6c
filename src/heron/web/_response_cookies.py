"""Outgoing cookies of a server response: ``cookies``, ``set_cookie()``, ``del_cookie()``.

Each cookie becomes one Set-Cookie header when the response is prepared. Attribute
values that could end the header or start another attribute (CR, LF, ``;``) are refused.
"""

from __future__ import annotations

from http.cookies import Morsel, SimpleCookie
from typing import TYPE_CHECKING, Any

from ._response_headers import _CRLF

__all__ = ()


class CookieMixin:
    """The cookie part of :class:`~heron.web.StreamResponse`."""

    _cookies: SimpleCookie | None

    if TYPE_CHECKING:

        def _check_not_prepared(self) -> None: ...

    @property
    def cookies(self) -> SimpleCookie:
        """Outgoing cookies; each becomes one Set-Cookie header at ``prepare()``."""
        if self._cookies is None:
            self._cookies = SimpleCookie()
        return self._cookies

    def set_cookie(
        self,
        name: str,
        value: Any,
        *,
        expires: str | None = None,
        domain: str | None = None,
        max_age: int | str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        version: str | None = None,
        samesite: str | None = None,
    ) -> None:
        """Set a cookie (replacing one of the same name); values become strings."""
        self._check_not_prepared()
        cookies = self.cookies
        cookies.pop(name, None)  # a fresh morsel: no stale attributes (e.g. Max-Age=0)
        cookies[name] = str(value)
        morsel: Morsel[str] = cookies[name]
        attrs = {
            "expires": expires,
            "domain": domain,
            "max-age": None if max_age is None else str(max_age),
            "path": path,
            "version": version,
            "samesite": samesite,
        }
        for key, attr in attrs.items():
            if attr is not None:
                if any(c in attr for c in _CRLF) or ";" in attr:
                    raise ValueError(f"Invalid cookie attribute {key}={attr!r}")
                morsel[key] = attr
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True

    def del_cookie(
        self,
        name: str,
        *,
        domain: str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
    ) -> None:
        """Ask the client to delete a cookie (an expired, empty Set-Cookie)."""
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires="Thu, 01 Jan 1970 00:00:00 GMT",
            domain=domain,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
