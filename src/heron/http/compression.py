"""Content codings (RFC 9110 §8.4): gzip, deflate, br and zstd.

``Decompressor`` decodes a body incrementally and refuses to produce more than
``max_size`` bytes in total, so a small hostile body cannot expand into gigabytes
(a decompression bomb). ``Compressor`` is its counterpart for outgoing bodies.

``br`` needs the ``brotli`` module and ``zstd`` the ``zstandard`` module; both are
optional (the ``speedups`` extra) and only listed in ``SUPPORTED_ENCODINGS`` when
importable.
"""

from __future__ import annotations

import importlib
import zlib
from typing import Any, Final

from .errors import ContentEncodingError, DecompressedSizeError


def _optional(name: str) -> Any:
    """Import an optional codec module (untyped, hence ``Any``), or return ``None``."""
    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - depends on the environment
        return None


brotli = _optional("brotli")
zstandard = _optional("zstandard")

__all__ = ("SUPPORTED_ENCODINGS", "Compressor", "Decompressor", "normalize_encoding")

_ENCODINGS = ["gzip", "deflate"]
if brotli is not None:  # pragma: no branch
    _ENCODINGS.append("br")
if zstandard is not None:  # pragma: no branch
    _ENCODINGS.append("zstd")

SUPPORTED_ENCODINGS: Final[frozenset[str]] = frozenset(_ENCODINGS)
"""Content codings this installation can decode and encode."""

# "x-gzip" is the historical alias RFC 9110 §8.4.1.3 asks recipients to accept.
_ALIASES: Final = {"x-gzip": "gzip"}

# The most a zstd frame can expand per input byte (an RLE block: 4 bytes -> 128 KiB).
# Input is fed in slices small enough that one slice cannot overshoot the limit by
# more than the remaining budget.
_ZSTD_MAX_RATIO: Final = 32768
_ZSTD_MIN_SLICE: Final = 16


def normalize_encoding(value: str | None) -> str | None:
    """Return the supported coding named by a Content-Encoding value, else ``None``.

    Only a single coding is recognised; a list (``gzip, br``) or an unknown coding
    gives ``None`` so the body is passed through untouched.
    """
    if not value:
        return None
    enc = value.strip().lower()
    enc = _ALIASES.get(enc, enc)
    return enc if enc in SUPPORTED_ENCODINGS else None


