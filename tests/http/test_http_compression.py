"""Content codings: decoding in pieces, raw and zlib deflate, limits, bombs."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from heron.http import (
    SUPPORTED_ENCODINGS,
    Compressor,
    ContentEncodingError,
    DecompressedSizeError,
    Decompressor,
)
from heron.http.compression import normalize_encoding

PAYLOAD = b"The quick brown fox jumps over the lazy dog. " * 200


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return obj.compress(data) + obj.flush()


ENCODED = {
    "gzip": gzip.compress(PAYLOAD),
    "deflate": zlib.compress(PAYLOAD),
    "br": brotli.compress(PAYLOAD),
    "zstd": zstandard.ZstdCompressor().compress(PAYLOAD),
}


def _decode_in_pieces(dec: Decompressor, data: bytes, size: int) -> bytes:
    out = [dec.decompress(data[i : i + size]) for i in range(0, len(data), size)]
    return b"".join(out) + dec.flush()


def test_supported_encodings() -> None:
    assert {"gzip", "deflate", "br", "zstd"} <= SUPPORTED_ENCODINGS


@pytest.mark.parametrize("encoding", sorted(ENCODED))
@pytest.mark.parametrize("piece", [1, 7, 100_000])
def test_decode_in_pieces(encoding: str, piece: int) -> None:
    dec = Decompressor(encoding, max_size=len(PAYLOAD))
    assert dec.encoding == encoding
    assert _decode_in_pieces(dec, ENCODED[encoding], piece) == PAYLOAD


def test_raw_deflate_is_accepted() -> None:
    data = _raw_deflate(PAYLOAD)
    assert _decode_in_pieces(Decompressor("deflate"), data, 1) == PAYLOAD
    assert _decode_in_pieces(Decompressor("deflate"), data, 50) == PAYLOAD


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("gzip", "gzip"),
        (" GZip ", "gzip"),
        ("x-gzip", "gzip"),
        ("br", "br"),
        ("identity", None),
        ("gzip, br", None),
        ("", None),
        (None, None),
        ("compress", None),
    ],
)
def test_normalize_encoding(value: str | None, expected: str | None) -> None:
    assert normalize_encoding(value) == expected


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError):
        Decompressor("compress")
    with pytest.raises(ValueError):
        Compressor("lzma")


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_corrupt_input(encoding: str) -> None:
    dec = Decompressor(encoding)
    with pytest.raises(ContentEncodingError) as info:
        dec.decompress(b"\xff" * 64)
        dec.flush()
    assert info.value.code == 400


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_truncated_stream(encoding: str) -> None:
    dec = Decompressor(encoding)
    dec.decompress(ENCODED[encoding][: len(ENCODED[encoding]) // 2])
    with pytest.raises(ContentEncodingError):
        dec.flush()


def test_one_byte_deflate_then_flush() -> None:
    dec = Decompressor("deflate")
    assert dec.decompress(b"x") == b""
    with pytest.raises(ContentEncodingError):
        dec.flush()
    assert Decompressor("deflate").flush() == b""


BOMB_SIZE = 64 * 2**20
LIMIT = 2**20


def _bomb(encoding: str) -> bytes:
    zeros = b"\0" * BOMB_SIZE
    if encoding == "gzip":
        return gzip.compress(zeros, 9)
    if encoding == "deflate":
        return zlib.compress(zeros, 9)
    if encoding == "br":
        return brotli.compress(zeros, quality=5)
    return zstandard.ZstdCompressor(level=3).compress(zeros)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_bomb_stops_at_the_limit(encoding: str) -> None:
    bomb = _bomb(encoding)
    assert len(bomb) < 200_000
    dec = Decompressor(encoding, max_size=LIMIT)
    produced = 0
    with pytest.raises(DecompressedSizeError) as info:
        for i in range(0, len(bomb), 4096):
            produced += len(dec.decompress(bomb[i : i + 4096]))
        dec.flush()
    assert info.value.code == 413
    assert produced <= LIMIT  # never handed out more than the limit


def test_exact_limit_is_allowed() -> None:
    dec = Decompressor("gzip", max_size=len(PAYLOAD))
    assert _decode_in_pieces(dec, ENCODED["gzip"], 1000) == PAYLOAD
    dec = Decompressor("gzip", max_size=len(PAYLOAD) - 1)
    with pytest.raises(DecompressedSizeError):
        _decode_in_pieces(dec, ENCODED["gzip"], 1000)


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_no_limit(encoding: str) -> None:
    dec = Decompressor(encoding, max_size=None)
    assert _decode_in_pieces(dec, ENCODED[encoding], 333) == PAYLOAD


@pytest.mark.parametrize("encoding", sorted(ENCODED))
@pytest.mark.parametrize("level", [None, 1])
def test_compressor_round_trip(encoding: str, level: int | None) -> None:
    comp = Compressor(encoding, level)
    assert comp.encoding == encoding
    data = b"".join(comp.compress(PAYLOAD[i : i + 500]) for i in range(0, len(PAYLOAD), 500))
    data += comp.flush()
    assert len(data) < len(PAYLOAD)
    assert _decode_in_pieces(Decompressor(encoding), data, 64) == PAYLOAD


def test_deflate_compressor_uses_zlib_container() -> None:
    comp = Compressor("deflate")
    data = comp.compress(PAYLOAD) + comp.flush()
    assert zlib.decompress(data) == PAYLOAD
