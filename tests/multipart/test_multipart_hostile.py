"""Hostile and malformed multipart bodies: precise errors, bounded memory, no hangs."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterator

import pytest
from multipart_helpers import stream_of

from heron.http.errors import BadHttpMessage
from heron.multipart import BodyPartReader, MultipartError, MultipartReader

CT = {"Content-Type": "multipart/form-data; boundary=bnd"}


async def read_all(reader: MultipartReader) -> list[bytes]:
    out = []
    async for part in reader:
        assert isinstance(part, BodyPartReader)
        out.append(bytes(await part.read()))
    return out


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({"Content-Type": "multipart/form-data"}, "no boundary"),
        ({"Content-Type": "multipart/form-data; boundary="}, "boundary"),
        ({"Content-Type": "multipart/form-data; boundary=" + "b" * 71}, "1 to 70"),
        ({"Content-Type": "text/plain"}, "Not a multipart"),
        ({}, "Not a multipart"),
        ({"Content-Type": 'multipart/mixed; boundary="a\x01b"'}, "invalid boundary"),
    ],
)
def test_bad_content_type(headers: dict[str, str], match: str) -> None:
    with pytest.raises(MultipartError, match=match) as info:
        MultipartReader(headers, stream_of([]))
    assert isinstance(info.value, BadHttpMessage)
    assert isinstance(info.value, ValueError)
    assert info.value.code == 400


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (b"", "before its boundary"),
        (b"no boundary anywhere in this body", "before its boundary"),
        (b"--bnd\r\n\r\ndata that never ends", "missing closing boundary"),
        (b"--bnd\r\n\r\ndata\r\n--bnd", "after a boundary"),
        (b"--bnd\r\nContent-Type: text/plain\r\n", "header section"),
        (b"--bnd\r\nNo colon here\r\n\r\nx\r\n--bnd--", "Invalid multipart part header"),
        (b"--bnd\r\nBad Name: x\r\n\r\nx\r\n--bnd--", "Invalid multipart part header"),
        (b"--bnd\r\nX: a\rb\r\n\r\nx\r\n--bnd--", "Invalid character"),
        (b"--bnd\r\n folded-first: x\r\n\r\nx\r\n--bnd--", "folded"),
        (b"--bnd\r\n\r\nx\r\n--bndjunk\r\n\r\ny\r\n--bnd--", "Invalid data after"),
    ],
)
async def test_malformed_bodies(body: bytes, match: str) -> None:
    reader = MultipartReader(CT, stream_of([body]))
    with pytest.raises(MultipartError, match=match):
        await asyncio.wait_for(read_all(reader), 5)


async def test_too_many_parts() -> None:
    body = b"".join(b"--bnd\r\n\r\nx\r\n" for _ in range(6)) + b"--bnd--\r\n"
    assert len(await read_all(MultipartReader(CT, stream_of([body]), max_parts=6))) == 6
    reader = MultipartReader(CT, stream_of([body]), max_parts=5)
    with pytest.raises(MultipartError, match="Too many parts") as info:
        await read_all(reader)
    assert info.value.code == 413


async def test_default_part_limit_stops_a_flood() -> None:
    body = b"--bnd\r\n\r\n\r\n" * 5000 + b"--bnd--"
    with pytest.raises(MultipartError, match="Too many parts"):
        await read_all(MultipartReader(CT, stream_of([body])))


async def test_header_section_too_large() -> None:
    big = b"--bnd\r\n" + b"X-Pad: " + b"a" * 2000 + b"\r\n\r\nx\r\n--bnd--"
    assert await read_all(MultipartReader(CT, stream_of([big]), max_headers_size=4096)) == [b"x"]
    with pytest.raises(MultipartError, match="too") as info:
        await read_all(MultipartReader(CT, stream_of([big]), max_headers_size=1000))
    assert info.value.code == 413
    many = b"--bnd\r\n" + b"X: y\r\n" * 5000 + b"\r\nx\r\n--bnd--"
    with pytest.raises(MultipartError, match="too"):
        await read_all(MultipartReader(CT, stream_of([many])))


async def test_nesting_depth_limited() -> None:
    depth = 12
    body = b""
    for level in range(1, depth + 1):
        inner = body or b"--b0\r\n\r\nleaf\r\n--b0--"
        body = (
            f"--b{level}\r\nContent-Type: multipart/mixed; boundary=b{level - 1}\r\n\r\n".encode()
            + inner
            + f"\r\n--b{level}--".encode()
        )
    reader = MultipartReader(
        {"Content-Type": f"multipart/mixed; boundary=b{depth}"}, stream_of([body])
    )
    with pytest.raises(MultipartError, match="nested too deeply"):
        current: MultipartReader = reader
        for _ in range(depth):
            nxt = await current.next()
            assert isinstance(nxt, MultipartReader)
            current = nxt


async def test_boundary_like_data_inside_part() -> None:
    # Data that contains the boundary text without a preceding CRLF is just data.
    data = b"x--bnd is not a delimiter here; x--bnd--\n--bnd"
    body = b"--bnd\r\n\r\n" + data + b"\r\n--bnd--"
    # the last "\n--bnd" is preceded by LF only, so it is data as well.
    assert await read_all(MultipartReader(CT, stream_of([body]))) == [data]


def every_split(body: bytes) -> Iterator[list[bytes]]:
    for i in range(len(body) + 1):
        yield [body[:i], body[i:]]
    for i in range(0, len(body) - 1, 3):
        yield [body[:i], body[i : i + 2], body[i + 2 :]]


async def test_body_split_at_every_byte() -> None:
    body = (
        b"pre\r\n--bnd\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"\r\n-\r\n--b\r\n--bn \r\r\n"
        b"\r\n--bnd\r\n"
        b"\r\n"
        b"\r\n--bnd\r\n"
        b"X: 1\r\n\r\nlast\r\nline\r\n--bnd--\r\nepilogue"
    )
    expected = await read_all(MultipartReader(CT, stream_of([body])))
    assert expected == [b"\r\n-\r\n--b\r\n--bn \r\r\n", b"", b"last\r\nline"]
    for pieces in every_split(body):
        assert await read_all(MultipartReader(CT, stream_of(pieces))) == expected
        # line by line as well
        reader = MultipartReader(CT, stream_of(pieces))
        lines = []
        async for part in reader:
            assert isinstance(part, BodyPartReader)
            data = b""
            while not part.at_eof():
                data += await part.readline()
            lines.append(data)
        assert lines == expected


class GeneratedStream:
    """A body produced on the fly, chunk by chunk, never held in memory."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    async def readany(self) -> bytes:
        return next(self._chunks, b"")


def endless_preamble(total: int) -> Iterator[bytes]:
    chunk = b"x" * 65536
    for _ in range(total // len(chunk)):
        yield chunk


async def test_huge_preamble_without_boundary_in_bounded_memory() -> None:
    tracemalloc.start()
    try:
        reader = MultipartReader(CT, GeneratedStream(endless_preamble(16 * 2**20)))
        with pytest.raises(MultipartError, match="before its boundary"):
            await reader.next()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20


async def test_endless_part_in_bounded_memory() -> None:
    def body() -> Iterator[bytes]:
        yield b"--bnd\r\n\r\n"
        yield from endless_preamble(16 * 2**20)

    reader = MultipartReader(CT, GeneratedStream(body()))
    part = await reader.next()
    assert isinstance(part, BodyPartReader)
    tracemalloc.start()
    try:
        with pytest.raises(MultipartError, match="missing closing boundary"):
            await part.release()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 2**20
