"""The 0.x ``aiohttp.errors`` names, mapped onto heron's modern exceptions.

Where a modern class means the same thing, the old name *is* that class, so an old
``except`` clause still catches what heron raises today. Where nothing modern
matches, a thin subclass keeps old code importable. :data:`REPLACEMENTS` maps every
old name to ``(class, modern spelling)``; the ``heron.errors`` façade and
``heron.__getattr__`` warn with the modern spelling whenever an old name is used.
"""

from __future__ import annotations

from ..client.exceptions import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientProxyConnectionError,
    ClientResponseError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    WSServerHandshakeError,
)
from ..http.errors import (
    BadHttpMessage,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
)

__all__ = (
    "REPLACEMENTS",
    "BadHttpMessage",
    "BadStatusLine",
    "ClientConnectionError",
    "ClientDisconnectedError",
    "ClientError",
    "ClientHttpProcessingError",
    "ClientOSError",
    "ClientRequestError",
    "ClientResponseError",
    "ClientTimeoutError",
    "DisconnectedError",
    "FingerprintMismatch",
    "HttpBadRequest",
    "HttpMethodNotAllowed",
    "HttpProcessingError",
    "HttpProxyError",
    "InvalidHeader",
    "LineTooLong",
    "ProxyConnectionError",
    "ServerDisconnectedError",
    "WSClientDisconnectedError",
    "WSServerHandshakeError",
    "WebSocketDisconnectedError",
)


class HttpMethodNotAllowed(HttpProcessingError):
    """0.x: the method is not allowed (405). heron answers 405 with ``web.HTTPMethodNotAllowed``."""

    code = 405
    message = "Method Not Allowed"


# -- straight renames: the modern class is the old one -----------------------------------

DisconnectedError = ClientConnectionError
"""0.x base of the disconnect errors; modern disconnects are ``ClientConnectionError``s."""

ClientDisconnectedError = ClientConnectionResetError
"""0.x: the connection dropped while the client used it."""

HttpBadRequest = BadHttpMessage
"""0.x: a 400 error; the parser's ``BadHttpMessage`` family is what heron raises."""

HttpProxyError = ClientHttpProxyError
"""0.x: the proxy answered CONNECT with a non-2xx status."""

ProxyConnectionError = ClientProxyConnectionError
"""0.x: the proxy could not be reached."""

ClientTimeoutError = ServerTimeoutError
"""0.x: a client operation timed out (also ``asyncio.TimeoutError``)."""

FingerprintMismatch = ServerFingerprintMismatch
"""0.x: the server's certificate does not have the pinned fingerprint."""

ClientHttpProcessingError = ClientError
"""0.x base of request/response processing errors; heron's base is ``ClientError``."""

ClientRequestError = ClientConnectionError
"""0.x: sending the request failed; heron raises ``ClientConnectionError``s for that."""


class WSClientDisconnectedError(ClientDisconnectedError):
    """0.x (already deprecated then): the WebSocket closed; ``code`` and ``message``
    are the close code and reason (0.12's ``WebSocketDisconnectedError``).

    Modern ``receive()`` never raises it (it returns a ``CLOSE``/``CLOSED`` message);
    only the 0.12-era ``WebSocketResponse.receive_msg()`` and ``wait_closed()`` do.
    """

    def __init__(self, code: int | None = None, message: str | bytes | None = None) -> None:
        super().__init__(f"WebSocket closed (code={code}, message={message!r})")
        self.code = code
        self.message = message


WebSocketDisconnectedError = WSClientDisconnectedError
"""0.12 name of :class:`WSClientDisconnectedError`."""


REPLACEMENTS: dict[str, tuple[type[BaseException], str]] = {
    "DisconnectedError": (DisconnectedError, "heron.ClientConnectionError"),
    "ClientDisconnectedError": (ClientDisconnectedError, "heron.ClientConnectionResetError"),
    "ServerDisconnectedError": (ServerDisconnectedError, "heron.ServerDisconnectedError"),
    "HttpProcessingError": (HttpProcessingError, "heron.http.HttpProcessingError"),
    "BadHttpMessage": (BadHttpMessage, "heron.http.BadHttpMessage"),
    "HttpMethodNotAllowed": (HttpMethodNotAllowed, "heron.web.HTTPMethodNotAllowed"),
    "HttpBadRequest": (HttpBadRequest, "heron.http.BadHttpMessage"),
    "HttpProxyError": (HttpProxyError, "heron.ClientHttpProxyError"),
    "BadStatusLine": (BadStatusLine, "heron.http.BadStatusLine"),
    "LineTooLong": (LineTooLong, "heron.http.LineTooLong"),
    "InvalidHeader": (InvalidHeader, "heron.http.InvalidHeader"),
    "ClientError": (ClientError, "heron.ClientError"),
    "ClientHttpProcessingError": (ClientHttpProcessingError, "heron.ClientError"),
    "ClientConnectionError": (ClientConnectionError, "heron.ClientConnectionError"),
    "ClientOSError": (ClientOSError, "heron.ClientOSError"),
    "ClientTimeoutError": (ClientTimeoutError, "heron.ServerTimeoutError"),
    "ProxyConnectionError": (ProxyConnectionError, "heron.ClientProxyConnectionError"),
    "ClientRequestError": (ClientRequestError, "heron.ClientConnectionError"),
    "ClientResponseError": (ClientResponseError, "heron.ClientResponseError"),
    "FingerprintMismatch": (FingerprintMismatch, "heron.ServerFingerprintMismatch"),
    "WSServerHandshakeError": (WSServerHandshakeError, "heron.WSServerHandshakeError"),
    "WSClientDisconnectedError": (
        WSClientDisconnectedError,
        "WSMsgType.CLOSED messages from receive()",
    ),
    "WebSocketDisconnectedError": (
        WebSocketDisconnectedError,
        "WSMsgType.CLOSED messages from receive()",
    ),
}
