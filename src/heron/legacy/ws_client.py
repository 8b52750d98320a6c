"""0.x module-level ``heron.ws_connect(url, ...)``: a WebSocket in a session of its own.

The returned WebSocket owns that session: closing it (``await ws.close()``, leaving
``async with``) or seeing the peer close it (``receive()`` returning ``CLOSE``,
``CLOSED`` or ``ERROR``) also closes the session and its connector. Both 0.x forms
work::

    ws = await heron.ws_connect(url)          # 0.x: ws = yield from aiohttp.ws_connect(url)
    await ws.send_str("hi")
    msg = await ws.receive()
    await ws.close()                          # the session is closed too

    async with heron.ws_connect(url) as ws:   # closed (with its session) on exit
        ...

The keyword arguments are those of ``ClientSession.ws_connect()`` (``protocols``,
``timeout`` — a number is the close timeout, as in 0.x —, ``auth``, ``autoclose``,
``autoping``, ``origin``, ``headers``, ...) plus ``connector`` (kept open when given:
the session does not own it), ``ws_response_class`` (a ``ClientWebSocketResponse``
subclass) and the 0.x ``loop``. Modern code: ``async with ClientSession() as s:
async with s.ws_connect(url) as ws:``.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Generator
from types import TracebackType
from typing import Any

from ..client.connector import BaseConnector
from ..client.session import ClientSession
from ..client.tcp import TCPConnector
from ..client.websocket import ClientWebSocketResponse
from ..ws.models import WSMessage, WSMsgType
from ._deprecation import warn_deprecated

__all__ = ("SessionOwningWebSocket", "ws_connect")

_END_TYPES = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


class SessionOwningWebSocket(ClientWebSocketResponse):
    """A client WebSocket that closes its session when it closes (see the module docs)."""

    _closing_session: asyncio.Future[None] | None = None

    def _close_session(self) -> asyncio.Future[None] | None:
        session = self.response._session
        if self._closing_session is None and isinstance(session, ClientSession):
            self._closing_session = asyncio.ensure_future(session.close())
        return self._closing_session

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """:meth:`ClientWebSocketResponse.receive`; the session closes with the socket."""
        msg = await super().receive(timeout)
        if msg.type in _END_TYPES and self.closed:
            closing = self._close_session()
            if closing is not None:
                await asyncio.shield(closing)
        return msg

    async def close(self, *, code: int = 1000, message: str | bytes = b"") -> bool:
        """Close the socket (see ``ClientWebSocketResponse.close``), then the session."""
        try:
            return await super().close(code=code, message=message)
        finally:
            closing = self._close_session()
            if closing is not None:
                await asyncio.shield(closing)


@functools.cache
def _owning_class(cls: type[ClientWebSocketResponse]) -> type[ClientWebSocketResponse]:
    """``cls`` with the session-owning behaviour mixed in (one class per ``cls``)."""
    if issubclass(cls, SessionOwningWebSocket):
        return cls
    return type(f"SessionOwning{cls.__name__}", (SessionOwningWebSocket, cls), {})


class _OneShotWebSocket:
    """What ``heron.ws_connect()`` returns: awaitable (the socket), ``async with``."""

    __slots__ = ("_kwargs", "_url", "_ws")

    def __init__(self, url: Any, kwargs: dict[str, Any]) -> None:
        self._url = url
        self._kwargs = kwargs
        self._ws: ClientWebSocketResponse | None = None

    async def _connect(self) -> ClientWebSocketResponse:
        kwargs = dict(self._kwargs)
        connector: BaseConnector | None = kwargs.pop("connector", None)
        loop = kwargs.pop("loop", None)
        ws_class = kwargs.pop("ws_response_class", None) or ClientWebSocketResponse
        owner = connector is None
        if connector is None:
            connector = TCPConnector(loop=loop)
        session = ClientSession(
            connector=connector,
            connector_owner=owner,
            ws_response_class=_owning_class(ws_class),
        )
        try:
            ws: ClientWebSocketResponse = await session.ws_connect(self._url, **kwargs)
        except BaseException:
            await session.close()
            raise
        self._ws = ws
        return ws

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._connect().__await__()

    async def __aenter__(self) -> ClientWebSocketResponse:
        return await self._connect()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()


def ws_connect(url: Any, **kwargs: Any) -> _OneShotWebSocket:
    """0.x ``heron.ws_connect(url, ...)`` (deprecated); see the module docstring."""
    warn_deprecated("heron.ws_connect()", "ClientSession().ws_connect()")
    return _OneShotWebSocket(url, kwargs)
