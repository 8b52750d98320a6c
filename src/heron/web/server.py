"""The low-level server: a request handler coroutine, no application.

``Server(handler)`` is a protocol factory for :meth:`asyncio.loop.create_server`
(or a :class:`~heron.web.ServerRunner`); every connection gets a
:class:`~heron.web.protocol.RequestHandler` and every request is passed to
``await handler(request)``, which returns a response::

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="OK")

    runner = web.ServerRunner(web.Server(handler))
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ..http.models import RawRequestMessage
from ..streams import StreamReader
from ..writer import AbstractStreamWriter
from .log import AbstractAccessLogger, AccessLogger, access_logger
from .protocol import RequestHandler
from .request import BaseRequest, _new_request
from .response import StreamResponse

__all__ = ("Server",)

_RequestFactory = Callable[
    [RawRequestMessage, StreamReader, RequestHandler, AbstractStreamWriter, "asyncio.Task[None]"],
    BaseRequest,
]


class Server:
    """Serve HTTP/1.x connections by calling ``handler(request)`` for each request.

    Keyword arguments configure every connection: ``keepalive_timeout`` (75 s),
    ``request_head_timeout`` (30 s to receive a complete request head),
    ``body_read_timeout`` (60 s without a body byte while the handler waits for the
    body: the read fails with 408 and the connection closes; None disables it),
    ``tcp_keepalive``, ``max_line_size``, ``max_field_size``, ``max_headers``,
    ``max_pipelined`` (queued requests before reading pauses), ``lingering_time``,
    ``read_bufsize``, ``auto_decompress``, ``logger``, ``debug``; plus the access log
    (``access_log_class``, ``access_log`` logger or None, ``access_log_format``) and
    ``handler_cancellation`` (cancel the handler when its client disconnects).
    """

    def __init__(
        self,
        handler: Callable[[BaseRequest], Awaitable[StreamResponse]],
        *,
        request_factory: _RequestFactory | None = None,
        handler_cancellation: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
        access_log_class: type[AbstractAccessLogger] = AccessLogger,
        access_log: logging.Logger | None = access_logger,
        access_log_format: str = AccessLogger.LOG_FORMAT,
        **kwargs: Any,
    ) -> None:
        if not (
            isinstance(access_log_class, type)
            and issubclass(access_log_class, AbstractAccessLogger)
        ):
            raise TypeError(
                "access_log_class must be a subclass of AbstractAccessLogger, "
                f"got {access_log_class!r}"
            )
        self._loop = loop
        self._connections: dict[RequestHandler, None] = {}
        self._kwargs = kwargs
        self.requests_count = 0
        self.request_handler = handler
        self.request_factory: _RequestFactory = request_factory or self._make_request
        self.handler_cancellation = handler_cancellation
        self.access_logger: AbstractAccessLogger | None = (
            access_log_class(access_log, access_log_format) if access_log is not None else None
        )
        # Fail now, not on the first connection, if a setting is misspelt.
        kwargs.pop("timeout_ceil_threshold", None)  # aiohttp's timer rounding: not needed
        unknown = set(kwargs) - _HANDLER_SETTINGS
        if unknown:
            raise TypeError(f"Unknown server settings: {', '.join(sorted(unknown))}")

    @property
    def connections(self) -> list[RequestHandler]:
        """The open connections."""
        return list(self._connections)

    def connection_made(self, handler: RequestHandler, transport: asyncio.BaseTransport) -> None:
        """Called by each connection when it opens."""
        self._connections[handler] = None

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        """Called by each connection when it closes."""
        self._connections.pop(handler, None)

    def _make_request(
        self,
        message: RawRequestMessage,
        payload: StreamReader,
        protocol: RequestHandler,
        writer: AbstractStreamWriter,
        task: asyncio.Task[None],
    ) -> BaseRequest:
        # _new_request: BaseRequest(...) without the class call's argument packing.
        return _new_request(BaseRequest, message, payload, protocol, writer, task, protocol._loop)

    def pre_shutdown(self) -> None:
        """Stop keeping connections alive; idle ones close at once."""
        for conn in list(self._connections):
            conn.close()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Let requests in progress finish (up to ``timeout`` seconds), then close all."""
        conns = list(self._connections)
        if conns:
            await asyncio.gather(*(conn.shutdown(timeout) for conn in conns))
        self._connections.clear()

    def __call__(self) -> RequestHandler:
        """Create the protocol for a new connection (the protocol factory)."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        return RequestHandler(
            self,
            loop=loop,
            handler_cancellation=self.handler_cancellation,
            access_logger=self.access_logger,
            **self._kwargs,
        )


_HANDLER_SETTINGS = frozenset(
    {
        "keepalive_timeout",
        "request_head_timeout",
        "body_read_timeout",
        "tcp_keepalive",
        "logger",
        "max_line_size",
        "max_field_size",
        "max_headers",
        "max_pipelined",
        "lingering_time",
        "read_bufsize",
        "auto_decompress",
        "debug",
    }
)
