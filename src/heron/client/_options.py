"""The settings of one client request, worked out once from its arguments and the session.

:class:`RequestOptions` holds what a ``request()`` call sets that stays the same across
its redirect hops. :class:`OptionsMixin` builds it for :class:`~heron.ClientSession`:
a request that passes no options shares one prebuilt object per ``allow_redirects``
(the fast path), a request that passes some gets its own. The session-level helpers
(``base_url`` checks, the default timeout with its deprecated 0.x spellings) live
here too, as they turn constructor arguments into the defaults the options start from.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from multidict import istr
from yarl import URL

from ..helpers import BasicAuth
from ..typedefs import LooseHeaders, StrOrURL
from .timeouts import DEFAULT_TIMEOUT, ClientTimeout

if TYPE_CHECKING:
    from .response import ClientResponse

__all__ = (
    "SENTINEL",
    "Arm",
    "OptionsMixin",
    "RaiseForStatus",
    "RequestOptions",
    "check_base_url",
    "session_timeout",
)

# "Not given" for arguments where None means something (timeout=None: no timeout).
SENTINEL: Any = object()

RaiseForStatus = bool | Callable[["ClientResponse"], Awaitable[None]]
# What a request's connection is armed with: the protocol's response parameters and
# the total deadline (see ResponseHandler._prepare).
Arm = tuple[tuple[Any, ...], float | None]
# (max_line_size, max_field_size, read_bufsize) as passed to request(): None = default.
Sizes = tuple[int | None, int | None, int | None]
# (proxy, proxy_auth, proxy_headers) as passed to request().
Proxying = tuple[StrOrURL | None, BasicAuth | None, LooseHeaders | None]


@dataclasses.dataclass(frozen=True, slots=True)
class RequestOptions:
    """The settings of one ``request()`` call that stay the same across redirect hops."""

    skip_auto_headers: frozenset[istr]
    compress: str | bool | None
    chunked: bool | None
    expect100: bool
    proxy: StrOrURL | None
    proxy_auth: BasicAuth | None
    proxy_headers: LooseHeaders | None
    ssl: Any
    server_hostname: str | None
    allow_redirects: bool
    max_redirects: int
    timeout: ClientTimeout
    read_until_eof: bool
    auto_decompress: bool
    max_line_size: int
    max_field_size: int
    read_bufsize: int
    plain: bool = False  # only the session's defaults: requests may take the fast path

    def response_params(self) -> tuple[bool, bool, int, int, int, float | None]:
        """What the connection's protocol needs to parse the answer (see ``_prepare``)."""
        return (
            self.read_until_eof,
            self.auto_decompress,
            self.max_line_size,
            self.max_field_size,
            self.read_bufsize,
            self.timeout.sock_read,
        )


class OptionsMixin:
    """:class:`~heron.ClientSession`'s request options over its defaults."""

    _skip_auto_headers: frozenset[istr]
    _timeout: ClientTimeout
    _auto_decompress: bool
    _read_bufsize: int
    _max_line_size: int
    _max_field_size: int
    # Per session: the options of requests that pass none, and their response params.
    _plain_options: dict[bool, tuple[RequestOptions, tuple[Any, ...]]]

    def _options(
        self,
        skip_auto_headers: Iterable[str] | None,
        compress: str | bool | None,
        chunked: bool | None,
        expect100: bool,
        proxying: Proxying,
        ssl: Any,
        server_hostname: str | None,
        allow_redirects: bool,
        max_redirects: int,
        timeout: Any,
        read_until_eof: bool,
        auto_decompress: bool | None,
        sizes: Sizes,
    ) -> tuple[RequestOptions, tuple[Any, ...]]:
        """The options of a request that passes some, with their response params."""
        proxy, proxy_auth, proxy_headers = proxying
        max_line_size, max_field_size, read_bufsize = sizes
        opts = RequestOptions(
            skip_auto_headers=self._skip_auto_headers
            if skip_auto_headers is None
            else self._skip_auto_headers | frozenset(istr(h) for h in skip_auto_headers),
            compress=compress,
            chunked=chunked,
            expect100=expect100,
            proxy=proxy,
            proxy_auth=proxy_auth,
            proxy_headers=proxy_headers,
            ssl=ssl,
            server_hostname=server_hostname,
            allow_redirects=allow_redirects,
            max_redirects=max_redirects,
            timeout=self._request_timeout(timeout),
            read_until_eof=read_until_eof,
            auto_decompress=self._auto_decompress if auto_decompress is None else auto_decompress,
            max_line_size=max_line_size or self._max_line_size,
            max_field_size=max_field_size or self._max_field_size,
            read_bufsize=read_bufsize or self._read_bufsize,
        )
        return opts, opts.response_params()

    def _plain(self, allow_redirects: bool) -> tuple[RequestOptions, tuple[Any, ...]]:
        """The options of a request that passes none (cached per ``allow_redirects``)."""
        opts = RequestOptions(
            skip_auto_headers=self._skip_auto_headers,
            compress=None,
            chunked=None,
            expect100=False,
            proxy=None,
            proxy_auth=None,
            proxy_headers=None,
            ssl=True,
            server_hostname=None,
            allow_redirects=allow_redirects,
            max_redirects=10,
            timeout=self._timeout,
            read_until_eof=True,
            auto_decompress=self._auto_decompress,
            max_line_size=self._max_line_size,
            max_field_size=self._max_field_size,
            read_bufsize=self._read_bufsize,
            plain=not self._skip_auto_headers,
        )
        result = self._plain_options[allow_redirects] = (opts, opts.response_params())
        return result

    def _request_timeout(self, timeout: Any) -> ClientTimeout:
        """A request's ``timeout=``: the session's when not given, none for None."""
        if timeout is SENTINEL:
            return self._timeout
        if timeout is None:
            return ClientTimeout()
        if isinstance(timeout, ClientTimeout):
            return timeout
        return ClientTimeout(total=float(timeout))


def check_base_url(base_url: StrOrURL | None) -> URL | None:
    """``ClientSession(base_url=)`` as a URL that relative request URLs join under."""
    if base_url is None:
        return None
    url = URL(base_url)
    if not url.absolute:
        raise ValueError("Only absolute URLs are supported as base_url")
    if url.raw_query_string or url.raw_fragment:
        raise ValueError("base_url must not have a query or a fragment")
    if not url.raw_path.endswith("/"):
        raise ValueError("base_url must end with '/' so relative paths join under it")
    return url


def session_timeout(timeout: Any, read_timeout: Any, conn_timeout: float | None) -> ClientTimeout:
    """The session's default timeouts from ``timeout=`` or the deprecated 0.x
    ``read_timeout=``/``conn_timeout=`` (which cannot be combined with it)."""
    if timeout is SENTINEL or timeout is None:
        result = DEFAULT_TIMEOUT
        if read_timeout is not SENTINEL or conn_timeout is not None:
            warnings.warn(
                "read_timeout and conn_timeout are deprecated, use timeout=",
                DeprecationWarning,
                stacklevel=3,
            )
            total = None if read_timeout is SENTINEL else read_timeout
            result = dataclasses.replace(result, total=total, connect=conn_timeout)
        return result
    if read_timeout is not SENTINEL or conn_timeout is not None:
        raise ValueError("read_timeout and conn_timeout cannot be combined with timeout")
    if isinstance(timeout, ClientTimeout):
        return timeout
    return ClientTimeout(total=float(timeout))
