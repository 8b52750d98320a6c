"""heron: a fast, strict asyncio HTTP client and server with the aiohttp 3.x API."""

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

from . import hdrs
from .formdata import FormData
from .helpers import BasicAuth, ChainMapProxy, ETag, Timeout
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
from .ws.models import WSCloseCode, WSMessage, WSMsgType

MsgType = WSMsgType  # deprecated 0.x name

__version__ = "0.1.0.dev0"

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
    "MsgType",
    "MultiDict",
    "MultiDictProxy",
    "MultipartReader",
    "MultipartWriter",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
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
    "Timeout",
    "get_payload",
    "payload_type",
)
