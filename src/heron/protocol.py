"""Deprecated 0.x module ``aiohttp.protocol``: low-level message writers and parsers.

See ``heron.legacy.protocol``; modern servers answer with ``heron.web.Response``.
"""

from .legacy.protocol import (
    HttpMessage,
    HttpRequestParser,
    HttpResponseParser,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawRequestMessage,
    RawResponseMessage,
    Request,
    Response,
)

__all__ = (
    "HttpMessage",
    "HttpRequestParser",
    "HttpResponseParser",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "RawRequestMessage",
    "RawResponseMessage",
    "Request",
    "Response",
)
