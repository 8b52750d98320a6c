"""Client WebSockets: `ClientSession.ws_connect()` and `ClientWebSocketResponse`.

::

    async with session.ws_connect("ws://example.com/chat", heartbeat=30) as ws:
        await ws.send_str("hello")
        async for msg in ws:
            ...

`ws_connect` sends the upgrade request through the session (cookies, auth, proxies,
TLS and redirects work as for any request), checks the ``101`` answer strictly
(`heron.ws.validate_server_handshake`) and takes the connection over through
`ResponseHandler.switch_protocol`. A refused handshake raises `WSServerHandshakeError`
carrying the status the server answered with.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Coroutine, Generator, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict

from .. import hdrs
from .._websocket import WebSocketAPI, WSConnection
from ..ws import (
    DEFAULT_MAX_MSG_SIZE,
    DeflateOffer,
    PerMessageDeflate,
    WebSocketReader,
    WebSocketWriter,
    WSHandshakeError,
    build_client_request_headers,
    generate_key,
    validate_server_handshake,
)
from .exceptions import ClientConnectionResetError, ServerTimeoutError, WSServerHandshakeError

if TYPE_CHECKING:
    from ..helpers import BasicAuth
    from ..typedefs import LooseHeaders, StrOrURL
    from .response import ClientResponse
    from .session import ClientSession

__all__ = ("DEFAULT_WS_CLIENT_TIMEOUT", "ClientWSTimeout", "ClientWebSocketResponse", "ws_connect")


@dataclasses.dataclass(frozen=True, slots=True)
class ClientWSTimeout:
    """WebSocket timeouts in seconds (None: wait forever).

    `ws_receive` is the default timeout of `receive()`; `ws_close` is how long `close()`
    waits for the server's CLOSE.
    """

    ws_receive: float | None = None
    ws_close: float | None = None


DEFAULT_WS_CLIENT_TIMEOUT = ClientWSTimeout(ws_receive=None, ws_close=10.0)


class ClientWebSocketResponse(WebSocketAPI):
    """An open client WebSocket, returned by `ClientSession.ws_connect()`.

    Besides the shared methods (``send_str``, ``receive``, ``close``, ``async for``, ...)
    it tells what the handshake agreed: `protocol` and `compress`. Use it with
    ``async with`` to close it on the way out.
    """

    def __init__(
        self,
        connection: WSConnection,
        response: ClientResponse,
        *,
        protocol: str | None,
        compress: PerMessageDeflate | None,
        timeout: ClientWSTimeout,
    ) -> None:
        self._ws = connection
        self._response = response
        self._protocol_name = protocol
        self._agreement = compress
        self._timeout = timeout

    @property
    def protocol(self) -> str | None:
        """The subprotocol the server accepted, or None."""
        return self._protocol_name

    @property
    def compress(self) -> int:
        """The window bits of the agreed permessage-deflate for what we send, or 0."""
        agreement = self._agreement
        return agreement.client_max_window_bits if agreement is not None else 0

    @property
    def client_notakeover(self) -> bool:
        """True if the agreement resets our compression context after each message."""
        agreement = self._agreement
        return agreement is not None and agreement.client_no_context_takeover

    @property
    def response(self) -> ClientResponse:
        """The ``101`` response of the handshake (status, headers, cookies)."""
        return self._response

    def _compress_agreed(self) -> bool:
        return self._agreement is not None

    async def __aenter__(self) -> ClientWebSocketResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<ClientWebSocketResponse {state} {self._response.url}>"


class _WSRequestContextManager:
    """What `ws_connect()` returns: await it, or use it with ``async with``."""

    __slots__ = ("_coro", "_ws")

    def __init__(self, coro: Coroutine[Any, Any, ClientWebSocketResponse]) -> None:
        self._coro = coro
        self._ws: ClientWebSocketResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientWebSocketResponse]:
        return self._coro.__await__()

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> ClientWebSocketResponse:
        self._ws = await self._coro
        return self._ws

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()


def _resolve_timeout(timeout: Any, receive_timeout: float | None) -> ClientWSTimeout:
    """`timeout` is a `ClientWSTimeout`, or (aiohttp < 3.10) the close timeout in seconds."""
    if timeout is None:
        result = DEFAULT_WS_CLIENT_TIMEOUT
    elif isinstance(timeout, ClientWSTimeout):
        result = timeout
    else:
        result = ClientWSTimeout(ws_receive=None, ws_close=float(timeout))
    if receive_timeout is not None:
        if isinstance(timeout, ClientWSTimeout) and timeout.ws_receive is not None:
            raise ValueError("receive_timeout cannot be combined with timeout.ws_receive")
        result = dataclasses.replace(result, ws_receive=receive_timeout)
    return result


def _deflate_offer(compress: int | bool) -> DeflateOffer | None:
    """aiohttp's ``compress=``: 0 offers nothing; 9..15 ask the server for that window."""
    if compress is True:
        compress = 15
    if not compress:
        return None
    if not 9 <= compress <= 15:
        raise ValueError("compress must be 0 (off) or window bits 9..15")
    return DeflateOffer(server_max_window_bits=compress if compress < 15 else None)


