"""Deprecated 0.x module ``aiohttp.parsers``: generator-based stream parsers.

See ``heron.legacy.parsers``; modern heron parses HTTP and WebSocket sans-IO.
"""

from .legacy.parsers import (
    ChunksParser,
    ChunksQueue,
    DataQueue,
    EofStream,
    FlowControlChunksQueue,
    FlowControlDataQueue,
    LinesParser,
    ParserBuffer,
    StreamParser,
    StreamProtocol,
)

__all__ = (
    "ChunksParser",
    "ChunksQueue",
    "DataQueue",
    "EofStream",
    "FlowControlChunksQueue",
    "FlowControlDataQueue",
    "LinesParser",
    "ParserBuffer",
    "StreamParser",
    "StreamProtocol",
)
