"""0.x ``aiohttp.server.ServerHttpProtocol``: a server that calls ``handle_request``.

Subclass it and override ``async def handle_request(self, message, payload)``;
``message`` is heron's parsed head (:class:`heron.http.RawRequestMessage`), ``payload``
a :class:`heron.StreamReader` with the body. Write the answer with the 0.x writer
:class:`heron.protocol.Response` over ``self.writer``::

    class Handler(ServerHttpProtocol):
        async def handle_request(self, message, payload):
            response = heron.Response(self.writer, 200, http_version=message.version)
            response.add_header("Content-Length", "2")
            response.send_headers()
            response.write(b"OK")
            await response.write_eof()
            self.keep_alive(True)       # else the connection closes after this request

    server = await loop.create_server(lambda: Handler(keep_alive=75), "127.0.0.1", 8080)

As in 0.x, the connection closes after every request unless the handler calls
``self.keep_alive(True)``; an idle kept-alive connection closes after ``keep_alive``
seconds (75). The default ``handle_request`` answers 404. A malformed request gets
the parser's status (400, 414, 431, 505, ...) from :meth:`handle_error`, which always
closes the connection. An unread body also ends the keep-alive. After a WebSocket
(or any) upgrade every later byte goes to ``self.reader``, a
:class:`heron.parsers.StreamParser`, for a generator parser such as
``heron.websocket.WebSocketParser``.

Modern code uses :class:`heron.web.Server` with a ``handler(request)`` coroutine.
"""

from __future__ import annotations

import asyncio
import html
import inspect
import logging
import traceback
from collections import deque
from typing import Any

from ..flow import BaseProtocol
from ..http.errors import HttpProcessingError
from ..http.models import EndOfMessage, HttpVersion11, RawRequestMessage, Upgrade
from ..http.parser import HttpRequestParser
from ..http.reasons import reason_phrase
from ..streams import StreamReader
from ..web.log import AccessLogger, server_logger
from ._deprecation import warn_deprecated
from .parsers import StreamParser
from .protocol import Response

__all__ = ("ServerHttpProtocol",)

_ACCESS_FORMAT = '%a %l %u %t "%r" %s %b "%{Referrer}i" "%{User-Agent}i"'
_Item = tuple[RawRequestMessage, StreamReader] | HttpProcessingError


class _Writer:
    """``self.writer`` of the protocol: writes to the transport, waits for a slow peer."""

    __slots__ = ("_protocol",)

    def __init__(self, protocol: ServerHttpProtocol) -> None:
        self._protocol = protocol

    @property
    def transport(self) -> asyncio.Transport | None:
        return self._protocol.transport

    @property
    def writing_paused(self) -> bool:
        return self._protocol.writing_paused

    def write(self, data: bytes) -> None:
        transport = self._protocol.transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    async def drain(self) -> None:
        await self._protocol.drain()


