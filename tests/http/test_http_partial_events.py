"""A failing feed still hands over what it completed before the error (``exc.events``)."""

from __future__ import annotations

import gzip

import pytest

from heron.http.errors import (
    BadHttpMessage,
    BadHttpMethod,
    ContentEncodingError,
    ContentLengthError,
    HttpProcessingError,
    PayloadTooLarge,
    TransferEncodingError,
)
from heron.http.models import EndOfMessage, RawRequestMessage, RawResponseMessage
from heron.http.parser import HttpRequestParser, HttpResponseParser

GOOD_GET = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
GOOD_POST = b"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"


def test_new_errors_have_no_events() -> None:
    assert BadHttpMessage("x").events == []
    assert HttpProcessingError().events == []


def test_pipelined_requests_before_a_bad_one_are_kept() -> None:
    parser = HttpRequestParser()
    with pytest.raises(BadHttpMethod) as info:
        parser.feed_data(GOOD_GET + GOOD_POST + b"G@T / HTTP/1.1\r\n\r\n")
    events = info.value.events
    heads = [e for e in events if isinstance(e, RawRequestMessage)]
    assert [(h.method, h.path) for h in heads] == [("GET", "/a"), ("POST", "/b")]
    assert b"abc" in events
    assert [type(e) for e in events].count(EndOfMessage) == 2
    assert info.value.code == 400


def test_failed_parser_reraises_without_events() -> None:
    parser = HttpRequestParser()
    with pytest.raises(BadHttpMessage) as first:
        parser.feed_data(GOOD_GET + b"G@T / HTTP/1.1\r\n\r\n")
    assert len(first.value.events) == 2
    with pytest.raises(BadHttpMessage) as again:
        parser.feed_data(GOOD_GET)
    assert again.value is first.value
    assert again.value.events == []
    with pytest.raises(BadHttpMessage) as at_eof:
        parser.feed_eof()
    assert at_eof.value.events == []


def test_error_at_once_has_empty_events() -> None:
    with pytest.raises(BadHttpMessage) as info:
        HttpRequestParser().feed_data(b"G@T / HTTP/1.1\r\n\r\n")
    assert info.value.events == []


def test_request_head_and_body_before_a_body_limit() -> None:
    parser = HttpRequestParser(max_body_size=4)
    data = GOOD_GET + b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data += b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    with pytest.raises(PayloadTooLarge) as info:
        parser.feed_data(data)
    events = info.value.events
    assert [e.path for e in events if isinstance(e, RawRequestMessage)] == ["/a", "/c"]
    assert events[-1] == b"abc"  # the body bytes that fit before the limit
    assert info.value.code == 413


def test_events_of_earlier_feeds_are_not_repeated() -> None:
    parser = HttpRequestParser()
    assert len(parser.feed_data(GOOD_GET)) == 2
    with pytest.raises(BadHttpMessage) as info:
        parser.feed_data(b"G@T / HTTP/1.1\r\n\r\n")
    assert info.value.events == []


def test_response_head_before_bad_chunk() -> None:
    parser = HttpResponseParser()
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n"
    with pytest.raises(TransferEncodingError) as info:
        parser.feed_data(data)
    head, body = info.value.events
    assert isinstance(head, RawResponseMessage)
    assert (head.code, head.reason, head.chunked) == (200, "OK", True)
    assert body == b"hello"


def test_response_head_before_corrupt_gzip() -> None:
    with pytest.raises(ContentEncodingError) as info:
        HttpResponseParser().feed_data(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\nnot gzip!"
        )
    (head,) = info.value.events
    assert isinstance(head, RawResponseMessage)
    assert head.compression == "gzip"


def test_response_decoded_bytes_before_corruption_are_kept() -> None:
    good = gzip.compress(b"x" * 1000, mtime=0)
    bad = good[:-8] + b"\x00" * 8  # the trailer's checksum is wrong
    half = len(bad) // 2
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (bad[:half], bad[half:]))
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    with pytest.raises(ContentEncodingError) as info:
        HttpResponseParser().feed_data(head + chunks + b"0\r\n\r\n")
    events = info.value.events
    assert isinstance(events[0], RawResponseMessage)
    decoded = b"".join(e for e in events[1:] if isinstance(e, bytes))
    assert decoded and decoded == b"x" * len(decoded)  # what the first chunk decoded to


def test_response_split_feeds_keep_only_the_failing_feeds_events() -> None:
    parser = HttpResponseParser()
    (head,) = parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    assert isinstance(head, RawResponseMessage)
    assert parser.feed_data(b"ab") == [b"ab"]
    with pytest.raises(ContentLengthError) as info:
        parser.feed_eof()
    assert info.value.events == []


def test_head_mode_response_before_bad_second_head() -> None:
    # A CONNECT refused with a body, then garbage in the body framing.
    parser = HttpResponseParser(method="CONNECT")
    with pytest.raises(TransferEncodingError) as info:
        parser.feed_data(
            b"HTTP/1.1 407 Auth\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\nxx\r\n"
        )
    head, body = info.value.events
    assert isinstance(head, RawResponseMessage) and head.code == 407
    assert body == b"no"
