"""Deprecated 0.x module ``aiohttp.protocol``: low-level message writers and parsers.

See ``heron.legacy.protocol``; modern servers answer with ``heron.web.Response``.
"""

from .legacy.protocol import *  # noqa: F403 - the façade re-exports the whole module
from .legacy.protocol import __all__ as __all__