class ServerHttpProtocol(BaseProtocol):
    """The 0.x low-level HTTP server protocol (see the module docstring)."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        keep_alive: float | None = 75,
        keep_alive_on: bool = True,
        timeout: float = 0,
        logger: logging.Logger = server_logger,
        access_log: logging.Logger | None = None,
        access_log_format: str = _ACCESS_FORMAT,
        debug: bool = False,
        log: Any = None,
        allowed_methods: tuple[str, ...] = (),
        max_line_size: int = 8190,
        max_headers: int = 128,
        max_field_size: int = 8190,
        **kwargs: Any,
    ) -> None:
        warn_deprecated("heron.server.ServerHttpProtocol", "heron.web.Server(handler)")
        super().__init__(loop)
        self._keep_alive_timeout = keep_alive
        self._keep_alive_on = keep_alive_on
        self._timeout = timeout
        self.logger = log or logger
        self.debug = debug
        self.access_log = access_log
        self._access_logger = (
            AccessLogger(access_log, access_log_format) if access_log is not None else None
        )
        self._allowed_methods = tuple(m.upper() for m in allowed_methods)
        self._parser = HttpRequestParser(
            max_line_size=max_line_size, max_headers=max_headers, max_field_size=max_field_size
        )
        self.writer = _Writer(self)
        self.reader = StreamParser(loop=loop)
        self._items: deque[_Item] = deque()
        self._wakeup: asyncio.Event | None = None
        self._payload: StreamReader | None = None
        self._upgraded = False
        self._failed = False
        self._keepalive = False
        self._closing = False
        self._busy = False
        self._task: asyncio.Task[None] | None = None
        self._slow_handle: asyncio.TimerHandle | None = None

    # -- settings ------------------------------------------------------------------

    @property
    def keep_alive_timeout(self) -> float | None:
        """Seconds an idle kept-alive connection stays open (75 by default)."""
        return self._keep_alive_timeout

    def keep_alive(self, val: bool) -> None:
        """Keep the connection open after the current request (if keep-alive is on)."""
        self._keepalive = val

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        loop = self._loop = self._loop or asyncio.get_running_loop()
        self.reader.set_transport(transport)
        self._wakeup = asyncio.Event()
        self._task = loop.create_task(self.start())

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._cancel_slow_timer()
        if self._payload is not None:
            if exc is None:
                self._payload.set_exception(ConnectionResetError("Connection lost"))
            else:
                self._payload.set_exception(exc)
            self._payload = None
        if exc is None:
            self.reader.feed_eof()
        else:
            self.reader.set_exception(exc)
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()

    def data_received(self, data: bytes) -> None:
        if self._upgraded:
            self.reader.feed_data(data)
            return
        if self._failed:
            return
        try:
            events = self._parser.feed_data(data)
        except HttpProcessingError as exc:
            self._failed = True
            self._push(exc)
            return
        self._handle_events(events)
        if self._timeout and self._slow_handle is None and self._parser_has_partial_head():
            assert self._loop is not None
            self._slow_handle = self._loop.call_later(self._timeout, self.cancel_slow_request)

    def _parser_has_partial_head(self) -> bool:
        return self._payload is None and not self._upgraded

    def _handle_events(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, RawRequestMessage):
                self._cancel_slow_timer()
                self._payload = StreamReader(self, 2**16, loop=self._loop)
                self._push((event, self._payload))
            elif isinstance(event, EndOfMessage):
                if self._payload is not None:
                    self._payload.feed_eof()
                self._payload = None
            elif isinstance(event, Upgrade):
                # Everything from here on is the new protocol's: see self.reader.
                self._upgraded = True
                self.reader.feed_data(event.tail)
            elif self._payload is not None:
                self._payload.feed_data(event)

    def _push(self, item: _Item) -> None:
        self._items.append(item)
        if self._wakeup is not None:
            self._wakeup.set()

    # -- timers ----------------------------------------------------------------------

    def cancel_slow_request(self) -> None:
        """The request head took longer than ``timeout`` seconds: close the connection."""
        self._slow_handle = None
        if self.transport is not None and not self._busy:
            self.logger.debug("Slow request: closing the connection")
            self.transport.close()

    def _cancel_slow_timer(self) -> None:
        if self._slow_handle is not None:
            self._slow_handle.cancel()
            self._slow_handle = None

    def closing(self, timeout: float = 15.0) -> None:
        """The worker is exiting: stop keeping alive, close when idle, force after ``timeout``."""
        self._closing = True
        self._keepalive = False
        transport = self.transport
        if transport is None:
            return
        if not self._busy:
            transport.close()
            return
        assert self._loop is not None
        self._loop.call_later(timeout, transport.close)

    # -- the request loop ------------------------------------------------------------------

    async def _next_item(self) -> _Item | None:
        assert self._wakeup is not None
        while not self._items:
            if self._closing or not self.connected:
                return None
            self._wakeup.clear()
            try:
                async with asyncio.timeout(self._keep_alive_timeout or None):
                    await self._wakeup.wait()
            except TimeoutError:
                if not self._items:
                    return None  # idle for keep_alive seconds
        return self._items.popleft()

    async def start(self) -> None:
        """Serve requests on this connection until it must close."""
        try:
            while True:
                item = await self._next_item()
                if item is None:
                    break
                if isinstance(item, HttpProcessingError):
                    await self.handle_error(item.code or 400, exc=item)
                    break
                if not await self._serve_one(*item):
                    break
        except asyncio.CancelledError:
            pass
        finally:
            if self.transport is not None:
                self.transport.close()

    async def _serve_one(self, message: RawRequestMessage, payload: StreamReader) -> bool:
        """Handle one request; True to go on with the next one on this connection."""
        self._busy = True
        self._keepalive = False
        try:
            if self._allowed_methods and message.method not in self._allowed_methods:
                allow = ", ".join(self._allowed_methods)
                await self.handle_error(405, message, payload, headers=(("Allow", allow),))
                return False
            result = self.handle_request(message, payload)
            if inspect.isawaitable(result):
                await result
        except (asyncio.CancelledError, ConnectionError):
            return False
        except Exception as exc:
            await self.handle_error(500, message, payload, exc)
            return False
        finally:
            self._busy = False
        # Keep-alive only when asked for, allowed, and the body was read to the end
        # (so the next request's bytes are not stuck behind it).
        return (
            self._keepalive
            and self._keep_alive_on
            and not self._upgraded
            and not self._closing
            and not message.should_close
            and payload.at_eof()
        )

    async def handle_request(self, message: RawRequestMessage, payload: StreamReader) -> None:
        """Override this. The default answers 404 and closes the connection."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        body = b"Page Not Found!"
        response = Response(self.writer, 404, http_version=message.version, close=True)
        response.add_header("Content-Type", "text/plain")
        response.add_header("Content-Length", str(len(body)))
        response.send_headers()
        response.write(body)
        await response.write_eof()
        self.keep_alive(False)
        self.log_access(message, None, response, loop.time() - started)

    async def handle_error(
        self,
        status: int = 500,
        message: RawRequestMessage | None = None,
        payload: StreamReader | None = None,
        exc: BaseException | None = None,
        headers: Any = None,
        reason: str | None = None,
    ) -> None:
        """Answer an error page and close the connection (always).

        5xx errors are logged with their traceback; in ``debug`` mode the page shows
        the traceback, HTML-escaped.
        """
        self.keep_alive(False)
        try:
            reason = reason or reason_phrase(status) or "Error"
            detail = ""
            if status >= 500:
                self.logger.exception("Error handling request", exc_info=exc)
                detail = "Server got itself in trouble"
                if self.debug and exc is not None:
                    tb = "".join(traceback.format_exception(exc))
                    detail = f"<h2>Traceback:</h2>\n<pre>{html.escape(tb)}</pre>"
            elif isinstance(exc, HttpProcessingError) and exc.message:
                detail = html.escape(exc.message)
            page = (
                f"<html><head><title>{status} {html.escape(reason)}</title></head>"
                f"<body><h1>{status} {html.escape(reason)}</h1>{detail}</body></html>"
            ).encode()
            version = message.version if message is not None else HttpVersion11
            response = Response(self.writer, status, http_version=version, close=True)
            response.add_header("Content-Type", "text/html; charset=utf-8")
            response.add_header("Content-Length", str(len(page)))
            extra = headers if headers is not None else getattr(exc, "headers", None)
            for name, value in _header_items(extra):
                response.add_header(name, value)
            response.send_headers()
            response.write(page)
            await response.write_eof()
            if message is not None:
                self.log_access(message, None, response, 0.0)
        finally:
            if self.transport is not None:
                self.transport.close()

    # -- logging ------------------------------------------------------------------------

    def log_access(
        self, message: RawRequestMessage, environ: Any, response: Any, time: float
    ) -> None:
        """Write one access-log line (only when ``access_log`` was given)."""
        if self._access_logger is None or not self._access_logger.enabled:
            return
        request = _AccessRequest(message, self.transport)
        self._access_logger.log(request, response, time)  # type: ignore[arg-type]

    def log_debug(self, *args: Any, **kw: Any) -> None:
        """Log on the server logger in debug mode only."""
        if self.debug:
            self.logger.debug(*args, **kw)

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """Log an error with its traceback on the server logger."""
        self.logger.exception(*args, **kw)


def _header_items(headers: Any) -> list[tuple[str, str]]:
    if not headers:
        return []
    if hasattr(headers, "items"):
        return list(headers.items())
    return list(headers)


class _AccessRequest:
    """What the access logger reads from a request, taken from a 0.x message."""

    def __init__(self, message: RawRequestMessage, transport: asyncio.BaseTransport | None) -> None:
        self.method = message.method
        self.path_qs = message.path
        self.version = message.version
        self.headers = message.headers
        peer = transport.get_extra_info("peername") if transport is not None else None
        self.remote = peer[0] if isinstance(peer, (tuple, list)) else None
