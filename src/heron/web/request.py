"""Server requests: :class:`BaseRequest` (low-level server) and :class:`Request` (apps).

A request is created per parsed request head and wraps the parser's
:class:`~heron.http.models.RawRequestMessage`. Everything that is not always needed
(URL, query, cookies, content type, conditional headers, ...) is computed on first
access and cached (``functools.cached_property`` stores the result in the instance,
so later reads cost a plain attribute lookup). The body is read once and cached:
``read()``, ``text()``, ``json()`` and ``post()`` may be called repeatedly.

A request is also a mutable mapping for per-request data (``request['user'] = u``).
"""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Generic, Self, TypeVar, cast, overload
from urllib.parse import parse_qsl

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from yarl import URL

from .. import hdrs
from ..helpers import ETag, parse_etags, parse_http_date
from ..http.models import HttpVersion, RawRequestMessage
from ..streams import EMPTY_PAYLOAD, StreamReader
from ..typedefs import DEFAULT_JSON_DECODER, JSONDecoder, LooseHeaders, StrOrURL
from ._request_headers import parse_content_type, parse_cookie_header, parse_forwarded
from .exceptions import HTTPRequestEntityTooLarge

if TYPE_CHECKING:
    from ..helpers import ChainMapProxy
    from ..multipart import MultipartReader
    from ..writer import AbstractStreamWriter
    from .protocol import RequestHandler
    from .response import StreamResponse

__all__ = ("BaseRequest", "Request")

_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"

_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)

_FORM_TYPES: Final = frozenset({"", "application/x-www-form-urlencoded", "multipart/form-data"})


