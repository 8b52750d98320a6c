"""heron.web: the HTTP server, with aiohttp.web's public API."""

# -- application layer: apps, routing, middlewares, static files ----------------------
from .abc import AbstractMatchInfo, AbstractRouter, AbstractView
from .app import AppKey, Application, CleanupError
from .classview import View
from .fileresponse import FileResponse
from .forms import FileField
from .middlewares import middleware, normalize_path_middleware
from .resources import (
    AbstractResource,
    AbstractRoute,
    DynamicResource,
    MatchInfoError,
    PlainResource,
    PrefixedSubAppResource,
    PrefixResource,
    Resource,
    ResourceRoute,
    SystemRoute,
    UrlMappingMatchInfo,
)
from .routedef import *  # noqa: F403 - route definitions: get(), post(), RouteTableDef, ...
from .routedef import __all__ as _routedef_all
from .staticfiles import StaticResource
from .urldispatcher import UrlDispatcher

__all__: tuple[str, ...] = _routedef_all

__all__ += (
    "AbstractMatchInfo",
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouter",
    "AbstractView",
    "AppKey",
    "Application",
    "CleanupError",
    "DynamicResource",
    "FileField",
    "FileResponse",
    "MatchInfoError",
    "PlainResource",
    "PrefixResource",
    "PrefixedSubAppResource",
    "Resource",
    "ResourceRoute",
    "StaticResource",
    "SystemRoute",
    "UrlDispatcher",
    "UrlMappingMatchInfo",
    "View",
    "middleware",
    "normalize_path_middleware",
)

# -- server core: connections, requests, responses, exceptions, runners ------------------
from ..ws.models import WSMsgType  # noqa: E402 - aiohttp.web re-exports it too
from .exceptions import *  # noqa: E402, F403 - the whole HTTP exception tree
from .exceptions import __all__ as _exceptions_all  # noqa: E402
from .log import AbstractAccessLogger, AccessLogger  # noqa: E402
from .protocol import RequestHandler  # noqa: E402
from .request import BaseRequest, Request  # noqa: E402
from .response import ContentCoding, Response, StreamResponse, json_response  # noqa: E402
from .run_app import run_app  # noqa: E402
from .runner import *  # noqa: E402, F403 - runners and sites
from .runner import __all__ as _runner_all  # noqa: E402
from .server import Server  # noqa: E402
from .websocket import WebSocketReady, WebSocketResponse  # noqa: E402

__all__ += _exceptions_all
__all__ += _runner_all
__all__ += (
    "AbstractAccessLogger",
    "AccessLogger",
    "BaseRequest",
    "ContentCoding",
    "Request",
    "RequestHandler",
    "Response",
    "Server",
    "StreamResponse",
    "WSMsgType",
    "WebSocketReady",
    "WebSocketResponse",
    "json_response",
    "run_app",
)

# -- deployment: WSGI applications, the command line (python -m heron.web) -------------
from .cli import main  # noqa: E402
from .wsgi import WSGIHandler, wsgi_app  # noqa: E402

__all__ += ("WSGIHandler", "main", "wsgi_app")


def __getattr__(name: str) -> object:
    """0.x route classes (``PlainRoute``, ``DynamicRoute``, ``StaticRoute``), loaded
    lazily from :mod:`heron.legacy.routes` with a DeprecationWarning (docs/legacy.md)."""
    if name not in ("PlainRoute", "DynamicRoute", "StaticRoute"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from ..legacy.routes import lookup

    return lookup(name)
