"""Middlewares: the ``@middleware`` marker and ready-made ``normalize_path_middleware``.

A new-style middleware is ``async def mw(request, handler) -> StreamResponse`` marked
with :func:`middleware`; it calls ``await handler(request)`` to continue the chain.
Middlewares listed as ``[m1, m2]`` wrap the handler as ``m1(m2(handler))``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .exceptions import HTTPMove, HTTPPermanentRedirect

if TYPE_CHECKING:
    from .request import Request
    from .response import StreamResponse

__all__ = ("middleware", "normalize_path_middleware")

_F = TypeVar("_F", bound=Callable[..., Any])
Middleware = Callable[
    ["Request", Callable[["Request"], Awaitable["StreamResponse"]]], Awaitable["StreamResponse"]
]

_MANY_SLASHES: Final = re.compile(r"//+")
# Browsers read "//host" and "/\host" as another host: a Location starting like that
# would be an open redirect.
_LEADING_SEPARATORS: Final = re.compile(r"^[/\\]+")


def middleware(func: _F) -> _F:
    """Mark ``func`` as a new-style middleware ``(request, handler) -> response``."""
    func.__middleware_version__ = 1  # type: ignore[attr-defined]
    return func


def _same_site(path: str) -> str:
    """Collapse leading slashes/backslashes so the path can never name another host."""
    return _LEADING_SEPARATORS.sub("/", path)


def _candidates(path: str, append_slash: bool, remove_slash: bool, merge: bool) -> list[str]:
    """Alternative paths to try, in aiohttp's order."""
    found: list[str] = []
    merged = _MANY_SLASHES.sub("/", path)
    if merge:
        found.append(merged)
    if append_slash and not path.endswith("/"):
        found.append(path + "/")
        if merge:
            found.append(merged + "/")
    if remove_slash and path.endswith("/") and len(path) > 1:
        found.append(path[:-1])
        if merge and len(merged) > 1:
            found.append(merged[:-1])
    return [_same_site(candidate) for candidate in found if candidate != path]


def normalize_path_middleware(
    *,
    append_slash: bool = True,
    remove_slash: bool = False,
    merge_slashes: bool = True,
    redirect_class: type[HTTPMove] = HTTPPermanentRedirect,
) -> Middleware:
    """Redirect requests that miss a route to the normalised path that has one.

    Only a request that resolves to 404/405 is considered. Candidates are tried in
    order: slashes merged (``//a///b`` -> ``/a/b``), a slash appended (``/a`` ->
    ``/a/``) or, with ``remove_slash=True``, removed; the first one with a route gets a
    ``redirect_class`` (308 by default) to it, keeping the query string. The redirect
    target is always a path on this site: leading ``//`` never survives.
    """
    if append_slash and remove_slash:
        raise ValueError("append_slash and remove_slash cannot both be enabled")

    @middleware
    async def normalize_path(request: Request, handler: Any) -> StreamResponse:
        if request.match_info.http_exception is not None:
            raw_path, sep, query = request.raw_path.partition("?")
            router = request.app.router
            for candidate in _candidates(raw_path, append_slash, remove_slash, merge_slashes):
                alt = request.clone(rel_url=candidate)
                match_info = await router.resolve(alt)
                if match_info.http_exception is None:
                    raise redirect_class(candidate + sep + query)
        response: StreamResponse = await handler(request)
        return response

    return normalize_path
