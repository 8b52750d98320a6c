"""heron's HTTP client: sessions, connectors, requests and responses."""

from .abc import AbstractCookieJar, AbstractResolver, ResolveResult
from .connector import BaseConnector, Connection, UnixConnector
from .cookiejar import CookieJar, DummyCookieJar
from .exceptions import *  # noqa: F403
from .exceptions import __all__ as _exceptions_all
from .reqrep import ClientRequest, ConnectionKey, RequestInfo
from .resolver import AsyncResolver, DefaultResolver, ThreadedResolver
from .response import ClientResponse
from .session import ClientSession, request
from .tcp import TCPConnector
from .timeouts import ClientTimeout
from .tls import Fingerprint
from .tracing import *  # noqa: F403
from .tracing import __all__ as _tracing_all
from .websocket import ClientWebSocketResponse, ClientWSTimeout

__all__: tuple[str, ...] = (
    *_exceptions_all,
    *_tracing_all,
    "AbstractCookieJar",
    "AbstractResolver",
    "AsyncResolver",
    "BaseConnector",
    "ClientRequest",
    "ClientResponse",
    "ClientSession",
    "ClientTimeout",
    "ClientWSTimeout",
    "ClientWebSocketResponse",
    "Connection",
    "ConnectionKey",
    "CookieJar",
    "DefaultResolver",
    "DummyCookieJar",
    "Fingerprint",
    "RequestInfo",
    "ResolveResult",
    "TCPConnector",
    "ThreadedResolver",
    "UnixConnector",
    "request",
)
