"""Payloads: headers, sizes, registry, and writing through a real StreamWriter."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from heron import payload
from heron.payload import (
    PAYLOAD_REGISTRY,
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Order,
    Payload,
    PayloadRegistry,
    StreamReaderPayload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
    payload_type,
    register_payload,
)
from heron.streams import StreamReader
from heron.writer import StreamWriter


async def send(loopback, body: Payload, *, chunked: bool = False) -> bytes:
    """Write ``body`` through a StreamWriter on a real socket; return what arrived."""
    conn = await loopback()
    writer = StreamWriter(conn.protocol)
    if chunked:
        writer.enable_chunking()
    await body.write(writer)
    await writer.write_eof()
    conn.protocol.transport.close()
    return await conn.read_all()


# -- bytes and strings -------------------------------------------------------------


async def test_bytes_payload(loopback) -> None:
    body = BytesPayload(b"hello")
    assert body.size == 5
    assert body.content_type == "application/octet-stream"
    assert body.headers["content-type"] == "application/octet-stream"
    assert body.encoding is None
    assert body.filename is None
    assert body.decode() == "hello"
    assert await send(loopback, body) == b"hello"


@pytest.mark.parametrize("value", [bytearray(b"abc"), memoryview(b"abc")])
async def test_bytes_like_payloads(loopback, value) -> None:
    body = BytesPayload(value)
    assert body.size == 3
    assert await send(loopback, body) == b"abc"


def test_memoryview_size_is_in_bytes() -> None:
    view = memoryview(bytearray(8)).cast("I")
    assert BytesPayload(view).size == 8


def test_bytes_payload_rejects_str() -> None:
    with pytest.raises(TypeError, match="byte-ish"):
        BytesPayload("text")  # type: ignore[arg-type]


def test_content_type_argument_and_headers() -> None:
    body = BytesPayload(b"x", content_type="image/png", headers={"X-Extra": "1"})
    assert body.content_type == "image/png"
    assert body.headers["X-Extra"] == "1"
    # A Content-Type in headers is kept when no argument overrides it.
    assert BytesPayload(b"x", headers={"Content-Type": "a/b"}).content_type == "a/b"
    # The explicit argument wins over headers.
    both = BytesPayload(b"x", headers={"Content-Type": "a/b"}, content_type="c/d")
    assert both.headers.getall("Content-Type") == ["c/d"]


def test_content_type_guessed_from_filename() -> None:
    assert BytesPayload(b"x", filename="photo.png").content_type == "image/png"
    unknown = BytesPayload(b"x", filename="data.unknown-ext")
    assert unknown.content_type == "application/octet-stream"
    assert unknown.filename == "data.unknown-ext"


async def test_string_payload_defaults(loopback) -> None:
    body = StringPayload("héllo")
    assert body.content_type == "text/plain; charset=utf-8"
    assert body.encoding == "utf-8"
    assert body.size == len("héllo".encode())
    assert body.decode() == "héllo"
    assert await send(loopback, body) == "héllo".encode()


def test_string_payload_charset_from_content_type() -> None:
    body = StringPayload("héllo", content_type="text/html; charset=latin-1")
    assert body.encoding == "latin-1"
    assert body.content_type == "text/html; charset=latin-1"
    assert body.size == 5
    assert body.decode() == "héllo"
    assert body.decode("utf-8", errors="replace") == "h\ufffdllo"
    # No charset parameter: UTF-8.
    assert StringPayload("x", content_type="text/csv").encoding == "utf-8"


def test_string_payload_explicit_encoding() -> None:
    body = StringPayload("é", encoding="utf-16")
    assert body.content_type == "text/plain; charset=utf-16"
    assert body.decode() == "é"
    custom = StringPayload("é", encoding="latin-1", content_type="text/x-custom")
    assert custom.content_type == "text/x-custom"
    assert custom.size == 1


def test_string_payload_unencodable() -> None:
    with pytest.raises(UnicodeEncodeError):
        StringPayload("€", encoding="latin-1")


async def test_string_io_payload(loopback) -> None:
    body = StringIOPayload(io.StringIO("text body"))
    assert body.content_type == "text/plain; charset=utf-8"
    assert body.size == 9
    assert await send(loopback, body) == b"text body"


async def test_json_payload(loopback) -> None:
    body = JsonPayload({"a": [1, "é"]})
    assert body.content_type == "application/json"
    assert body.encoding == "utf-8"
    assert json.loads(body.decode()) == {"a": [1, "é"]}
    assert json.loads(await send(loopback, body)) == {"a": [1, "é"]}


def test_json_payload_custom_dumps_and_type() -> None:
    body = JsonPayload([1], dumps=lambda v: "custom", content_type="application/vnd+json")
    assert body.decode() == "custom"
    assert body.content_type == "application/vnd+json"


def test_set_content_disposition() -> None:
    body = BytesPayload(b"x")
    body.set_content_disposition("attachment", filename="secret.txt")
    assert body.headers["Content-Disposition"] == 'attachment; filename="secret.txt"'
    with pytest.raises(ValueError):
        body.set_content_disposition("attachment", filename="a\r\nb")


# -- files ---------------------------------------------------------------------------


SAMPLE = b"line one\nline two\n" * 5000  # 90 kB: several read chunks


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.txt"
    path.write_bytes(SAMPLE)
    return path


async def test_buffered_reader_payload(loopback, sample_file: Path) -> None:
    fobj = sample_file.open("rb")
    body = get_payload(fobj)
    assert isinstance(body, BufferedReaderPayload)
    assert body.size == len(SAMPLE)
    assert body.filename == "report.txt"
    assert body.content_type == "text/plain"
    assert body.headers["Content-Disposition"] == 'attachment; filename="report.txt"'
    assert await send(loopback, body) == SAMPLE
    assert fobj.closed  # the payload owns the file once written


async def test_file_size_counts_from_current_position(sample_file: Path) -> None:
    with sample_file.open("rb") as fobj:
        fobj.seek(10)
        assert BufferedReaderPayload(fobj).size == len(SAMPLE) - 10


async def test_file_payload_decode_keeps_position(sample_file: Path) -> None:
    with sample_file.open("rb") as fobj:
        body = BufferedReaderPayload(fobj)
        assert body.decode() == SAMPLE.decode()
        assert fobj.tell() == 0


async def test_file_payload_with_explicit_filename_and_no_disposition(sample_file) -> None:
    with sample_file.open("rb") as fobj:
        body = BufferedReaderPayload(fobj, disposition=None, filename="other.bin")
        assert body.filename == "other.bin"
        assert "Content-Disposition" not in body.headers


async def test_file_payload_keeps_given_disposition(sample_file) -> None:
    with sample_file.open("rb") as fobj:
        body = BufferedReaderPayload(fobj, headers={"Content-Disposition": "inline"})
        assert body.headers["Content-Disposition"] == "inline"


async def test_bytes_io_payload(loopback) -> None:
    buf = io.BytesIO(b"0123456789")
    buf.seek(4)
    body = get_payload(buf)
    assert isinstance(body, BytesIOPayload)
    assert body.size == 6
    assert body.filename is None
    assert "Content-Disposition" not in body.headers
    assert body.decode() == "456789"
    assert await send(loopback, body) == b"456789"


async def test_text_io_payload(loopback, sample_file: Path) -> None:
    fobj = sample_file.open("r", encoding="utf-8")
    body = get_payload(fobj)
    assert isinstance(body, TextIOPayload)
    assert body.size is None  # encoded size is unknown: sent chunked
    assert body.content_type == "text/plain; charset=utf-8"
    assert body.encoding == "utf-8"
    assert body.decode().startswith("line one\n")
    assert await send(loopback, body) == SAMPLE


async def test_text_io_payload_encodings(loopback) -> None:
    body = TextIOPayload(io.TextIOWrapper(io.BytesIO("é".encode())), encoding="latin-1")
    assert body.content_type == "text/plain; charset=latin-1"
    assert await send(loopback, body) == b"\xe9"
    typed = TextIOPayload(io.StringIO("x"), content_type="text/csv; charset=utf-16")
    assert typed.encoding == "utf-16"
    assert typed.decode() == "x"
    plain = TextIOPayload(io.StringIO("x"), content_type="text/csv")
    assert plain.encoding == "utf-8"


async def test_io_base_payload_unseekable(loopback) -> None:
    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self._parts = [b"ab", b"cd"]

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            return self._parts.pop(0) if self._parts else b""

        def tell(self) -> int:
            raise OSError("not seekable")

    body = get_payload(Stream())
    assert type(body) is IOBasePayload
    assert body.size is None
    assert await send(loopback, body, chunked=True) == b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"
    assert IOBasePayload(Stream()).decode() == "ab"


async def test_file_payload_back_pressure(loopback, tmp_path: Path) -> None:
    """A slow reader blocks the file payload; it finishes when the reader catches up."""
    path = tmp_path / "big.bin"
    path.write_bytes(b"z" * (4 * 2**20))
    conn = await loopback()
    conn.protocol.transport.set_write_buffer_limits(high=2**16)
    conn.writer.transport.pause_reading()
    writer = StreamWriter(conn.protocol)
    task = asyncio.create_task(get_payload(path.open("rb")).write(writer))
    await asyncio.sleep(0.1)
    assert not task.done()
    assert writer.output_size < 4 * 2**20  # the file was not read ahead into memory
    conn.writer.transport.resume_reading()
    received = 0
    while received < 4 * 2**20:
        received += len(await asyncio.wait_for(conn.reader.read(2**20), 5))
    await asyncio.wait_for(task, 5)


# -- async iterables and stream readers -------------------------------------------------


async def gen_chunks() -> AsyncIterator[bytes]:
    for part in (b"one", b"two", b"three"):
        await asyncio.sleep(0)
        yield part


async def test_async_iterable_payload(loopback) -> None:
    body = get_payload(gen_chunks())
    assert isinstance(body, AsyncIterablePayload)
    assert body.size is None
    assert body.content_type == "application/octet-stream"
    data = await send(loopback, body, chunked=True)
    assert data == b"3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n"
    with pytest.raises(TypeError, match="decode"):
        body.decode()


async def test_async_iterable_payload_is_consumed_once(loopback) -> None:
    body = AsyncIterablePayload(gen_chunks())
    assert await send(loopback, body) == b"onetwothree"
    assert await send(loopback, body) == b""


def test_async_iterable_payload_rejects_sync_iterables() -> None:
    with pytest.raises(TypeError, match="async iteration"):
        AsyncIterablePayload([b"x"])  # type: ignore[arg-type]


async def test_stream_reader_payload(loopback) -> None:
    reader = StreamReader()
    reader.feed_data(b"streamed ")
    asyncio.get_running_loop().call_later(0.001, reader.feed_data, b"data")
    asyncio.get_running_loop().call_later(0.002, reader.feed_eof)
    body = get_payload(reader)
    assert isinstance(body, StreamReaderPayload)
    assert body.size is None
    assert await send(loopback, body) == b"streamed data"


# -- registry ---------------------------------------------------------------------------------


def test_get_payload_dispatch() -> None:
    assert isinstance(get_payload(b"x"), BytesPayload)
    assert isinstance(get_payload("x"), StringPayload)
    assert isinstance(get_payload(io.StringIO("x")), StringIOPayload)
    existing = BytesPayload(b"x")
    assert get_payload(existing) is existing


def test_get_payload_passes_arguments() -> None:
    body = get_payload("x", content_type="text/html")
    assert body.content_type == "text/html"


def test_get_payload_unsupported() -> None:
    with pytest.raises(payload.LookupError, match="Unsupported payload type: object"):
        get_payload(object())
    with pytest.raises(LookupError):  # the built-in catches it too
        get_payload(42)


def test_registry_order() -> None:
    registry = PayloadRegistry()

    class Special(bytes):
        pass

    def first(value, *args, **kwargs):
        return StringPayload("first")

    def last(value, *args, **kwargs):
        return StringPayload("last")

    registry.register(last, object, order=Order.try_last)
    registry.register(BytesPayload, bytes)
    assert isinstance(registry.get(Special(b"x")), BytesPayload)
    assert registry.get(1.5).decode() == "last"
    registry.register(first, Special, order=Order.try_first)
    assert registry.get(Special(b"x")).decode() == "first"
    with pytest.raises(ValueError, match="Unsupported order"):
        registry.register(first, int, order="sideways")  # type: ignore[arg-type]


def test_register_payload_and_decorator() -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    class Celsius(float):
        pass

    def point_factory(value: Point, *args, **kwargs) -> Payload:
        return StringPayload(f"point {value.x}", *args, **kwargs)

    register_payload(point_factory, Point)
    assert get_payload(Point(3)).decode() == "point 3"

    @payload_type(Celsius, order=Order.try_first)
    class CelsiusPayload(StringPayload):
        def __init__(self, value: Celsius, *args, **kwargs) -> None:
            super().__init__(f"{float(value)}C", *args, **kwargs)

    assert isinstance(get_payload(Celsius(21.5)), CelsiusPayload)
    assert get_payload(Celsius(21.5)).decode() == "21.5C"
    # Built-in types are unaffected by these (test-local) registrations.
    assert isinstance(PAYLOAD_REGISTRY.get(b"x"), BytesPayload)
