"""Response compression: :class:`ContentCoding` and the mixin that picks and starts it.

``enable_compression()`` only records the wish; at ``prepare()`` the coding is chosen
(forced, or the best one the request's Accept-Encoding allows), Content-Encoding and
Vary are set, and the body is compressed: a whole body at once (see
:class:`~heron.web.Response`), a streamed one by the writer as it goes.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final

from multidict import CIMultiDict

from .. import hdrs
from ..http.models import HttpVersion11

if TYPE_CHECKING:
    from ..writer import AbstractStreamWriter
    from .request import BaseRequest

__all__ = ("ContentCoding",)


class ContentCoding(enum.Enum):
    """Content codings a response can be compressed with (``enable_compression(force=)``)."""

    # Members are in preference order for ties in Accept-Encoding.
    br = "br"
    gzip = "gzip"
    deflate = "deflate"
    identity = "identity"


_CODING_RANK: Final = {"br": 0, "gzip": 1, "deflate": 2}


def _parse_accept_encoding(value: str) -> str | None:
    """Pick the coding to use from an Accept-Encoding value, or None for identity."""
    from ..http.compression import SUPPORTED_ENCODINGS

    best: str | None = None
    best_q = 0.0
    best_rank = 99
    for item in value.split(","):
        name, _, params = item.partition(";")
        name = name.strip().lower()
        q = 1.0
        params = params.strip()
        if params.startswith(("q=", "Q=")):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if q <= 0.0 or name not in SUPPORTED_ENCODINGS or name not in _CODING_RANK:
            continue
        rank = _CODING_RANK[name]
        if q > best_q or (q == best_q and rank < best_rank):
            best, best_q, best_rank = name, q, rank
    return best


class CompressionMixin:
    """The compression part of :class:`~heron.web.StreamResponse`."""

    _headers: CIMultiDict[str]
    _chunked: bool
    _compression: bool
    _compression_force: ContentCoding | None
    _must_be_empty_body: bool
    _req: BaseRequest | None

    @property
    def compression(self) -> bool:
        """True once compression was enabled."""
        return self._compression

    def enable_compression(self, force: ContentCoding | bool | None = None) -> None:
        """Compress the body: with the best coding the client accepts, or ``force``.

        ``force=ContentCoding.gzip`` (for example) compresses regardless of
        Accept-Encoding; ``ContentCoding.identity`` leaves the body as it is.
        """
        if isinstance(force, bool):  # the 0.x spelling: True means "by Accept-Encoding"
            force = ContentCoding.deflate if force else ContentCoding.identity
        self._compression = True
        self._compression_force = force

    def _start_compression(self, request: BaseRequest, writer: AbstractStreamWriter) -> None:
        force = self._compression_force
        if force is not None:
            coding = None if force is ContentCoding.identity else force.value
        else:
            coding = _parse_accept_encoding(request.headers.get(hdrs.ACCEPT_ENCODING, ""))
        if coding is None or self._must_be_empty_body:
            return
        self._headers[hdrs.CONTENT_ENCODING] = coding
        self._add_vary()
        self._compress_body(coding, writer)

    def _add_vary(self) -> None:
        vary = self._headers.get(hdrs.VARY)
        if vary is None:
            self._headers[hdrs.VARY] = "Accept-Encoding"
        elif "accept-encoding" not in vary.lower() and vary.strip() != "*":
            self._headers[hdrs.VARY] = f"{vary}, Accept-Encoding"

    def _compress_body(self, coding: str, writer: AbstractStreamWriter) -> None:
        # A streamed body is compressed as it is written; its length is unknown.
        writer.enable_compression(coding)
        self._headers.pop(hdrs.CONTENT_LENGTH, None)
        if not self._chunked and self._req is not None and self._req._version >= HttpVersion11:
            self._chunked = True
