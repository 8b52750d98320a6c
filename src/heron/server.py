"""Deprecated 0.x module ``aiohttp.server``: the low-level ``ServerHttpProtocol``.

Modern code serves ``heron.web.Server(handler)``; see ``heron.legacy.server``.
"""

from .legacy.server import ServerHttpProtocol

__all__ = ("ServerHttpProtocol",)