_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """Compute an attribute once per instance and store it in the instance's ``__dict__``.

    A non-data descriptor: once stored, reading the attribute is a plain dict hit that
    never calls back into Python. Unlike ``functools.cached_property`` on Python 3.11 it
    takes no lock (a request is only used from its connection's task).
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, inst: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, inst: object, owner: type | None = None) -> _T: ...

    def __get__(self, inst: object | None, owner: type | None = None) -> _T | cached_property[_T]:
        if inst is None:
            return self
        value = self.func(inst)
        inst.__dict__[self.name] = value
        return value


class _Sentinel:
    pass


_SENTINEL: Final = _Sentinel()


class BaseRequest(MutableMapping[str, Any]):
    """An HTTP request as a low-level :class:`~heron.web.Server` handler sees it."""

    POST_METHODS: Final = frozenset(
        {hdrs.METH_PATCH, hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_TRACE, hdrs.METH_DELETE}
    )

    # Set per instance by the connection handler for ``Expect: 100-continue`` requests.
    _expect_continue = False
    # Set per instance once a response head was serialised for this request.
    _head_sent = False
    # The body and form, once read (class defaults: cheaper request creation).
    _read_bytes: bytes | None = None
    _post: MultiDictProxy[Any] | None = None
    # Whether response.prepare() must await _prepare_hook(); None: ask
    # _has_prepare_hook(). An application sets it when it routes the request, so
    # the common response needs no call to find out.
    _prepare_flag: bool | None = False

    def __init__(
        self,
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: RequestHandler,
        payload_writer: AbstractStreamWriter,
        task: asyncio.Task[None],
        loop: asyncio.AbstractEventLoop,
        *,
        client_max_size: int = 1024**2,
        state: dict[str, Any] | None = None,
        scheme: str | None = None,
        host: str | None = None,
        remote: str | None = None,
    ) -> None:
        self._message = message
        self._method = message.method
        self._version = message.version
        self._headers = message.headers
        self._payload = payload
        self._protocol = protocol
        self._payload_writer = payload_writer
        self._task = task
        self._loop = loop
        self._client_max_size = client_max_size
        self._state = {} if state is None else state
        if scheme is not None:
            self.__dict__["scheme"] = scheme
        if host is not None:
            self.__dict__["host"] = host
        if remote is not None:
            self.__dict__["remote"] = remote

    def clone(
        self,
        *,
        method: str | _Sentinel = _SENTINEL,
        rel_url: StrOrURL | _Sentinel = _SENTINEL,
        headers: LooseHeaders | _Sentinel = _SENTINEL,
        scheme: str | _Sentinel = _SENTINEL,
        host: str | _Sentinel = _SENTINEL,
        remote: str | _Sentinel = _SENTINEL,
        client_max_size: int | _Sentinel = _SENTINEL,
    ) -> Self:
        """Return a copy with some fields replaced (used by middlewares behind proxies).

        The clone shares the body stream, so it cannot be made once the body was read;
        the clone of a routed :class:`Request` shares its match info.
        """
        if self._read_bytes is not None:
            raise RuntimeError("Cannot clone request after reading its content")
        changes: dict[str, Any] = {}
        if not isinstance(method, _Sentinel):
            changes["method"] = method.upper()
        if not isinstance(rel_url, _Sentinel):
            new_url = URL(rel_url)
            if new_url.absolute:
                raise ValueError("rel_url must be a relative URL")
            changes["url"] = new_url
            changes["path"] = str(new_url)
        if not isinstance(headers, _Sentinel):
            new_headers = CIMultiDictProxy(CIMultiDict(headers))
            changes["headers"] = new_headers
            changes["raw_headers"] = tuple(
                (k.encode("utf-8"), v.encode("utf-8")) for k, v in new_headers.items()
            )
        message = self._message._replace(**changes)
        kwargs: dict[str, Any] = {}
        for name, value in (("scheme", scheme), ("host", host), ("remote", remote)):
            if not isinstance(value, _Sentinel):
                kwargs[name] = value
            elif name in self.__dict__:
                kwargs[name] = self.__dict__[name]
        clone = self.__class__(
            message,
            self._payload,
            self._protocol,
            self._payload_writer,
            self._task,
            self._loop,
            client_max_size=(
                self._client_max_size if isinstance(client_max_size, _Sentinel) else client_max_size
            ),
            state=self._state.copy(),
            **kwargs,
        )
        self._share_with_clone(clone)
        return clone

    def _share_with_clone(self, clone: Self) -> None:
        """Hand ``clone`` what a subclass keeps besides the message (nothing here)."""

    # -- plumbing ----------------------------------------------------------------

    @property
    def task(self) -> asyncio.Task[None]:
        """The task serving this connection's requests."""
        return self._task

    @property
    def protocol(self) -> RequestHandler:
        """The connection's protocol."""
        return self._protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport (None once the client is gone)."""
        transport: asyncio.Transport | None = self._protocol.transport
        return transport

    @property
    def writer(self) -> AbstractStreamWriter:
        """The writer a response to this request goes through."""
        return self._payload_writer

    @property
    def client_max_size(self) -> int:
        """The largest body ``read()`` accepts (413 beyond it)."""
        return self._client_max_size

    @property
    def message(self) -> RawRequestMessage:
        """The parsed request head."""
        return self._message

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop (deprecated: use ``asyncio.get_running_loop()``)."""
        warnings.warn("request.loop is deprecated", DeprecationWarning, stacklevel=2)
        return self._loop

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Transport information, such as ``peername`` or ``sslcontext``."""
        transport = self._protocol.transport
        if transport is None:
            return default
        return transport.get_extra_info(name, default)

    # -- mapping interface ---------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._state[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __delitem__(self, key: str) -> None:
        del self._state[key]

    def __len__(self) -> int:
        return len(self._state)

    def __iter__(self) -> Iterator[str]:
        return iter(self._state)

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def copy(self) -> None:
        """Requests cannot be copied (use :meth:`clone`)."""
        raise NotImplementedError("Request cannot be copied; use clone()")

    def __repr__(self) -> str:
        path = self.path.encode("ascii", "backslashreplace").decode("ascii")
        return f"<{type(self).__name__} {self._method} {path} >"

    # -- request line --------------------------------------------------------------

    @property
    def method(self) -> str:
        """The request method, upper-case (``GET``, ``POST``, ...)."""
        return self._method

    @property
    def version(self) -> HttpVersion:
        """The HTTP version, e.g. ``HttpVersion(1, 1)``."""
        return self._version

    @cached_property
    def rel_url(self) -> URL:
        """The request target as a relative URL (path and query)."""
        url = self._message.url
        return url.relative() if url.absolute else url

    @cached_property
    def url(self) -> URL:
        """The absolute URL: scheme, host and the request target."""
        rel = self.rel_url
        try:
            return URL.build(
                scheme=self.scheme,
                authority=self.host or self._local_authority(),
                path=rel.raw_path,
                query_string=rel.raw_query_string,
                encoded=True,
            )
        except ValueError:
            # A Host header that is not a valid authority: fall back to the socket.
            return URL.build(
                scheme=self.scheme,
                authority=self._local_authority(),
                path=rel.raw_path,
                query_string=rel.raw_query_string,
                encoded=True,
            )

    def _local_authority(self) -> str:
        sockname = self.get_extra_info("sockname")
        if isinstance(sockname, (tuple, list)) and len(sockname) >= 2:
            host = str(sockname[0])
            return f"[{host}]:{sockname[1]}" if ":" in host else f"{host}:{sockname[1]}"
        return "localhost"

    @cached_property
    def scheme(self) -> str:
        """``https`` on a TLS connection, ``http`` otherwise (see ``clone(scheme=)``)."""
        return "https" if self.get_extra_info("sslcontext") is not None else "http"

    @property
    def secure(self) -> bool:
        """True when :attr:`scheme` is ``https``."""
        return self.scheme == "https"

    @cached_property
    def host(self) -> str | None:
        """The Host header (or the authority of an absolute-form target); None if absent."""
        host = self._headers.get(hdrs.HOST)
        if host is not None:
            return host
        url = self._message.url
        return url.raw_authority if url.absolute else None

    @cached_property
    def remote(self) -> str | None:
        """The peer's address (the IP of a TCP client); see ``clone(remote=)``."""
        peername = self.get_extra_info("peername")
        if isinstance(peername, (list, tuple)):
            return str(peername[0])
        return None if peername is None else str(peername)

    @cached_property
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The Forwarded headers (RFC 7239) as one read-only mapping per proxy hop."""
        return parse_forwarded(self._headers.getall(hdrs.FORWARDED, []))

    @property
    def path(self) -> str:
        """The percent-decoded path, e.g. ``/app/blog``."""
        return self.rel_url.path

    def _match_path(self) -> str:
        """The path routing matches against: ``rel_url.path_safe``, without building
        the URL when the target is a plain origin-form path (no ``%`` to decode)."""
        target: str = self._message.path
        if target[:1] == "/" and "%" not in target:
            return target.partition("?")[0]
        return self.rel_url.path_safe

    @property
    def raw_path(self) -> str:
        """The request target exactly as received (``%2F`` and the query kept)."""
        return self._message.path

    @property
    def path_qs(self) -> str:
        """Path and query string, e.g. ``/app/blog?id=10``."""
        return str(self.rel_url)

    @property
    def query(self) -> MultiDictProxy[str]:
        """The query parameters (blank values kept)."""
        return self.rel_url.query

    @property
    def GET(self) -> MultiDictProxy[str]:
        """Deprecated 0.x name of :attr:`query`."""
        warnings.warn("request.GET is deprecated, use request.query", DeprecationWarning, 2)
        return self.rel_url.query

    @property
    def query_string(self) -> str:
        """The query string without ``?``, e.g. ``id=10``."""
        return self.rel_url.query_string

    # -- headers -------------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request headers."""
        return self._headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The request headers as received, as ``(name, value)`` byte pairs."""
        return self._message.raw_headers

    @property
    def keep_alive(self) -> bool:
        """Whether the client allows the connection to stay open after the response."""
        return not self._message.should_close

    @cached_property
    def cookies(self) -> Mapping[str, str]:
        """The request cookies, read-only."""
        raw = self._headers.get(hdrs.COOKIE, "")
        return MappingProxyType(parse_cookie_header(raw) if raw else {})

    @cached_property
    def _content_type(self) -> tuple[str, dict[str, str]]:
        return parse_content_type(self._headers.get(hdrs.CONTENT_TYPE))

    @property
    def content_type(self) -> str:
        """The media type of the body (``application/octet-stream`` when unstated)."""
        return self._content_type[0]

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, or None."""
        return self._content_type[1].get("charset")

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an int, or None."""
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        return None if value is None else int(value)

    @cached_property
    def if_modified_since(self) -> datetime | None:
        """If-Modified-Since as an aware datetime; None if absent or unparsable."""
        return parse_http_date(self._headers.get(hdrs.IF_MODIFIED_SINCE))

    @cached_property
    def if_unmodified_since(self) -> datetime | None:
        """If-Unmodified-Since as an aware datetime; None if absent or unparsable."""
        return parse_http_date(self._headers.get(hdrs.IF_UNMODIFIED_SINCE))

    @cached_property
    def if_range(self) -> datetime | None:
        """If-Range as an aware datetime; None if absent or not a date."""
        return parse_http_date(self._headers.get(hdrs.IF_RANGE))

    @cached_property
    def if_match(self) -> tuple[ETag, ...] | None:
        """The entity tags of If-Match; None when absent."""
        return parse_etags(self._headers.get(hdrs.IF_MATCH))

    @cached_property
    def if_none_match(self) -> tuple[ETag, ...] | None:
        """The entity tags of If-None-Match; None when absent."""
        return parse_etags(self._headers.get(hdrs.IF_NONE_MATCH))

    @cached_property
    def http_range(self) -> slice:
        """The Range header as a slice (``slice(None, None)`` when absent).

        ``bytes=0-99`` gives ``slice(0, 100)``, ``bytes=100-`` ``slice(100, None)``
        and ``bytes=-50`` ``slice(-50, None)``. Raises ValueError for a malformed or
        multi-range header.
        """
        raw = self._headers.get(hdrs.RANGE)
        if raw is None:
            return slice(None, None, 1)
        match = _RANGE.fullmatch(raw.strip())
        if match is None:
            raise ValueError("range not in acceptable format")
        first, last = match.groups()
        start = int(first) if first else None
        end = int(last) if last else None
        if start is None and end is None:
            raise ValueError("No start or end of range specified")
        if start is None:
            return slice(-cast(int, end), None, 1)
        if end is not None:
            end += 1
            if start >= end:
                raise ValueError("start cannot be after end")
        return slice(start, end, 1)

    # -- body ----------------------------------------------------------------------

    def _send_continue(self) -> None:
        """Send ``100 Continue`` once, if the client asked and no response started."""
        if self._expect_continue:
            self._expect_continue = False
            if self._payload_writer.output_size:
                return  # something was sent already (an expect handler's own 100)
            transport = self._protocol.transport
            if transport is not None and not transport.is_closing():
                transport.write(_CONTINUE)

    @property
    def content(self) -> StreamReader:
        """The body as a stream (sends ``100 Continue`` first if the client waits for it)."""
        self._send_continue()
        return self._payload

    @property
    def payload(self) -> StreamReader:
        """Deprecated 0.x name of :attr:`content`."""
        warnings.warn("request.payload is deprecated, use request.content", DeprecationWarning, 2)
        return self.content

    @property
    def body_exists(self) -> bool:
        """True if the request carries a body (even one already read)."""
        return self._payload is not EMPTY_PAYLOAD

    @property
    def has_body(self) -> bool:
        """Deprecated name of :attr:`body_exists`."""
        warnings.warn("has_body is deprecated, use body_exists", DeprecationWarning, 2)
        return self.body_exists

    @property
    def can_read_body(self) -> bool:
        """True while unread body bytes remain."""
        return not self._payload.at_eof()

    async def read(self) -> bytes:
        """Read the whole body; cached, so later calls return the same bytes.

        Raises :class:`~heron.web.HTTPRequestEntityTooLarge` beyond ``client_max_size``.
        """
        if self._read_bytes is not None:
            return self._read_bytes
        payload = self._payload
        limit = self._client_max_size
        if (
            payload._whole_for is self._message
            and not self._expect_continue
            and payload._exception is None
            and payload._waiter is None
            and (not limit or payload.total_bytes <= limit)
        ):
            # The body came whole with this very head (see whole_reader), so its size
            # is the declared Content-Length: no header lookup, nothing to wait for,
            # no 100 Continue owed. A clone() has another message: the general path.
            buffer = payload._buffer
            if len(buffer) == 1 and not payload._offset and not payload._paused:
                # read_nowait(-1) unrolled for the untouched single chunk.
                data = self._read_bytes = buffer.popleft()
                payload._size = 0
                payload._cursor += len(data)
                return data
            self._read_bytes = payload.read_nowait(-1)
            return self._read_bytes
        declared = self.content_length
        if limit and declared is not None and declared > limit:
            # Refuse before inviting the upload with "100 Continue".
            raise HTTPRequestEntityTooLarge(max_size=limit, actual_size=declared)
        self._send_continue()
        if (
            payload.is_eof()
            and payload.exception() is None
            and (not limit or payload.total_bytes <= limit)
        ):
            # All of it is here already (the common small body): no waiting reads.
            self._read_bytes = payload.read_nowait(-1)
            return self._read_bytes
        parts: list[bytes] = []
        size = 0
        while True:
            chunk = await payload.readany()
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
            if limit and size > limit:
                raise HTTPRequestEntityTooLarge(max_size=limit, actual_size=size)
        self._read_bytes = parts[0] if len(parts) == 1 else b"".join(parts)
        return self._read_bytes

    async def text(self) -> str:
        """The body decoded with its charset (UTF-8 when none is given)."""
        body = await self.read()
        return body.decode(self.charset or "utf-8")

    async def json(
        self, *, loads: JSONDecoder = DEFAULT_JSON_DECODER, loader: JSONDecoder | None = None
    ) -> Any:
        """The body parsed as JSON with ``loads`` (``loader`` is the 0.x name)."""
        body = await self.text()
        return (loader or loads)(body)

    async def post(self) -> MultiDictProxy[Any]:
        """The form fields of a url-encoded or multipart body; cached.

        Empty for methods without a form body and for other content types. Uploaded
        files appear as :class:`~heron.web.FileField` values.
        """
        if self._post is not None:
            return self._post
        ctype = self.content_type
        if self._method not in self.POST_METHODS or ctype not in _FORM_TYPES:
            self._post = MultiDictProxy(MultiDict())
            return self._post
        if ctype == "multipart/form-data":
            from .forms import read_multipart_form

            self._send_continue()
            self._post = await read_multipart_form(self)
            return self._post
        body = await self.read()
        form: MultiDict[Any] = MultiDict()
        if body:
            charset = self.charset or "utf-8"
            form.extend(
                parse_qsl(body.rstrip().decode(charset), keep_blank_values=True, encoding=charset)
            )
        self._post = MultiDictProxy(form)
        return self._post

    @property
    def POST(self) -> MultiDictProxy[Any]:
        """Deprecated 0.x property: the result of ``await post()``; RuntimeError before."""
        warnings.warn("request.POST is deprecated, use await request.post()", DeprecationWarning, 2)
        if self._post is None:
            raise RuntimeError("POST is not available before post()")
        return self._post

    async def multipart(self) -> MultipartReader:
        """A :class:`~heron.multipart.MultipartReader` over the body."""
        from ..multipart import MultipartReader

        self._send_continue()
        return MultipartReader(self._headers, self._payload)

    async def release(self) -> None:
        """Read and discard whatever is left of the body."""
        payload = self._payload
        while not payload.at_eof():
            await payload.readany()

    def _has_prepare_hook(self) -> bool:
        """Whether ``response.prepare()`` must await :meth:`_prepare_hook` (cheap check)."""
        return False

    async def _prepare_hook(self, response: StreamResponse) -> None:
        """Called by ``response.prepare()``; the application layer fires signals here."""
        return None


class _PlainHead:
    """Remembers the headers object of the last request head seen to carry a Host
    and no Expect header.

    The parser hands out the same (read-only) headers object for every repeat of a
    head (its table of known heads), so an identity test replaces the connection's
    Host check and both Expect lookups (the connection's and the application's),
    about 1,500 instructions per request. The strong reference keeps the identity
    meaningful; any other headers object is looked up as usual. A connection that
    closes unmarks its own last head with cookies or credentials, so that this
    process-wide reference does not keep them.
    """

    __slots__ = ("headers",)

    def __init__(self) -> None:
        self.headers: object = None


PLAIN_HEAD: Final = _PlainHead()


def _new_request(
    cls: type[_R],
    message: RawRequestMessage,
    payload: StreamReader,
    protocol: RequestHandler,
    payload_writer: AbstractStreamWriter,
    task: asyncio.Task[None],
    loop: asyncio.AbstractEventLoop,
) -> _R:
    """``cls(message, payload, protocol, payload_writer, task, loop)`` for a class that
    keeps :meth:`BaseRequest.__init__`, a quarter cheaper: a class call with
    ``__init__`` packs its arguments and fills five keyword defaults (this runs per
    request). Must set exactly what ``__init__`` sets with the default keywords.
    """
    self = _object_new(cls)
    self._message = message
    self._method = message.method
    self._version = message.version
    self._headers = message.headers
    self._payload = payload
    self._protocol = protocol
    self._payload_writer = payload_writer
    self._task = task
    self._loop = loop
    self._client_max_size = 1024**2
    self._state = {}
    return self


_object_new: Final = object.__new__
_R = TypeVar("_R", bound=BaseRequest)


class Request(BaseRequest):
    """A request routed by a :class:`~heron.web.Application`."""

    _match_info: Any = None
    _prepare_flag: bool | None = None
    # Set by Application._handle for a plain route instead of _match_info: the match
    # info is built when first asked for (most such handlers never do).
    _route: Any = None
    _route_app: Any = None

    def _routed(self) -> Any:
        """The match info, built now if the application left only its route."""
        if self._route is not None:
            from .urldispatcher import bound_match_info

            self._match_info = bound_match_info(self._route, self._route_app)
            self._route = None
        return self._match_info

    def _share_with_clone(self, clone: Self) -> None:
        clone._match_info = self._routed()

    @property
    def match_info(self) -> Any:
        """The routing result (an ``UrlMappingMatchInfo``), set by the application."""
        if self._route is not None:
            return self._routed()
        return self._match_info

    @property
    def app(self) -> Any:
        """The application that dispatched the request."""
        match_info = self._routed()
        if match_info is None:
            raise RuntimeError("The request has not been routed by an application yet")
        return match_info.current_app

    @property
    def config_dict(self) -> ChainMapProxy:
        """The data of the current app and its parents, innermost first."""
        from ..helpers import ChainMapProxy

        apps = list(self._routed().apps)
        app = self.app
        idx = apps.index(app) if app in apps else len(apps) - 1
        return ChainMapProxy(list(reversed(apps[: idx + 1])))

    def _has_prepare_hook(self) -> bool:
        match_info = self._routed()
        if match_info is None:
            return False
        for app in match_info.apps:  # noqa: SIM110  (a plain loop: no generator per call)
            if app._on_response_prepare:
                return True
        return False

    async def _prepare_hook(self, response: StreamResponse) -> None:
        match_info = self._routed()
        if match_info is None:
            return
        for app in match_info.apps:
            await app.on_response_prepare.send(self, response)
