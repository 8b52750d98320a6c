"""Deprecated 0.x module ``aiohttp.websocket``: ``Message``, ``MSG_*``, parser and writer.

See ``heron.legacy.websocket``; modern code uses ``heron.web.WebSocketResponse`` and
``ClientSession.ws_connect()`` (messages are ``heron.WSMessage`` with ``.type``).
"""

from .legacy.websocket import *  # noqa: F403 - the façade re-exports the whole module
from .legacy.websocket import __all__ as __all__
