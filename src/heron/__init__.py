"""heron: a fast, strict asyncio HTTP client and server with the aiohttp 3.x API."""

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

from . import hdrs
from .http.models import HttpVersion, HttpVersion10, HttpVersion11

__version__ = "0.1.0.dev0"

__all__ = (
    "URL",
    "CIMultiDict",
    "CIMultiDictProxy",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "MultiDict",
    "MultiDictProxy",
    "hdrs",
    "istr",
)
