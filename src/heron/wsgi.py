"""``heron.wsgi``: serve WSGI applications (the seeds' ``aiohttp.wsgi`` module path).

The API is :class:`WSGIHandler` / :func:`wsgi_app` from :mod:`heron.web.wsgi`.
:func:`WSGIServerHttpProtocol` keeps the 0.x spelling working for code that built a
protocol per connection, ``loop.create_server(lambda: WSGIServerHttpProtocol(app),
host, port)``; it is deprecated.
"""

from __future__ import annotations

import warnings
from typing import Any
from wsgiref.types import WSGIApplication

from .web.protocol import RequestHandler
from .web.server import Server
from .web.wsgi import WSGIHandler, WSGIInput, wsgi_app

__all__ = ("WSGIHandler", "WSGIInput", "WSGIServerHttpProtocol", "wsgi_app")


def WSGIServerHttpProtocol(  # the 0.x class name, kept as a factory
    app: WSGIApplication, readpayload: bool = False, is_ssl: bool = False, **kwargs: Any
) -> RequestHandler:
    """Deprecated 0.x protocol factory: one connection serving the WSGI ``app``.

    ``readpayload=True`` reads the whole body before calling the app (``wsgi.input``
    is then an ``io.BytesIO``); ``is_ssl=True`` sets ``wsgi.url_scheme`` to https.
    Other keyword arguments are server settings (``keepalive_timeout``, ...). Use
    ``web.run_app(web.wsgi_app(app))`` or a :class:`WSGIHandler` route instead.
    Unlike 0.x, ``wsgi.input`` is a blocking file read by the app's worker thread
    and ``PATH_INFO`` is percent-decoded (PEP 3333, as gunicorn and werkzeug do).
    """
    warnings.warn(
        "WSGIServerHttpProtocol is deprecated; serve web.wsgi_app(app) or route to "
        "heron.web.WSGIHandler(app)",
        DeprecationWarning,
        stacklevel=2,
    )
    handler = WSGIHandler(app, read_body_first=readpayload, url_scheme="https" if is_ssl else None)
    return Server(handler, **kwargs)()
