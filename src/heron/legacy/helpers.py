"""0.x helpers: ``heron.Timeout``, ``upstr`` and the old top-level stream names."""

from __future__ import annotations

import asyncio

from multidict import istr

from .. import helpers
from ..streams import ChunksQueue, FlowControlChunksQueue, FlowControlStreamReader
from ._deprecation import warn_deprecated

__all__ = ("ChunksQueue", "FlowControlChunksQueue", "FlowControlStreamReader", "Timeout", "upstr")

upstr = istr
"""0.x name of :class:`multidict.istr` (a case-insensitive ``str``)."""


class Timeout(helpers.Timeout):
    """0.x ``heron.Timeout(timeout)``: ``asyncio.timeout()`` with a deprecation warning.

    Works as ``async with`` and, inside a task, as the old plain ``with``; raises
    :class:`TimeoutError` when the time runs out (see :class:`heron.helpers.Timeout`).
    """

    def __init__(
        self, timeout: float | None, *, loop: asyncio.AbstractEventLoop | None = None
    ) -> None:
        warn_deprecated("heron.Timeout", "asyncio.timeout()")
        super().__init__(timeout, loop=loop)