class Decompressor:
    """Incremental decoder for one body with a limit on the decoded size.

    ``decompress(data)`` returns the bytes decoded so far (possibly empty);
    ``flush()`` returns what remains at the end of the body. Corrupt input raises
    :class:`ContentEncodingError` (400); more than ``max_size`` decoded bytes raise
    :class:`DecompressedSizeError` (413). ``max_size=None`` disables the limit.
    """

    __slots__ = ("_encoding", "_first", "_obj", "_remaining")

    def __init__(self, encoding: str, max_size: int | None = None) -> None:
        enc = normalize_encoding(encoding)
        if enc is None:
            raise ValueError(f"Unsupported content encoding: {encoding!r}")
        self._encoding = enc
        self._remaining = max_size if max_size is not None else -1
        # deflate waits for its first two bytes to tell zlib from raw deflate.
        self._first = b""
        self._obj: Any = None
        if enc == "gzip":
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "br":
            self._obj = brotli.Decompressor()
        elif enc == "zstd":
            self._obj = zstandard.ZstdDecompressor().decompressobj(read_across_frames=True)

    @property
    def encoding(self) -> str:
        """The normalised coding name."""
        return self._encoding

    def decompress(self, data: bytes) -> bytes:
        """Decode the next piece of the body."""
        if self._obj is None:
            data = self._first + data
            if len(data) < 2:
                self._first = data
                return b""
            # RFC 9110 says "deflate" is the zlib format, but many servers send raw
            # deflate; a zlib stream starts with a header whose 16 bits are a
            # multiple of 31 and whose method nibble is 8.
            is_zlib = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if is_zlib else -zlib.MAX_WBITS)
        try:
            if self._encoding == "br":
                return self._brotli(data)
            if self._encoding == "zstd":
                return self._zstd(data)
            return self._zlib(data)
        except DecompressedSizeError:
            raise
        except Exception as exc:
            raise ContentEncodingError(
                f"Can not decode content-encoding: {self._encoding}"
            ) from exc

    def _account(self, out: bytes) -> bytes:
        if self._remaining >= 0:
            self._remaining -= len(out)
            if self._remaining < 0:
                raise DecompressedSizeError(
                    f"Decompressed body exceeds the limit ({self._encoding})"
                )
        return out

    def _zlib(self, data: bytes) -> bytes:
        obj = self._obj
        if self._remaining < 0:
            return obj.decompress(data)  # type: ignore[no-any-return]
        # Ask for at most one byte more than allowed: enough to detect a bomb
        # without ever materialising it.
        out = obj.decompress(data, self._remaining + 1)
        return self._account(out)

    def _brotli(self, data: bytes) -> bytes:
        obj = self._obj
        if self._remaining < 0:
            return obj.process(data)  # type: ignore[no-any-return]
        out = obj.process(data, output_buffer_limit=self._remaining + 1)
        return self._account(out)

    def _zstd(self, data: bytes) -> bytes:
        obj = self._obj
        if self._remaining < 0:
            return obj.decompress(data)  # type: ignore[no-any-return]
        parts = []
        pos = 0
        while pos < len(data):
            step = max(_ZSTD_MIN_SLICE, self._remaining // _ZSTD_MAX_RATIO)
            parts.append(self._account(obj.decompress(data[pos : pos + step])))
            pos += step
        return b"".join(parts)

    def flush(self) -> bytes:
        """Return the remaining decoded bytes; raise if the stream is truncated."""
        if self._obj is None:
            if self._first:
                raise ContentEncodingError("Truncated deflate stream")
            return b""
        try:
            if self._encoding in ("gzip", "deflate"):
                out = self._account(self._obj.flush())
                if not self._obj.eof:
                    raise ContentEncodingError(f"Truncated {self._encoding} stream")
                return out
            if self._encoding == "br" and not self._obj.is_finished():
                raise ContentEncodingError("Truncated br stream")
        except (zlib.error, ValueError) as exc:  # pragma: no cover - defensive
            raise ContentEncodingError(
                f"Can not decode content-encoding: {self._encoding}"
            ) from exc
        return b""


class Compressor:
    """Incremental encoder for an outgoing body.

    ``level`` is the zlib level (gzip, deflate), brotli quality or zstd level;
    ``None`` picks a fast default suited to on-the-fly compression.
    """

    __slots__ = ("_encoding", "_obj")

    def __init__(self, encoding: str, level: int | None = None) -> None:
        enc = normalize_encoding(encoding)
        if enc is None:
            raise ValueError(f"Unsupported content encoding: {encoding!r}")
        self._encoding = enc
        self._obj: Any
        if enc == "gzip":
            self._obj = zlib.compressobj(
                zlib.Z_DEFAULT_COMPRESSION if level is None else level,
                zlib.DEFLATED,
                16 + zlib.MAX_WBITS,
            )
        elif enc == "deflate":
            # RFC 9110 §8.4.1.2: "deflate" means the zlib container.
            self._obj = zlib.compressobj(
                zlib.Z_DEFAULT_COMPRESSION if level is None else level,
                zlib.DEFLATED,
                zlib.MAX_WBITS,
            )
        elif enc == "br":
            self._obj = brotli.Compressor(quality=4 if level is None else level)
        else:
            self._obj = zstandard.ZstdCompressor(level=3 if level is None else level).compressobj()

    @property
    def encoding(self) -> str:
        """The normalised coding name."""
        return self._encoding

    def compress(self, data: bytes) -> bytes:
        """Encode the next piece; the result may be empty while the encoder buffers."""
        if self._encoding == "br":
            return self._obj.process(data)  # type: ignore[no-any-return]
        return self._obj.compress(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        """Finish the stream and return the remaining encoded bytes."""
        if self._encoding == "br":
            return self._obj.finish()  # type: ignore[no-any-return]
        return self._obj.flush()  # type: ignore[no-any-return]
