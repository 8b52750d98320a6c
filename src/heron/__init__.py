"""heron: a fast, strict asyncio HTTP client and server with the aiohttp 3.x API."""

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

from . import hdrs
from ._version import __version__ as __version__
from .formdata import FormData
from .helpers import BasicAuth, ChainMapProxy, ETag
from .http.models import HttpVersion, HttpVersion10, HttpVersion11
from .multipart import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    BodyPartReader,
    MultipartReader,
    MultipartWriter,
    content_disposition_filename,
    parse_content_disposition,
)
from .payload import (
    PAYLOAD_REGISTRY,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Payload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
    payload_type,
)
from .streams import EMPTY_PAYLOAD, DataQueue, EofStream, FlowControlDataQueue, StreamReader
from .ws.models import WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__: tuple[str, ...] = (
    "URL",
    "BadContentDispositionHeader",
    "BadContentDispositionParam",
    "BodyPartReader",
    "CIMultiDict",
    "CIMultiDictProxy",
    "FormData",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "MultiDict",
    "MultiDictProxy",
    "MultipartReader",
    "MultipartWriter",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "content_disposition_filename",
    "hdrs",
    "istr",
    "parse_content_disposition",
)

__all__ += (  # building blocks: helpers, payloads, streams
    "EMPTY_PAYLOAD",
    "PAYLOAD_REGISTRY",
    "AsyncIterablePayload",
    "BasicAuth",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "ChainMapProxy",
    "DataQueue",
    "ETag",
    "EofStream",
    "FlowControlDataQueue",
    "IOBasePayload",
    "JsonPayload",
    "Payload",
    "StreamReader",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
    "payload_type",
)

from .client import *  # noqa: E402, F403 - the HTTP client (issue 7)
from .client import __all__ as _client_all  # noqa: E402

__all__ += _client_all


def __getattr__(name: str) -> object:
    """0.x names (``heron.get``, ``heron.MsgType``, ``heron.Timeout``, ``heron.Response``,
    old error names, ...), loaded lazily from :mod:`heron.legacy` with a
    DeprecationWarning; see ``docs/legacy.md``."""
    from .legacy import lookup

    return lookup(name)
