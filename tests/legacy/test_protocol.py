"""heron.protocol: the 0.x Request/Response message writers."""

from __future__ import annotations

import gzip
import inspect

import pytest

from heron.http import HttpRequestParser, HttpResponseParser
from heron.http.models import EndOfMessage, HttpVersion10, RawRequestMessage
from heron.protocol import Request, Response


class Sink:
    """A write-only byte sink standing in for a transport (no network involved)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data


def parse_response(data: bytes) -> tuple[object, bytes]:
    events = HttpResponseParser().feed_data(bytes(data))
    head, body = events[0], b"".join(e for e in events if isinstance(e, bytes))
    assert isinstance(events[-1], EndOfMessage)
    return head, body


def test_calc_reason() -> None:
    assert Response.calc_reason(404) == "Not Found"
    assert Response.calc_reason(428) == "Precondition Required"
    assert Response.calc_reason(511) == "Network Authentication Required"


async def test_headers_then_body_and_no_header_after_send() -> None:
    sink = Sink()
    resp = Response(sink, 200)
    resp.add_header("Content-Length", "5")
    resp.send_headers()
    assert resp.is_headers_sent()
    with pytest.raises(RuntimeError):
        resp.add_header("X-Late", "1")
    drain = resp.write(b"hello world")  # cut at Content-Length
    assert inspect.isawaitable(drain)
    await drain
    await resp.write_eof()
    with pytest.raises(RuntimeError):
        resp.write(b"more")
    head, body = parse_response(sink.data)
    assert head.code == 200 and body == b"hello"  # type: ignore[attr-defined]
    assert resp.keep_alive()


async def test_chunking_filter_emits_small_chunks() -> None:
    sink = Sink()
    resp = Response(sink, 200)
    resp.add_chunking_filter(1024)
    resp.write(b"x" * 3000)
    await resp.write_eof()
    head_end = sink.data.index(b"\r\n\r\n") + 4
    assert b"Transfer-Encoding: chunked" in sink.data[:head_end]
    assert sink.data[head_end:].startswith(b"400\r\n" + b"x" * 1024 + b"\r\n400\r\n")
    _, body = parse_response(sink.data)
    assert body == b"x" * 3000


async def test_compression_filter_gzips() -> None:
    sink = Sink()
    resp = Response(sink, 200)
    resp.add_compression_filter("gzip")
    resp.enable_chunked_encoding()
    resp.write(b"abc" * 100)
    await resp.write_eof()
    assert b"Content-Encoding: gzip" in sink.data
    events = HttpResponseParser(auto_decompress=False).feed_data(bytes(sink.data))
    raw = b"".join(e for e in events if isinstance(e, bytes))
    assert gzip.decompress(raw) == b"abc" * 100


def test_unframed_body_closes_connection() -> None:
    sink = Sink()
    resp = Response(sink, 200)
    resp.send_headers()
    assert b"Connection: close" in sink.data
    assert not resp.keep_alive()
    resp10 = Response(Sink(), 200, http_version=HttpVersion10)
    resp10.add_header("Connection", "keep-alive")
    assert resp10.keep_alive()


def test_header_injection_is_refused() -> None:
    resp = Response(Sink(), 200)
    resp.add_header("X-A", "a\r\nSet-Cookie: evil")
    with pytest.raises(ValueError):
        resp.send_headers()


async def test_request_writer() -> None:
    sink = Sink()
    req = Request(sink, "POST", "/path?q=1")
    req.add_headers(("Host", "example.com"), ("Content-Length", "3"))
    req.write(b"abc")
    await req.write_eof()
    assert req.status_line == "POST /path?q=1 HTTP/1.1\r\n"
    events = HttpRequestParser().feed_data(bytes(sink.data))
    head = events[0]
    assert isinstance(head, RawRequestMessage)
    # 0.x fields keep their names (the order changed: see docs/legacy.md, B-192).
    assert (head.method, head.path, head.version) == ("POST", "/path?q=1", (1, 1))
    assert head.should_close is False and head.compression is None
    assert b"".join(e for e in events if isinstance(e, bytes)) == b"abc"
