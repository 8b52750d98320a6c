"""The client's exception hierarchy (aiohttp 3.x names and bases).

Library errors cover connecting, the server's behaviour and the body; programmer
errors (bad arguments) are plain :class:`ValueError`/:class:`TypeError`.

::

    ClientError
    ├── ClientResponseError ── ContentTypeError, WSServerHandshakeError,
    │                          ClientHttpProxyError, TooManyRedirects
    ├── ClientConnectionError
    │   ├── ClientConnectionResetError (also ConnectionResetError)
    │   ├── ClientOSError (also OSError)
    │   │   └── ClientConnectorError
    │   │       ├── ClientConnectorDNSError, ClientProxyConnectionError,
    │   │       │   UnixClientConnectorError
    │   │       └── ClientSSLError ── ClientConnectorSSLError,
    │   │                             ClientConnectorCertificateError
    │   └── ServerConnectionError
    │       ├── ServerDisconnectedError
    │       ├── ServerTimeoutError (also TimeoutError)
    │       │   └── ConnectionTimeoutError, SocketTimeoutError
    │       └── ServerFingerprintMismatch
    ├── ClientPayloadError
    ├── InvalidURL (also ValueError) ── InvalidUrlClientError
    ├── RedirectClientError, NonHttpUrlClientError
    └── InvalidUrlRedirectClientError, NonHttpUrlRedirectClientError
"""

from __future__ import annotations

import asyncio
import ssl
import warnings
from typing import TYPE_CHECKING, Any, Protocol

from multidict import MultiMapping

if TYPE_CHECKING:
    from .reqrep import RequestInfo
    from .response import ClientResponse

__all__ = (
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "RedirectClientError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "UnixClientConnectorError",
    "WSServerHandshakeError",
)


class _ConnectionKeyLike(Protocol):
    """What connector errors read from a connection key."""

    @property
    def host(self) -> str: ...

    @property
    def port(self) -> int | None: ...

    @property
    def ssl(self) -> Any: ...


class ClientError(Exception):
    """Base class of every client error."""


class ClientResponseError(ClientError):
    """The server answered, but not the way the caller needs (status >= 400, ...).

    ``status`` is the HTTP status, ``message`` the reason phrase, ``headers`` the
    response headers, ``request_info`` the request that got this answer and
    ``history`` the responses of the redirect chain before it.
    """

    def __init__(
        self,
        request_info: RequestInfo,
        history: tuple[ClientResponse, ...],
        *,
        code: int | None = None,
        status: int | None = None,
        message: str = "",
        headers: MultiMapping[str] | None = None,
    ) -> None:
        self.request_info = request_info
        if code is not None:
            if status is not None:
                raise ValueError("Both code and status arguments are provided; use status")
            warnings.warn("code argument is deprecated, use status", DeprecationWarning, 2)
            status = code
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        url = self.request_info.real_url if self.request_info is not None else None
        return f"{self.status}, message={self.message!r}, url={str(url)!r}"

    def __repr__(self) -> str:
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        if self.headers is not None:
            args += f", headers={self.headers!r}"
        return f"{type(self).__name__}({args})"

    @property
    def code(self) -> int:
        """Deprecated alias of :attr:`status`."""
        warnings.warn("code property is deprecated, use status", DeprecationWarning, 2)
        return self.status

    @code.setter
    def code(self, value: int) -> None:
        warnings.warn("code property is deprecated, use status", DeprecationWarning, 2)
        self.status = value


class ContentTypeError(ClientResponseError):
    """``ClientResponse.json()`` found a Content-Type it was not told to accept."""


class WSServerHandshakeError(ClientResponseError):
    """The server refused or botched the WebSocket handshake."""


class ClientHttpProxyError(ClientResponseError):
    """The HTTP proxy answered a CONNECT with a status other than 200."""


class TooManyRedirects(ClientResponseError):
    """More redirects than ``max_redirects`` were followed."""


