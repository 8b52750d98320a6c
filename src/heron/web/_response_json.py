"""``json.dumps(data)`` for :func:`~heron.web.json_response`, at 60% of its cost.

With default arguments ``json.dumps`` runs three Python frames (``dumps``,
``JSONEncoder.encode``, ``iterencode``) around the C encoder of the standard library.
:func:`fast_dumps` builds that same C encoder with the same settings and calls it
directly, so the output is the same byte for byte (its circular-reference
``markers`` dict is empty at the start of every call, as with ``json.dumps``). Where
the C encoder is missing or does not answer like ``json.dumps``, :data:`STD_DUMPS` is
None and callers use their ``dumps`` as given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from json import encoder as _encoder
from typing import Any, Final

__all__ = ("STD_DUMPS", "fast_dumps")

_make_encoder: Any = getattr(_encoder, "c_make_encoder", None)
_escape: Any = getattr(_encoder, "c_encode_basestring_ascii", None)
# What json.dumps calls for objects it cannot encode (it raises TypeError).
_default: Final = json.JSONEncoder().default


# One encoder per thread, reused (building one costs a quarter of a small encode).
# A call takes it out while it runs and puts it back only after a success, so a nested
# call (a dict subclass's items() may run user code) builds its own and an error never
# leaves stale circular-reference markers behind.
_cache: Final = threading.local()


def fast_dumps(data: Any) -> str:
    """``json.dumps(data)`` with all defaults; see the module docstring."""
    if isinstance(data, str):
        return str(_escape(data))  # as JSONEncoder.encode does for a bare str
    cache = _cache.__dict__
    encode = cache.pop("encode", None)
    if encode is None:
        encode = _make_encoder({}, _default, _escape, None, ": ", ", ", False, False, True)
    text = "".join(encode(data, 0))
    cache["encode"] = encode
    return text


def _check() -> Callable[..., str] | None:
    """``json.dumps`` when :func:`fast_dumps` agrees with it, else None."""
    dumps = json.dumps
    if _make_encoder is None or _escape is None or getattr(dumps, "__module__", "") != "json":
        return None  # no C encoder, or json.dumps was replaced before we were imported
    sample = {"a": [1, 2.5, None, True, "é\n"], "b": {"c": "d"}, "": -0.0}
    _cache.__dict__.clear()  # check the encoder _make_encoder builds now
    try:
        same = all(
            fast_dumps(value) == dumps(value)
            for value in (sample, "x\u2028", 3, None, [float("inf")])
        )
    except Exception:  # another C encoder signature: fall back
        same = False
    finally:
        _cache.__dict__.clear()  # and keep none of those built while checking
    return dumps if same else None


STD_DUMPS: Final = _check()
