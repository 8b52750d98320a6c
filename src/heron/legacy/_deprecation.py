"""The one place the 0.x aliases say that they are deprecated."""

from __future__ import annotations

import warnings

__all__ = ("warn_deprecated",)


def warn_deprecated(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` (a 0.x spelling) is deprecated in favour of ``new``.

    ``stacklevel=3`` points at the caller of the function that calls this helper, so
    the warning names the user's line (and the default filters show it once per line).
    """
    warnings.warn(f"{old} is deprecated, use {new}", DeprecationWarning, stacklevel=stacklevel)
