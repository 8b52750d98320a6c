"""make_mocked_request: a real :class:`~heron.web.Request` without a connection.

The request is built from a :class:`~heron.http.models.RawRequestMessage` exactly as
the server builds it; what a socket would provide (transport, protocol, body writer)
is replaced by small stand-ins that record what the code under test did, so a unit
test can call a handler directly and look at the result.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast
from unittest.mock import AsyncMock

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .. import hdrs
from ..http.compression import Compressor
from ..http.models import HttpVersion, HttpVersion11, RawRequestMessage
from ..streams import EMPTY_PAYLOAD, StreamReader
from ..web.app import Application
from ..web.request import Request
from ..web.resources import AbstractRoute, UrlMappingMatchInfo
from ..writer import AbstractStreamWriter

if TYPE_CHECKING:
    import ssl

    from ..typedefs import LooseHeaders
    from ..web.protocol import RequestHandler

__all__ = (
    "MockedProtocol",
    "MockedTransport",
    "RecordingStreamWriter",
    "make_mocked_coro",
    "make_mocked_request",
)


class MockedTransport(asyncio.Transport):
    """A transport that keeps what is written to it (``written``) and never sends."""

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        super().__init__(extra)
        self.written = bytearray()
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def abort(self) -> None:
        self._closing = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self._closing = True

    def get_write_buffer_size(self) -> int:
        return 0


class MockedProtocol:
    """Stands in for the connection's protocol: flow control that never pauses."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport: asyncio.Transport | None = transport
        self._loop = loop
        self.reading_paused = False
        self.writing_paused = False
        self.closed = False
        self.keep_alive_requested: bool | None = None
        # Read by responses deciding on keep-alive (the real handler sets it on close).
        self._close_requested = False

    @property
    def connected(self) -> bool:
        """True until :meth:`close` or :meth:`force_close`."""
        return not self.closed

    def pause_reading(self) -> None:
        self.reading_paused = True

    def resume_reading(self) -> None:
        self.reading_paused = False

    async def drain(self) -> None:
        return None

    def keep_alive(self, val: bool) -> None:
        self.keep_alive_requested = val

    def force_close(self) -> None:
        self.closed = True

    def close(self) -> None:
        self.closed = True


class RecordingStreamWriter(AbstractStreamWriter):
    """A body writer that keeps the response instead of sending it.

    ``head`` is the serialised status line and headers, ``body`` the body bytes as
    they would leave (compressed if compression was enabled; chunked framing is not
    applied, ``chunked`` says whether it was asked for), ``eof`` whether the body
    was finished. ``length`` truncates like the real writer does.
    """

    def __init__(self) -> None:
        self.head = b""
        self.body = bytearray()
        self.eof = False
        self.chunked = False
        self.length = None
        self._compressor: Compressor | None = None

    async def write_headers(self, head: bytes) -> None:
        self.head = bytes(head)
        self.output_size += len(head)

    def send_headers(self) -> None:
        """Nothing to flush: the head is already recorded."""

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if self.eof:
            raise RuntimeError("Cannot write after write_eof()")
        data = bytes(chunk)
        if self.length is not None:
            data = data[: self.length]
            self.length -= len(data)
        if self._compressor is not None:
            data = self._compressor.compress(data)
        self.body += data
        self.output_size += len(data)
        self.buffer_size += len(data)

    async def write_eof(self, chunk: bytes = b"", trailers: Any = None) -> None:
        if self.eof:
            return
        if chunk:
            await self.write(chunk)
        if self._compressor is not None:
            tail = self._compressor.flush()
            self.body += tail
            self.output_size += len(tail)
        self.eof = True

    async def drain(self) -> None:
        self.buffer_size = 0

    def enable_compression(self, encoding: str = "deflate") -> None:
        self._compressor = Compressor(encoding)

    def enable_chunking(self) -> None:
        self.chunked = True


def _stand_in_loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        # Outside a loop the request still works; only loop-bound operations (the
        # deprecated ``request.loop``) would see this unused loop.
        return cast(asyncio.AbstractEventLoop, _NoLoop())


