"""HttpRequestParser: valid requests in every framing, fed whole and split."""

from __future__ import annotations

import gzip

import pytest
from http_helpers import assert_split_invariant, parse
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from heron.http import (
    EndOfMessage,
    HttpRequestParser,
    HttpVersion,
    HttpVersion10,
    HttpVersion11,
    RawRequestMessage,
    Upgrade,
)


def heads(events: list[object]) -> list[RawRequestMessage]:
    return [e for e in events if isinstance(e, RawRequestMessage)]


def test_simple_get() -> None:
    data = b"GET /path/to?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n"
    events = assert_split_invariant(HttpRequestParser, data)
    assert len(events) == 2
    msg, end = events
    assert isinstance(msg, RawRequestMessage)
    assert msg.method == "GET"
    assert msg.path == "/path/to?x=1&y=%20"
    assert msg.version == HttpVersion11
    assert msg.headers["host"] == "example.com"
    assert isinstance(msg.headers, CIMultiDictProxy)
    assert msg.raw_headers == ((b"Host", b"example.com"), (b"Accept", b"*/*"))
    assert msg.should_close is False
    assert msg.compression is None
    assert msg.upgrade is False
    assert msg.chunked is False
    assert msg.url == URL("/path/to?x=1&y=%20")
    assert msg.url.query["y"] == " "
    assert end == EndOfMessage(None)


def test_content_length_body() -> None:
    data = b"POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
    events = assert_split_invariant(HttpRequestParser, data)
    assert events[1:] == [b"hello world", EndOfMessage(None)]
    assert events[0].chunked is False  # type: ignore[attr-defined]


def test_chunked_body_with_trailers() -> None:
    data = (
        b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
    )
    events = assert_split_invariant(HttpRequestParser, data)
    msg, body, end = events
    assert isinstance(msg, RawRequestMessage) and msg.chunked
    assert body == b"hello world"
    assert isinstance(end, EndOfMessage)
    assert end.trailers == CIMultiDict({"X-Checksum": "abc", "X-Other": "1"})


def test_chunked_without_trailers() -> None:
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    events = assert_split_invariant(HttpRequestParser, data)
    assert events[1:] == [b"abc", EndOfMessage(None)]


def test_transfer_encoding_is_case_insensitive_and_trimmed() -> None:
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding:  Chunked \r\n\r\n1\r\na\r\n0\r\n\r\n"
    events = parse(HttpRequestParser, data)
    assert events[1:] == [b"a", EndOfMessage(None)]


