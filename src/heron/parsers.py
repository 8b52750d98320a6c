"""Deprecated 0.x module ``aiohttp.parsers``: generator-based stream parsers.

See ``heron.legacy.parsers``; modern heron parses HTTP and WebSocket sans-IO.
"""

from .legacy.parsers import *  # noqa: F403 - the façade re-exports the whole module
from .legacy.parsers import __all__ as __all__
