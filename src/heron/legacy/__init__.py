"""heron's 0.x-era API, kept as thin deprecated aliases over the modern API.

The seeds (aiohttp's manuals from 0.x to 3.0) document names that aiohttp 3.x dropped.
Old programs keep running on heron: every alias here is a small layer over a modern
piece and emits a :class:`DeprecationWarning` that names its replacement. The table of
old spellings and their replacements is ``docs/legacy.md``.

The implementations live in this package, one small module per old area; the old
module paths (``heron.errors``, ``heron.server``, ``heron.parsers``, ``heron.protocol``,
``heron.websocket``) are façades over them, and the old top-level names
(``heron.get``, ``heron.ProxyConnector``, ``heron.Response``, ...) are looked up
lazily by :func:`lookup` from ``heron.__getattr__``, so that importing heron costs
nothing for programs that do not use them.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._deprecation import warn_deprecated

__all__ = ("TOP_LEVEL", "lookup", "warn_deprecated")

# heron.<name> -> (module under heron.legacy, attribute, modern spelling or None).
# None: the object warns by itself when it is called or instantiated, so looking it
# up stays quiet (one warning per use, not two).
TOP_LEVEL: dict[str, tuple[str, str, str | None]] = {
    "get": ("client", "get", None),
    "post": ("client", "post", None),
    "put": ("client", "put", None),
    "patch": ("client", "patch", None),
    "delete": ("client", "delete", None),
    "head": ("client", "head", None),
    "options": ("client", "options", None),
    "ProxyConnector": ("client", "ProxyConnector", None),
    "Timeout": ("helpers", "Timeout", None),
    "MsgType": ("websocket", "MsgType", "heron.WSMsgType"),
    "Response": ("protocol", "Response", "heron.web.Response (or heron.web.Server)"),
    "Request": ("protocol", "Request", "heron.ClientSession.request()"),
    "HttpMessage": ("protocol", "HttpMessage", "heron.web.StreamResponse"),
    "upstr": ("helpers", "upstr", "heron.istr"),
    "ws_connect": ("ws_client", "ws_connect", None),
    "FlowControlStreamReader": ("helpers", "FlowControlStreamReader", "heron.StreamReader"),
    "ChunksQueue": ("helpers", "ChunksQueue", "heron.streams.ChunksQueue"),
    "FlowControlChunksQueue": (
        "helpers",
        "FlowControlChunksQueue",
        "heron.streams.FlowControlChunksQueue",
    ),
}


def lookup(name: str, *, stacklevel: int = 4) -> Any:
    """Return the 0.x top-level name ``heron.<name>``; AttributeError if there is none.

    Old exception names (``heron.HttpProcessingError``, ...) are found through
    :data:`heron.legacy.errors.REPLACEMENTS`.
    """
    from .errors import REPLACEMENTS

    entry = TOP_LEVEL.get(name)
    if entry is not None:
        module, attr, modern = entry
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        if modern is not None:
            warn_deprecated(f"heron.{name}", modern, stacklevel=stacklevel)
        return value
    replacement = REPLACEMENTS.get(name)
    if replacement is not None:
        cls, modern = replacement
        warn_deprecated(f"heron.{name}", modern, stacklevel=stacklevel)
        return cls
    raise AttributeError(f"module 'heron' has no attribute {name!r}")
