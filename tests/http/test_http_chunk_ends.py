"""``chunk_ends=True``: an ``END_OF_CHUNK`` event after each chunk of a chunked body."""

from __future__ import annotations

import gzip

from http_helpers import feed_pieces

from heron.http.models import EndOfMessage
from heron.http.parser import END_OF_CHUNK, EndOfChunk, HttpRequestParser, HttpResponseParser

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
BODY = b"3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n"


def body_events(events: list[object]) -> list[object]:
    """Body bytes joined between markers, then the markers and the end."""
    out: list[object] = []
    for ev in events[1:]:
        if isinstance(ev, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += ev
        else:
            out.append(ev)
    return out


def test_marker_after_each_chunk_not_after_the_last() -> None:
    events = HttpResponseParser(chunk_ends=True).feed_data(CHUNKED + BODY)
    out = body_events(events)
    assert out[:4] == [b"abc", END_OF_CHUNK, b"de", END_OF_CHUNK]
    assert isinstance(out[4], EndOfMessage) and out[4].trailers is not None
    assert len(out) == 5
    assert isinstance(END_OF_CHUNK, EndOfChunk) and repr(END_OF_CHUNK) == "END_OF_CHUNK"


def test_no_markers_unless_asked() -> None:
    events = HttpResponseParser().feed_data(CHUNKED + BODY)
    assert END_OF_CHUNK not in events
    assert body_events(events)[0] == b"abcde"


def test_markers_do_not_depend_on_how_bytes_arrive() -> None:
    data = CHUNKED + BODY
    whole = body_events(HttpResponseParser(chunk_ends=True).feed_data(data))
    for cut in range(len(CHUNKED), len(data)):
        pieces = [data[:cut], data[cut:]]
        split = body_events(feed_pieces(HttpResponseParser(chunk_ends=True), pieces))
        assert split == whole, cut


def test_no_markers_for_content_length_bodies() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    assert END_OF_CHUNK not in HttpResponseParser(chunk_ends=True).feed_data(data)


def test_request_parser_markers_and_pipelining() -> None:
    req = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    events = HttpRequestParser(chunk_ends=True).feed_data(req + BODY + req + b"1\r\nz\r\n0\r\n\r\n")
    markers = [i for i, ev in enumerate(events) if ev is END_OF_CHUNK]
    assert len(markers) == 3
    assert events[markers[-1] - 1] == b"z"


def test_markers_with_decompression() -> None:
    body = gzip.compress(b"x" * 500)
    half = len(body) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    events = HttpResponseParser(chunk_ends=True).feed_data(head + chunks + b"0\r\n\r\n")
    assert b"".join(e for e in events if isinstance(e, bytes)) == b"x" * 500
    assert events.count(END_OF_CHUNK) == 2
