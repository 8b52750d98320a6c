"""Deprecated 0.x module ``aiohttp.errors``: the old exception names.

Each name warns (``DeprecationWarning``) and gives the modern class it maps to; see
``heron.legacy.errors`` and ``docs/legacy.md``.
"""

from __future__ import annotations

from typing import Any

from .legacy._deprecation import warn_deprecated
from .legacy.errors import REPLACEMENTS

__all__ = tuple(REPLACEMENTS)  # pyright: ignore[reportUnsupportedDunderAll]


def __getattr__(name: str) -> Any:
    replacement = REPLACEMENTS.get(name)
    if replacement is None:
        raise AttributeError(f"module 'heron.errors' has no attribute {name!r}")
    cls, modern = replacement
    warn_deprecated(f"heron.errors.{name}", modern)
    return cls


def __dir__() -> list[str]:
    return sorted(REPLACEMENTS)
