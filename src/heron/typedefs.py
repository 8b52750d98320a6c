"""Type aliases shared across heron's public API."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy, istr
from yarl import URL

__all__ = (
    "DEFAULT_JSON_DECODER",
    "DEFAULT_JSON_ENCODER",
    "JSONDecoder",
    "JSONEncoder",
    "LooseCookies",
    "LooseHeaders",
    "PathLike",
    "StrOrURL",
)

JSONEncoder = Callable[[Any], str]
JSONDecoder = Callable[[str], Any]
DEFAULT_JSON_ENCODER: JSONEncoder = json.dumps
DEFAULT_JSON_DECODER: JSONDecoder = json.loads

StrOrURL = str | URL
PathLike = str | os.PathLike[str]

LooseHeaders = (
    Mapping[str, str]
    | Mapping[istr, str]
    | CIMultiDict[str]
    | CIMultiDictProxy[str]
    | Iterable[tuple[str | istr, str]]
)
LooseCookies = Mapping[str, Any] | Iterable[tuple[str, Any]]
Query = str | Mapping[str, Any] | Iterable[tuple[str, Any]] | None
MultiDictLike = MultiDict[str] | MultiDictProxy[str]
