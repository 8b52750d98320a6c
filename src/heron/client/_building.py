"""Request building for :class:`~heron.ClientSession`: from a :class:`Hop` to a
:class:`ClientRequest`.

The steps: the absolute URL (``base_url`` joined, scheme checked, remembered per
argument), the headers (session defaults overridden by the request's), the
credentials (argument, URL, session default for its own origin, ``.netrc``), the
proxy (argument, session default, environment), the cookies (jar plus the request's).
A request with none of these to work out takes :meth:`_plain_request` instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from multidict import CIMultiDict
from yarl import URL

from .. import hdrs
from ..helpers import BasicAuth
from ..http.models import HttpVersion
from ..typedefs import LooseCookies, LooseHeaders, StrOrURL
from ._options import RequestOptions
from .abc import AbstractCookieJar
from .connector import BaseConnector
from .cookiejar import CookieJar
from .exceptions import InvalidUrlClientError, NonHttpUrlClientError
from .proxy import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from .redirects import Hop
from .reqrep import ClientRequest, ConnectionKey
from .response import ClientResponse
from .tracing import Trace

__all__ = ("URL_CACHE_MAX", "RequestBuildingMixin")

_HTTP_SCHEMES = frozenset({"http", "https"})
_WS_SCHEMES = frozenset({"ws", "wss"})
_ALLOWED_SCHEMES = _HTTP_SCHEMES | _WS_SCHEMES
# Bound of the per-session caches keyed by URL (cleared whole when full).
URL_CACHE_MAX = 256


class RequestBuildingMixin:
    """:class:`~heron.ClientSession`'s steps that turn a hop into a ``ClientRequest``."""

    _loop: asyncio.AbstractEventLoop
    _connector: BaseConnector | None
    _base_url: URL | None
    _cookie_jar: AbstractCookieJar
    _default_headers: CIMultiDict[str]
    _default_auth: BasicAuth | None
    _default_proxy: URL | None
    _default_proxy_auth: BasicAuth | None
    _request_class: type[ClientRequest]
    _response_class: type[ClientResponse]
    _version: HttpVersion
    _trust_env: bool
    # Whether requests without options may skip the general request building.
    _plain_requests: bool
    # Per-session caches of the request fast path: request URL argument -> URL, and
    # id(URL) -> (URL, pool key) for plain requests.
    _urls: dict[StrOrURL, URL]
    _plain_keys: dict[int, tuple[URL, ConnectionKey]]

    def _build_url(self, str_or_url: StrOrURL) -> URL:
        """The absolute request URL (remembered per argument: programs repeat them)."""
        try:
            url = URL(str_or_url)
        except (ValueError, TypeError) as exc:
            raise InvalidUrlClientError(str_or_url) from exc
        if self._base_url is not None and not url.absolute:
            url = self._base_url.join(url)
        if not url.absolute or (url.scheme in _ALLOWED_SCHEMES and not url.raw_host):
            raise InvalidUrlClientError(url)
        if url.scheme not in _ALLOWED_SCHEMES:
            raise NonHttpUrlClientError(url)
        if isinstance(str_or_url, str | URL):
            if len(self._urls) >= URL_CACHE_MAX:
                self._urls.clear()
            self._urls[str_or_url] = url
        return url

    def _prepare_headers(self, headers: LooseHeaders | None) -> CIMultiDict[str]:
        """Session headers, overridden (not added to) by the request's."""
        result = self._default_headers.copy()
        if not headers:
            return result
        items = headers.items() if isinstance(headers, Mapping) else headers
        added: set[str] = set()
        for key, value in items:
            if key in added:
                result.add(key, value)
            else:
                result[key] = value
                added.add(key)
        return result

    def _make_request(self, hop: Hop, opts: RequestOptions, traces: list[Trace]) -> ClientRequest:
        """The request for ``hop``: the plain shortcut when nothing needs working out."""
        url = hop.url
        if (
            opts.plain
            and self._plain_requests
            and not traces
            and hop.data is None
            and hop.params is None
            and hop.auth is None
            and hop.cookies is None
            and not hop.headers
            and hop.method not in ClientRequest.POST_METHODS
            and url.raw_user is None
            and url.raw_password is None
            and not len(self._cookie_jar)
        ):
            return self._plain_request(hop.method, url)
        return self._full_request(hop, opts, traces)

    def _full_request(self, hop: Hop, opts: RequestOptions, traces: list[Trace]) -> ClientRequest:
        """The request for ``hop`` with credentials, proxy and cookies worked out."""
        auth = self._auth_for(hop)
        url = hop.url
        proxy_url, proxy_auth = self._proxy_for(url, opts.proxy, opts.proxy_auth)
        cookies = self._cookies_for(url, hop.cookies)
        connector = self._connector
        assert connector is not None
        return self._request_class(
            hop.method,
            url,
            params=hop.params,
            headers=hop.headers,
            skip_auto_headers=opts.skip_auto_headers,
            data=hop.data,
            cookies=cookies,
            auth=auth,
            version=self._version,
            compress=opts.compress,
            chunked=opts.chunked,
            expect100=opts.expect100,
            loop=self._loop,
            response_class=self._response_class,
            proxy=proxy_url,
            proxy_auth=proxy_auth,
            session=self,
            ssl=opts.ssl,
            server_hostname=opts.server_hostname,
            proxy_headers=opts.proxy_headers,
            traces=traces,
            trust_env=self._trust_env,
            force_close=connector.force_close,
        )

    def _plain_request(self, method: str, url: URL) -> ClientRequest:
        """A request without body, options, credentials, cookies or proxy: nothing to
        work out but the pool key, which is remembered per URL."""
        req = ClientRequest._plain(method, url, self._loop, self._response_class, self)
        # By id (hashing a URL costs more): the entry keeps the URL, so its id stays its.
        entry = self._plain_keys.get(id(url))
        if entry is not None and entry[0] is url:
            req._connection_key = entry[1]
        else:
            if len(self._plain_keys) >= URL_CACHE_MAX:
                self._plain_keys.clear()
            self._plain_keys[id(url)] = (url, req.connection_key)
        return req

    def _auth_for(self, hop: Hop) -> BasicAuth | None:
        """The credentials of ``hop`` (may move them from its URL into a header)."""
        if (
            hop.auth is None
            and self._default_auth is None
            and not self._trust_env
            and hop.url.raw_user is None
            and hop.url.raw_password is None
        ):
            return None  # no credentials anywhere: nothing to check either
        url_auth = BasicAuth.from_url(hop.url)
        if url_auth is not None:
            hop.url = hop.url.with_user(None)  # credentials go in a header, never in resp.url
        auth = hop.auth
        if auth is not None and url_auth is not None:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        auth = auth or url_auth
        if (
            auth is None
            and self._default_auth is not None
            and not hop.crossed
            and (self._base_url is None or hop.url.origin() == self._base_url.origin())
        ):
            auth = self._default_auth
        if (
            auth is None
            and self._trust_env
            and hop.url.host
            and hdrs.AUTHORIZATION not in hop.headers
        ):
            auth = basicauth_from_netrc(netrc_from_env(), hop.url.host)
        if auth is not None and hdrs.AUTHORIZATION in hop.headers:
            raise ValueError(
                "Cannot combine AUTHORIZATION header with AUTH argument or credentials "
                "encoded in URL"
            )
        return auth

    def _proxy_for(
        self, url: URL, proxy: StrOrURL | None, proxy_auth: BasicAuth | None
    ) -> tuple[URL | None, BasicAuth | None]:
        """The proxy for ``url`` and its credentials: the request's, the session's or
        (with ``trust_env``) the environment's."""
        if proxy is not None:
            return URL(proxy), proxy_auth
        if self._default_proxy is not None:
            return self._default_proxy, proxy_auth or self._default_proxy_auth
        if self._trust_env:
            try:
                info = get_env_proxy_for_url(url)
            except LookupError:
                return None, None
            return info.proxy, proxy_auth or info.proxy_auth
        return None, None

    def _cookies_for(self, url: URL, request_cookies: LooseCookies | None) -> Any:
        """The jar's cookies for ``url`` with the request's own on top (None: none)."""
        jar = self._cookie_jar
        if not len(jar) and not request_cookies:
            return None
        cookies = jar.filter_cookies(url)
        if request_cookies:
            tmp = CookieJar(quote_cookie=jar.quote_cookie)
            tmp.update_cookies(request_cookies)
            for name, morsel in tmp.filter_cookies(url).items():
                cookies[name] = morsel.value
                dict.__setitem__(cookies, name, morsel)
        return cookies