class ClientConnectionError(ClientError):
    """Base class of errors about the connection itself."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """The connection was reset while the request was being written."""


class ClientOSError(ClientConnectionError, OSError):
    """A connection error caused by an :class:`OSError`."""


class ClientConnectorError(ClientOSError):
    """The connector could not open a connection to ``host:port``."""

    def __init__(self, connection_key: _ConnectionKeyLike, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        """The underlying :class:`OSError`."""
        return self._os_error

    @property
    def host(self) -> str:
        """The host the connection was for."""
        return self._conn_key.host

    @property
    def port(self) -> int | None:
        """The port the connection was for."""
        return self._conn_key.port

    @property
    def ssl(self) -> Any:
        """The ``ssl`` setting the connection used."""
        return self._conn_key.ssl

    def __str__(self) -> str:
        ssl_repr = self.ssl if self.ssl is not True else "default"
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{ssl_repr} "
            f"[{self.strerror or self._os_error}]"
        )

    # OSError.__reduce__ would rebuild the error from (errno, strerror): keep our args.
    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """The host name could not be resolved."""


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""


class UnixClientConnectorError(ClientConnectorError):
    """The UNIX socket at ``path`` could not be connected."""

    def __init__(self, path: str, connection_key: _ConnectionKeyLike, os_error: OSError) -> None:
        self._path = path
        super().__init__(connection_key, os_error)

    @property
    def path(self) -> str:
        """The socket path."""
        return self._path

    def __str__(self) -> str:
        return (
            f"Cannot connect to unix socket {self.path} ssl:{self.ssl} "
            f"[{self.strerror or self.os_error}]"
        )


class ClientSSLError(ClientConnectorError):
    """Base class of TLS errors while connecting."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """The TLS handshake failed."""


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The server's certificate could not be verified."""

    def __init__(
        self, connection_key: _ConnectionKeyLike, certificate_error: BaseException
    ) -> None:
        self._conn_key = connection_key
        self._certificate_error = certificate_error
        self._os_error = OSError(str(certificate_error))
        OSError.__init__(self, getattr(certificate_error, "errno", None), str(certificate_error))
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> BaseException:
        """The underlying verification error."""
        return self._certificate_error

    def __str__(self) -> str:
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl} "
            f"[{type(self._certificate_error).__name__}: {self._certificate_error.args}]"
        )


class ServerConnectionError(ClientConnectionError):
    """Base class of errors caused by the server's side of the connection."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before the response was complete."""

    def __init__(self, message: Any = None) -> None:
        if message is None:
            message = "Server disconnected"
        self.args = (message,)
        self.message = message


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """A timeout while talking to the server."""


class ConnectionTimeoutError(ServerTimeoutError):
    """Connecting took longer than the ``connect``/``sock_connect`` timeout."""


class SocketTimeoutError(ServerTimeoutError):
    """The server sent nothing for longer than the ``sock_read`` timeout."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server's certificate does not have the pinned SHA-256 fingerprint."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int | None) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        self.args = (expected, got, host, port)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} expected={self.expected!r} got={self.got!r} "
            f"host={self.host!r} port={self.port!r}>"
        )


class ClientPayloadError(ClientError):
    """The response body is broken: truncated, badly chunked or badly compressed."""


class InvalidURL(ClientError, ValueError):
    """The URL cannot be requested (no host, bad syntax, ...); ``url`` holds it."""

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self) -> Any:
        """The offending URL."""
        return self._url

    @property
    def description(self) -> str | None:
        """Why the URL was refused, if known."""
        return self._description

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self}>"

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)


class InvalidUrlClientError(InvalidURL):
    """The URL given to a request is invalid."""


class RedirectClientError(ClientError):
    """Base class of errors about a redirect target."""


class NonHttpUrlClientError(ClientError):
    """The URL's scheme is not http, https, ws or wss."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect pointed at an invalid URL."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect pointed at a URL whose scheme is not HTTP."""
