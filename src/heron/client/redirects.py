"""Redirect handling for :class:`~heron.ClientSession`: one hop of the redirect loop.

A :class:`Hop` holds what may change from one request of a redirect chain to the
next (method, URL, body, headers, credentials). :func:`follow_redirect` turns the
current hop into the next one from a 3xx response, in named steps: record it, find
the target, rewrite the method (303, and 301/302 after POST), and drop credentials
when the target is another origin.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from .. import hdrs
from ..helpers import BasicAuth
from ..typedefs import LooseCookies
from .exceptions import (
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    TooManyRedirects,
)

if TYPE_CHECKING:
    from .response import ClientResponse
    from .tracing import Trace

__all__ = ("REDIRECT_STATUSES", "Hop", "follow_redirect")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_HTTP_SCHEMES = frozenset({"http", "https"})
# Headers that describe a body: gone with the body when a redirect turns into a GET.
_BODY_HEADERS = (
    hdrs.CONTENT_LENGTH,
    hdrs.CONTENT_TYPE,
    hdrs.TRANSFER_ENCODING,
    hdrs.CONTENT_ENCODING,
)


@dataclasses.dataclass(slots=True)
class Hop:
    """What changes from one redirect hop to the next."""

    method: str
    url: URL
    data: Any
    headers: CIMultiDict[str]
    auth: BasicAuth | None
    cookies: LooseCookies | None
    params: Any
    crossed: bool = False  # a redirect left the first origin: no default credentials


async def follow_redirect(
    hop: Hop,
    resp: ClientResponse,
    history: list[ClientResponse],
    max_redirects: int,
    traces: list[Trace],
    *,
    requote: bool,
) -> bool:
    """Turn ``hop`` into the next hop; False when ``resp`` is final after all (no Location).

    Raises :class:`~heron.TooManyRedirects` past ``max_redirects`` (0: unlimited) and
    the redirect URL errors for a Location that is not an HTTP(S) URL.
    """
    for trace in traces:
        await trace.send_request_redirect(hop.method, hop.url, hop.headers, resp)
    history.append(resp)
    if max_redirects and len(history) >= max_redirects:
        resp.close()
        raise TooManyRedirects(history[0].request_info, tuple(history))
    location = resp.headers.get(hdrs.LOCATION) or resp.headers.get(hdrs.URI)
    if location is None:
        history.pop()
        return False
    resp.release()
    target = redirect_target(location, hop.url, requote=requote)
    rewrite_method(hop, resp.status)
    if target.origin() != hop.url.origin():
        drop_credentials(hop)
    hop.url = target.with_fragment(None) if target.raw_fragment else target
    hop.params = None
    return True


def redirect_target(location: str, base: URL, *, requote: bool) -> URL:
    """The absolute URL a ``Location`` value points to, relative to ``base``."""
    try:
        target = URL(location, encoded=not requote)
    except ValueError as exc:
        raise InvalidUrlRedirectClientError(
            location, "Server attempted redirecting to a location that does not look like a URL"
        ) from exc
    if target.scheme and target.scheme not in _HTTP_SCHEMES:
        raise NonHttpUrlRedirectClientError(location)
    if not target.absolute:
        target = base.join(target)
    if not target.raw_host:
        raise InvalidUrlRedirectClientError(location)
    return target


def rewrite_method(hop: Hop, status: int) -> None:
    """303 turns anything but HEAD into a bodiless GET; so do 301/302 after a POST."""
    if (status == 303 and hop.method != hdrs.METH_HEAD) or (
        status in (301, 302) and hop.method == hdrs.METH_POST
    ):
        hop.method = hdrs.METH_GET
        hop.data = None
        for name in _BODY_HEADERS:
            hop.headers.popall(name, None)


def drop_credentials(hop: Hop) -> None:
    """Credentials and explicit cookies stay with the origin they were meant for."""
    hop.auth = None
    hop.headers.popall(hdrs.AUTHORIZATION, None)
    hop.headers.popall(hdrs.COOKIE, None)
    hop.cookies = None
    hop.crossed = True