class _NoLoop:
    """Placeholder for ``loop`` when a request is made outside a running loop."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("make_mocked_request() was called outside a running loop; pass loop=")


def _make_message(
    method: str,
    path: str,
    headers: LooseHeaders | None,
    version: HttpVersion,
    closing: bool,
) -> RawRequestMessage:
    hdr_proxy = CIMultiDictProxy(CIMultiDict(headers or {}))
    raw_headers = tuple((k.encode("utf-8"), v.encode("utf-8")) for k, v in hdr_proxy.items())
    chunked = "chunked" in hdr_proxy.get(hdrs.TRANSFER_ENCODING, "").lower()
    upgrade = "upgrade" in hdr_proxy.get(hdrs.CONNECTION, "").lower()
    if version < HttpVersion11:
        closing = True  # HTTP/1.0 closes after each response
    return RawRequestMessage(
        method.upper(),
        path,
        version,
        hdr_proxy,
        raw_headers,
        closing,
        None,
        upgrade,
        chunked,
        URL(path),
    )


def make_mocked_request(
    method: str,
    path: str,
    headers: LooseHeaders | None = None,
    *,
    match_info: dict[str, str] | None = None,
    version: HttpVersion = HttpVersion11,
    closing: bool = False,
    app: Application | None = None,
    writer: AbstractStreamWriter | None = None,
    protocol: Any = None,
    transport: asyncio.Transport | None = None,
    payload: StreamReader | bytes | None = None,
    sslcontext: ssl.SSLContext | None = None,
    client_max_size: int = 1024**2,
    loop: Any = ...,
) -> Request:
    """Build a :class:`~heron.web.Request` for calling a handler in a unit test.

    ``headers`` may be any mapping or list of pairs; ``match_info`` the dynamic parts
    of the route (``request.match_info``); ``app`` the application (a new empty one
    if omitted); ``payload`` the body (a ``StreamReader`` or plain bytes);
    ``sslcontext`` makes the request look like HTTPS. ``writer``, ``protocol`` and
    ``transport`` default to recording stand-ins: after ``await resp.prepare(req)``
    and ``await resp.write_eof()``, ``req.writer.head`` and ``req.writer.body`` hold
    what would have been sent. ``closing`` marks the connection as not kept alive.
    """
    if loop is ... or loop is None:
        loop = _stand_in_loop()
    if transport is None:
        transport = MockedTransport({"sslcontext": sslcontext})
    if protocol is None:
        protocol = MockedProtocol(transport, loop)
    if writer is None:
        writer = RecordingStreamWriter()
    if payload is None:
        payload = EMPTY_PAYLOAD
    elif isinstance(payload, (bytes, bytearray, memoryview)):
        stream = StreamReader(protocol, 2**16, loop=loop)
        if payload:
            stream.feed_data(bytes(payload))
        stream.feed_eof()
        payload = stream
    message = _make_message(method, path, headers, version, closing)
    request = Request(
        message,
        payload,
        cast("RequestHandler", protocol),
        writer,
        cast("asyncio.Task[None]", _current_task()),
        loop,
        client_max_size=client_max_size,
    )
    info = UrlMappingMatchInfo(dict(match_info or {}), _UnroutedRoute())
    info.add_app(app if app is not None else Application())
    request._match_info = info
    return request


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class _UnroutedRoute(AbstractRoute):
    """The route of a mocked request: it was never routed."""

    def __init__(self) -> None:
        super().__init__(hdrs.METH_ANY, self._handle)

    async def _handle(self, request: Any) -> Any:
        raise RuntimeError("a mocked request has no route handler")

    def get_info(self) -> dict[str, Any]:
        return {}

    def url_for(self, *args: str, **kwargs: str) -> URL:
        raise RuntimeError("a mocked request has no route to build URLs from")


def make_mocked_coro(
    return_value: Any = None, raise_exception: BaseException | None = None
) -> AsyncMock:
    """A mock coroutine function returning ``return_value`` (or raising
    ``raise_exception``); it records calls like any :class:`unittest.mock.AsyncMock`."""
    return AsyncMock(return_value=return_value, side_effect=raise_exception)
