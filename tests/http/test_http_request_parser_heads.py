"""Repeated request heads: parsed from a shared table of checked heads.

A head whose fields were seen before (by any parser) is not decoded again; these
tests pin that the second and later parses of a head give exactly what the first
did, and that every per-parser limit and check still applies to them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from heron.http import (
    BadHttpMessage,
    EndOfMessage,
    HttpRequestParser,
    HttpVersion10,
    RawRequestMessage,
)
from heron.http import parser as parser_module


def _head(events: Sequence[object]) -> RawRequestMessage:
    head = events[0]
    assert isinstance(head, RawRequestMessage)
    return head


def test_repeated_head_gives_the_same_message() -> None:
    data = b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nX-Pad:  v \r\n\r\nabc"
    first = HttpRequestParser().feed_data(data)
    for parser in (HttpRequestParser(), HttpRequestParser(max_body_size=10)):
        again = parser.feed_data(data)
        assert again[1:] == first[1:] == [b"abc", EndOfMessage(None)]
        one, two = _head(first), _head(again)
        assert list(two.headers.items()) == list(one.headers.items())
        assert two.headers["X-Pad"] == "v"  # trailing whitespace stripped as before
        assert two.raw_headers == one.raw_headers
        assert (two.method, two.path, two.version) == (one.method, one.path, one.version)


def test_repeated_head_body_limit_is_per_parser() -> None:
    data = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    assert HttpRequestParser().feed_data(data)[1] == b"hello"
    with pytest.raises(BadHttpMessage) as info:
        HttpRequestParser(max_body_size=4).feed_data(data)
    assert info.value.code == 413


def test_repeated_head_keeps_framing_for_the_next_request() -> None:
    post = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
    parser = HttpRequestParser()
    for _ in range(3):
        events = parser.feed_data(post + b"ok" + b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        assert [type(e) for e in events] == [
            RawRequestMessage,
            bytes,
            EndOfMessage,
            RawRequestMessage,
            EndOfMessage,
        ]
        assert events[1] == b"ok"


def test_repeated_head_split_body() -> None:
    head = b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\n"
    HttpRequestParser().feed_data(head + b"abcd")
    parser = HttpRequestParser()
    assert [type(e) for e in parser.feed_data(head + b"ab")] == [RawRequestMessage, bytes]
    assert parser.feed_data(b"cd") == [b"cd", EndOfMessage(None)]


def test_duplicate_host_is_rejected_every_time() -> None:
    data = b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
    for _ in range(2):
        with pytest.raises(BadHttpMessage):
            HttpRequestParser().feed_data(data)


def test_http10_after_the_same_fields_in_http11() -> None:
    fields = b"Host: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    events = HttpRequestParser().feed_data(b"POST / HTTP/1.1\r\n" + fields + b"0\r\n\r\n")
    assert _head(events).chunked
    with pytest.raises(BadHttpMessage):
        HttpRequestParser().feed_data(b"POST / HTTP/1.0\r\n" + fields)
    plain = b"Host: h\r\nContent-Length: 1\r\n\r\nx"
    HttpRequestParser().feed_data(b"POST / HTTP/1.1\r\n" + plain)
    events = HttpRequestParser().feed_data(b"POST / HTTP/1.0\r\n" + plain)
    assert _head(events).version == HttpVersion10
    assert events[1] == b"x"


def test_compressed_body_is_decoded_every_time() -> None:
    import zlib

    body = zlib.compress(b"hello")
    data = (
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Encoding: deflate\r\n"
        b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
    )
    for _ in range(2):
        events = HttpRequestParser().feed_data(data)
        assert b"".join(e for e in events if isinstance(e, bytes)) == b"hello"


def test_large_and_many_distinct_heads() -> None:
    big = b"GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + b"v" * 4000 + b"\r\n\r\n"
    for _ in range(2):
        assert _head(HttpRequestParser().feed_data(big)).headers["X-Big"] == "v" * 4000
    parser = HttpRequestParser()
    for i in range(parser_module._HEADS_MAX + 10):
        head = _head(parser.feed_data(b"GET / HTTP/1.1\r\nHost: h\r\nX-N: %d\r\n\r\n" % i))
        assert head.headers["X-N"] == str(i)
    # The table stays bounded.
    assert len(parser_module._HEADS) <= parser_module._HEADS_MAX


SECRET = b"s3cr3t-cookie-value"


@pytest.mark.parametrize(
    "field", [b"Cookie: sid=", b"authorization: Bearer ", b"Proxy-Authorization: X "]
)
def test_heads_with_secrets_stay_with_their_parser_not_in_the_shared_table(field: bytes) -> None:
    data = b"GET /s HTTP/1.1\r\nHost: h\r\n" + field + SECRET + b"\r\n\r\n"
    parser = HttpRequestParser()
    first = _head(parser.feed_data(data))
    assert not any(
        SECRET.decode() in value
        for headers, _, _ in parser_module._HEADS.values()
        for value in headers.values()
    )
    own = parser.own_fields
    assert own is not None and own[0] == first.raw_headers
    # The same parser (the connection hands its own fields to each parser it takes)
    # reuses the checked fields; another request target changes nothing there.
    again = _head(parser.feed_data(data.replace(b"/s", b"/t")))
    assert again.headers is first.headers and again.path == "/t"
    assert parser.release() and parser.own_fields is None  # gone before pooling
    other = _head(HttpRequestParser().feed_data(data))
    assert other.headers is not first.headers  # another parser decodes them again
    assert list(other.headers.items()) == list(first.headers.items())


def test_own_fields_keep_the_limits_of_the_parser_that_uses_them() -> None:
    head = b"POST /u HTTP/1.1\r\nHost: h\r\nCookie: a=1\r\nContent-Length: 20\r\n\r\n"
    parser = HttpRequestParser()
    parser.feed_data(head + b"x" * 20)
    strict = HttpRequestParser(max_body_size=10)
    strict.own_fields = parser.own_fields
    with pytest.raises(BadHttpMessage) as info:
        strict.feed_data(head + b"x" * 20)
    assert info.value.code == 413
