"""The one place the 0.x aliases say that they are deprecated."""

from __future__ import annotations

import os
import sys
import warnings

__all__ = ("warn_deprecated", "warn_deprecated_by_caller")

# heron's own source folder: frames in it are not "the user's line".
_HERON_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` (a 0.x spelling) is deprecated in favour of ``new``.

    ``stacklevel=3`` points at the caller of the function that calls this helper, so
    the warning names the user's line (and the default filters show it once per line).
    """
    warnings.warn(f"{old} is deprecated, use {new}", DeprecationWarning, stacklevel=stacklevel)


def warn_deprecated_by_caller(old: str, new: str) -> None:
    """Like :func:`warn_deprecated`, pointing at the first line outside heron.

    For aliases reached through a varying number of heron frames (a connector argument
    passed on by subclasses' ``__init__``, for example).
    """
    level = 3
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_HERON_ROOT):
        frame = frame.f_back
        level += 1
    warn_deprecated(old, new, stacklevel=level)
