"""Sans-IO HTTP/1.1: message types, parsers, serialisation and content codings.

Nothing in this package touches asyncio or sockets: bytes go in, messages come out.
"""

from .compression import SUPPORTED_ENCODINGS, Compressor, Decompressor
from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .models import *  # noqa: F403
from .models import __all__ as _models_all
from .parser import (
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    Event,
    HttpRequestParser,
    HttpResponseParser,
    RequestEvent,
    ResponseEvent,
)
from .reasons import reason_phrase
from .serializer import (
    serialize_chunk,
    serialize_headers,
    serialize_last_chunk,
    serialize_request_head,
    serialize_response_head,
)

__all__ = (
    *_errors_all,
    *_models_all,
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "SUPPORTED_ENCODINGS",
    "Compressor",
    "Decompressor",
    "Event",
    "HttpRequestParser",
    "HttpResponseParser",
    "RequestEvent",
    "ResponseEvent",
    "reason_phrase",
    "serialize_chunk",
    "serialize_headers",
    "serialize_last_chunk",
    "serialize_request_head",
    "serialize_response_head",
)