def _handshake_headers(
    headers: LooseHeaders | None,
    key: str,
    protocols: tuple[str, ...],
    offer: DeflateOffer | None,
    origin: str | None,
) -> CIMultiDict[str]:
    result: CIMultiDict[str] = CIMultiDict(headers or {})
    for name, value in build_client_request_headers(
        key, protocols=protocols, compress=offer, origin=origin
    ):
        if name in (hdrs.UPGRADE, hdrs.CONNECTION, hdrs.SEC_WEBSOCKET_VERSION):
            result.setdefault(name, value)
        else:
            result[name] = value  # the key and what we offer must be ours
    return result


def ws_connect(
    session: ClientSession,
    url: StrOrURL,
    *,
    method: str = hdrs.METH_GET,
    protocols: Iterable[str] = (),
    timeout: ClientWSTimeout | float | None = None,
    receive_timeout: float | None = None,
    autoclose: bool = True,
    autoping: bool = True,
    heartbeat: float | None = None,
    auth: BasicAuth | None = None,
    origin: str | None = None,
    params: Any = None,
    headers: LooseHeaders | None = None,
    proxy: StrOrURL | None = None,
    proxy_auth: BasicAuth | None = None,
    ssl: Any = True,
    verify_ssl: bool | None = None,
    fingerprint: bytes | None = None,
    ssl_context: Any = None,
    server_hostname: str | None = None,
    proxy_headers: LooseHeaders | None = None,
    compress: int | bool = 0,
    max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
) -> _WSRequestContextManager:
    """Open a WebSocket to `url` through `session` (`ClientSession.ws_connect`).

    `timeout` is a `ClientWSTimeout` (a number is the close timeout, the aiohttp < 3.10
    spelling); `receive_timeout` sets its `ws_receive`. `compress` > 0 offers
    permessage-deflate (15, or 9..14 to ask the server for a smaller window).
    The other arguments are those of `ClientSession.request` and of the WebSocket
    (see `ClientWebSocketResponse`).
    """
    request_kwargs: dict[str, Any] = {
        "params": params,
        "auth": auth,
        "proxy": proxy,
        "proxy_auth": proxy_auth,
        "ssl": ssl,
        "server_hostname": server_hostname,
        "proxy_headers": proxy_headers,
    }
    for name, value in (
        ("verify_ssl", verify_ssl),
        ("fingerprint", fingerprint),
        ("ssl_context", ssl_context),
    ):
        if value is not None:
            request_kwargs[name] = value
    options = _Options(
        protocols=tuple(protocols),
        timeout=_resolve_timeout(timeout, receive_timeout),
        autoclose=autoclose,
        autoping=autoping,
        heartbeat=heartbeat,
        offer=_deflate_offer(compress),
        max_msg_size=max_msg_size,
    )
    return _WSRequestContextManager(
        _connect(session, url, method, headers, origin, options, request_kwargs)
    )


@dataclasses.dataclass(frozen=True, slots=True)
class _Options:
    protocols: tuple[str, ...]
    timeout: ClientWSTimeout
    autoclose: bool
    autoping: bool
    heartbeat: float | None
    offer: DeflateOffer | None
    max_msg_size: int


async def _connect(
    session: ClientSession,
    url: StrOrURL,
    method: str,
    headers: LooseHeaders | None,
    origin: str | None,
    options: _Options,
    request_kwargs: dict[str, Any],
) -> ClientWebSocketResponse:
    key = generate_key()
    real_headers = _handshake_headers(headers, key, options.protocols, options.offer, origin)
    resp = await session.request(
        method, url, headers=real_headers, read_until_eof=False, **request_kwargs
    )
    try:
        result = validate_server_handshake(
            resp.status, resp.headers, key, options.protocols, options.offer
        )
        connection = resp.connection
        if connection is None or connection.protocol is None:
            raise WSHandshakeError("the connection closed after the handshake", status=101)
    except WSHandshakeError as exc:
        resp.close()
        raise WSServerHandshakeError(
            resp.request_info,
            resp.history,
            message=exc.message,
            status=resp.status,
            headers=resp.headers,
        ) from None
    protocol = connection.protocol
    ws_conn = WSConnection(
        protocol,
        reader=WebSocketReader(
            is_client=True, max_msg_size=options.max_msg_size, compress=result.compress
        ),
        writer=WebSocketWriter(is_client=True, compress=result.compress),
        loop=asyncio.get_running_loop(),
        release=resp.close,
        autoclose=options.autoclose,
        autoping=options.autoping,
        heartbeat=options.heartbeat,
        receive_timeout=options.timeout.ws_receive,
        close_timeout=options.timeout.ws_close,
        timeout_error=ServerTimeoutError,
        reset_error=ClientConnectionResetError,
    )
    response_class = getattr(session, "_ws_response_class", None) or ClientWebSocketResponse
    ws = response_class(
        ws_conn,
        resp,
        protocol=result.protocol,
        compress=result.compress,
        timeout=options.timeout,
    )
    protocol.switch_protocol(ws_conn.feed_data, ws_conn.connection_lost)
    ws_conn.start()
    return ws