def test_pipelined_requests_in_one_feed() -> None:
    data = (
        b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        b"POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        b"GET /3 HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    events = assert_split_invariant(HttpRequestParser, data)
    assert [m.path for m in heads(events)] == ["/1", "/2", "/3"]
    assert events[3] == b"abc"
    assert sum(isinstance(e, EndOfMessage) for e in events) == 3


def test_http10_closes_by_default_and_keep_alive_keeps() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.0\r\n\r\n")
    assert msg.version == HttpVersion10 and msg.should_close  # type: ignore[attr-defined]
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert not msg.should_close  # type: ignore[attr-defined]


def test_connection_close_http11() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert msg.should_close  # type: ignore[attr-defined]


def test_data_after_connection_close_is_ignored() -> None:
    p = HttpRequestParser()
    events = p.feed_data(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nGET /x HTTP/1.1\r\n\r\n")
    assert len(heads(list(events))) == 1
    assert p.feed_data(b"more garbage") == []


def test_higher_minor_version_is_accepted() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.2\r\n\r\n")
    assert msg.version == HttpVersion(1, 2)  # type: ignore[attr-defined]


def test_leading_empty_lines_are_skipped() -> None:
    events = parse(HttpRequestParser, b"\r\n\r\nGET / HTTP/1.1\r\n\r\n")
    assert heads(events)[0].path == "/"


def test_obs_text_in_value_round_trips_bytes() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.1\r\nX: caf\xc3\xa9 \xff\r\n\r\n")
    assert msg.headers["X"] == "café \udcff"  # type: ignore[attr-defined]
    assert msg.raw_headers == ((b"X", b"caf\xc3\xa9 \xff"),)  # type: ignore[attr-defined]


def test_trailing_whitespace_is_trimmed_from_values() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.1\r\nX:  a b \t\r\nY:\r\n\r\n")
    assert msg.headers["X"] == "a b"  # type: ignore[attr-defined]
    assert msg.headers["Y"] == ""  # type: ignore[attr-defined]


def test_repeated_headers_are_kept_in_order() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\na: 3\r\n\r\n")
    assert msg.headers.getall("A") == ["1", "3"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("target", "url"),
    [
        ("http://example.com:8080/a?b=c", URL("http://example.com:8080/a?b=c")),
        ("https://user@example.com/", URL("https://user@example.com/")),
        ("//evil.example/x", URL.build(path="//evil.example/x")),
        ("/a%2Fb", URL.build(path="/a%2Fb", encoded=True)),
    ],
)
def test_url_forms(target: str, url: URL) -> None:
    data = f"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n".encode()
    (msg, _) = parse(HttpRequestParser, data)
    assert msg.path == target  # type: ignore[attr-defined]
    assert msg.url == url  # type: ignore[attr-defined]


def test_origin_form_double_slash_is_a_path_not_a_host() -> None:
    (msg, _) = parse(HttpRequestParser, b"GET //evil.example/x HTTP/1.1\r\n\r\n")
    assert msg.url.host is None  # type: ignore[attr-defined]
    assert msg.url.path == "//evil.example/x"  # type: ignore[attr-defined]


def test_asterisk_form_for_options() -> None:
    (msg, _) = parse(HttpRequestParser, b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
    assert msg.path == "*"  # type: ignore[attr-defined]
    assert str(msg.url) == "*"  # type: ignore[attr-defined]


def test_connect_hands_over_the_tunnel() -> None:
    data = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
    events = assert_split_invariant(HttpRequestParser, data)
    msg = events[0]
    assert isinstance(msg, RawRequestMessage)
    assert msg.method == "CONNECT" and msg.upgrade
    assert msg.url.host == "example.com" and msg.url.port == 443
    assert events[1:] == [EndOfMessage(None), Upgrade(b"")]
    p = HttpRequestParser()
    assert p.feed_data(data + b"\x16\x03\x01")[-1] == Upgrade(b"\x16\x03\x01")


def test_websocket_upgrade_gives_tail_and_stops() -> None:
    data = (
        b"GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    assert_split_invariant(HttpRequestParser, data)
    p = HttpRequestParser()
    events = p.feed_data(data + b"\x81\x05hello")
    assert isinstance(events[0], RawRequestMessage) and events[0].upgrade
    assert events[1:] == [EndOfMessage(None), Upgrade(b"\x81\x05hello")]
    with pytest.raises(RuntimeError):
        p.feed_data(b"more")


def test_declined_upgrade_continues_with_http() -> None:
    p = HttpRequestParser()
    data = b"GET / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n\r\n"
    events = p.feed_data(data + b"GET /next HTTP/1.1\r\n\r\n")
    tail = events[-1]
    assert isinstance(tail, Upgrade)
    p.continue_after_upgrade()
    events = p.feed_data(tail.tail)
    assert heads(list(events))[0].path == "/next"
    with pytest.raises(RuntimeError):
        p.continue_after_upgrade()


def test_upgrade_request_with_content_length_body() -> None:
    p = HttpRequestParser()
    head = b"POST / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: upgrade\r\nContent-Length: 5\r\n\r\n"
    events = list(p.feed_data(head + b"he"))
    assert isinstance(events[0], RawRequestMessage) and events[0].upgrade
    assert events[1:] == [b"he"]
    assert p.feed_data(b"llo!!") == [b"llo", EndOfMessage(None), Upgrade(b"!!")]


def test_upgrade_without_connection_header_is_not_an_upgrade() -> None:
    data = b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"
    events = parse(HttpRequestParser, data)
    assert [m.upgrade for m in heads(events)] == [False, False]


def test_gzip_body_is_decoded() -> None:
    body = gzip.compress(b"x" * 1000)
    data = (
        b"POST / HTTP/1.1\r\nContent-Encoding: gzip\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )
    events = parse(HttpRequestParser, data)
    assert events[0].compression == "gzip"  # type: ignore[attr-defined]
    assert events[1:] == [b"x" * 1000, EndOfMessage(None)]
    raw = parse(lambda: HttpRequestParser(auto_decompress=False), data)
    assert raw[1] == body


def test_unknown_content_encoding_is_passed_through() -> None:
    data = b"POST / HTTP/1.1\r\nContent-Encoding: snappy\r\nContent-Length: 3\r\n\r\nabc"
    events = parse(HttpRequestParser, data)
    assert events[0].compression is None  # type: ignore[attr-defined]
    assert events[1] == b"abc"


def test_feed_eof_between_messages_is_fine() -> None:
    p = HttpRequestParser()
    p.feed_data(b"GET / HTTP/1.1\r\n\r\n")
    assert p.feed_eof() == []


def test_body_limit_allows_exact_size() -> None:
    data = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    events = parse(lambda: HttpRequestParser(max_body_size=3), data)
    assert events[1] == b"abc"


def test_memoryview_and_bytearray_input() -> None:
    data = b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok"
    p = HttpRequestParser()
    assert p.feed_data(memoryview(data))[1] == b"ok"
    p = HttpRequestParser()
    assert p.feed_data(bytearray(data))[1] == b"ok"
