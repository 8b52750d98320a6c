"""Incremental codecs for multipart body parts (internal to heron.multipart).

A part may carry a Content-Transfer-Encoding (RFC 2045: base64, quoted-printable,
7bit, 8bit, binary) and a Content-Encoding (gzip, deflate, identity, and br/zstd where
installed). Both directions work chunk by chunk so a multi-gigabyte part never has to
sit in memory to be decoded or encoded.
"""

from __future__ import annotations

import base64
import binascii
import zlib

from .http.compression import Decompressor, normalize_encoding

__all__ = ("PartDecoder", "PartEncoder", "check_encodings")

_IDENTITY_TE = frozenset({"", "binary", "7bit", "8bit"})
_KNOWN_TE = _IDENTITY_TE | {"base64", "quoted-printable"}
_WHITESPACE = b" \t\r\n"
# 57 input bytes make one 76-character base64 line (RFC 2045 section 6.8).
_B64_LINE_INPUT = 57


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def check_encodings(content_encoding: str | None, transfer_encoding: str | None) -> None:
    """Raise RuntimeError for a coding this module cannot apply or undo."""
    te = _norm(transfer_encoding)
    if te not in _KNOWN_TE:
        raise RuntimeError(f"unknown content transfer encoding: {transfer_encoding}")
    ce = _norm(content_encoding)
    if ce not in ("", "identity") and normalize_encoding(ce) is None:
        raise RuntimeError(f"unknown content encoding: {content_encoding}")


class PartDecoder:
    """Undo a part's transfer encoding, then its content coding, chunk by chunk.

    ``max_size`` bounds the decoded output of a content coding (decompression bombs);
    it raises :class:`~heron.http.errors.DecompressedSizeError` when exceeded.
    """

    __slots__ = ("_decompressor", "_pending", "_te")

    def __init__(
        self,
        content_encoding: str | None,
        transfer_encoding: str | None,
        max_size: int | None = None,
    ) -> None:
        check_encodings(content_encoding, transfer_encoding)
        self._te = _norm(transfer_encoding)
        ce = _norm(content_encoding)
        self._decompressor = None if ce in ("", "identity") else Decompressor(ce, max_size)
        self._pending = b""

    @property
    def is_identity(self) -> bool:
        """True when decoding changes nothing."""
        return self._decompressor is None and self._te in _IDENTITY_TE

    def _untransfer(self, data: bytes, final: bool) -> bytes:
        te = self._te
        if te in _IDENTITY_TE:
            return data
        if te == "base64":
            data = self._pending + data.translate(None, _WHITESPACE)
            cut = len(data) if final else len(data) - len(data) % 4
            self._pending = data[cut:]
            try:
                return base64.b64decode(data[:cut], validate=True)
            except binascii.Error as exc:
                raise ValueError(f"invalid base64 part body: {exc}") from None
        # quoted-printable decodes whole lines so an "=XX" escape or a soft line break
        # is never split between two chunks.
        data = self._pending + data
        cut = len(data) if final else data.rfind(b"\n") + 1
        self._pending = data[cut:]
        return binascii.a2b_qp(data[:cut])

    def feed(self, data: bytes) -> bytes:
        """Decode the next piece of the part."""
        out = self._untransfer(data, final=False)
        if self._decompressor is not None and out:
            out = self._decompressor.decompress(out)
        return out

    def flush(self) -> bytes:
        """Decode what is left at the end of the part."""
        out = self._untransfer(b"", final=True)
        if self._decompressor is not None:
            out = self._decompressor.decompress(out) if out else b""
            out += self._decompressor.flush()
        return out


class PartEncoder:
    """Apply a part's content coding, then its transfer encoding, chunk by chunk."""

    __slots__ = ("_compressor", "_pending", "_te")

    def __init__(self, content_encoding: str | None, transfer_encoding: str | None) -> None:
        check_encodings(content_encoding, transfer_encoding)
        self._te = _norm(transfer_encoding)
        ce = normalize_encoding(_norm(content_encoding))
        self._compressor: zlib._Compress | None = None
        if ce == "gzip":
            self._compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
        elif ce == "deflate":
            self._compressor = zlib.compressobj(wbits=zlib.MAX_WBITS)
        elif ce is not None:
            raise RuntimeError(f"content encoding {ce!r} is not supported for writing parts")
        self._pending = b""

    @property
    def is_identity(self) -> bool:
        """True when encoding changes nothing."""
        return self._compressor is None and self._te in _IDENTITY_TE

    def _transfer(self, data: bytes, final: bool) -> bytes:
        te = self._te
        if te in _IDENTITY_TE:
            return data
        data = self._pending + data
        if te == "base64":
            cut = len(data) if final else len(data) - len(data) % _B64_LINE_INPUT
            self._pending = data[cut:]
            lines = [
                base64.b64encode(data[i : i + _B64_LINE_INPUT])
                for i in range(0, cut, _B64_LINE_INPUT)
            ]
            return b"\r\n".join(lines) + (b"\r\n" if lines and not final else b"")
        cut = len(data) if final else data.rfind(b"\n") + 1
        self._pending = data[cut:]
        return binascii.b2a_qp(data[:cut])

    def feed(self, data: bytes) -> bytes:
        """Encode the next piece of the part."""
        if self._compressor is not None:
            data = self._compressor.compress(data)
        return self._transfer(data, final=False)

    def flush(self) -> bytes:
        """Encode what is left at the end of the part."""
        data = self._compressor.flush() if self._compressor is not None else b""
        return self._transfer(data, final=True)
