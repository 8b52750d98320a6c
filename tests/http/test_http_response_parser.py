"""HttpResponseParser: every response framing, fed whole and split."""

from __future__ import annotations

import zlib

import pytest
from http_helpers import assert_split_invariant, parse
from multidict import CIMultiDict

from heron.http import (
    ContentLengthError,
    EndOfMessage,
    HttpResponseParser,
    HttpVersion10,
    HttpVersion11,
    RawResponseMessage,
    TransferEncodingError,
    Upgrade,
)


def test_content_length_response() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello"
    events = assert_split_invariant(HttpResponseParser, data)
    msg = events[0]
    assert isinstance(msg, RawResponseMessage)
    assert (msg.version, msg.code, msg.reason) == (HttpVersion11, 200, "OK")
    assert msg.headers["server"] == "x"
    assert msg.raw_headers == ((b"Content-Length", b"5"), (b"Server", b"x"))
    assert not msg.should_close and not msg.chunked and not msg.upgrade
    assert events[1:] == [b"hello", EndOfMessage(None)]


def test_chunked_response_with_trailers() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4\r\nwiki\r\n5\r\npedia\r\n0\r\nExpires: never\r\n\r\n"
    )
    events = assert_split_invariant(HttpResponseParser, data)
    assert events[0].chunked  # type: ignore[attr-defined]
    assert events[1] == b"wikipedia"
    assert events[2] == EndOfMessage(CIMultiDict(Expires="never"))  # type: ignore[arg-type]


def test_read_until_close() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
    events = assert_split_invariant(HttpResponseParser, data, eof=True)
    assert events[0].should_close  # type: ignore[attr-defined]
    assert events[1:] == [b"all of it", EndOfMessage(None)]


def test_read_until_close_disabled_gives_empty_body() -> None:
    p = HttpResponseParser(read_until_eof=False)
    events = p.feed_data(b"HTTP/1.1 200 OK\r\n\r\nextra")
    assert isinstance(events[0], RawResponseMessage)
    assert events[1:] == [EndOfMessage(None)]
    assert p.done and p.trailing_data


def test_http10_response_closes() -> None:
    data = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    (msg, _body, _) = parse(HttpResponseParser, data)
    assert msg.version == HttpVersion10 and msg.should_close  # type: ignore[attr-defined]
    data = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
    (msg, _body, _) = parse(HttpResponseParser, data)
    assert not msg.should_close  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [204, 304])
def test_no_body_statuses(status: int) -> None:
    data = f"HTTP/1.1 {status} X\r\nContent-Length: 10\r\n\r\n".encode()
    events = assert_split_invariant(HttpResponseParser, data)
    assert events[0].code == status  # type: ignore[attr-defined]
    assert events[1:] == [EndOfMessage(None)]


def test_head_response_has_no_body() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
    events = assert_split_invariant(lambda: HttpResponseParser(method="HEAD"), data)
    assert events[1:] == [EndOfMessage(None)]
    p = HttpResponseParser(method="head")
    p.feed_data(data)
    assert p.done and not p.trailing_data


def test_head_response_without_length_keeps_connection() -> None:
    p = HttpResponseParser(method="HEAD")
    (msg, _end) = p.feed_data(b"HTTP/1.1 200 OK\r\n\r\n")
    assert isinstance(msg, RawResponseMessage) and not msg.should_close
    p = HttpResponseParser(method="HEAD")
    (msg, _end) = p.feed_data(b"HTTP/1.0 200 OK\r\n\r\n")
    assert isinstance(msg, RawResponseMessage) and msg.should_close


def test_head_response_followed_by_bytes_is_flagged() -> None:
    p = HttpResponseParser(method="HEAD")
    p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")
    assert p.trailing_data


def test_interim_responses_are_skipped() -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    )
    events = assert_split_invariant(HttpResponseParser, data)
    assert events[0].code == 201  # type: ignore[attr-defined]
    assert "Link" not in events[0].headers  # type: ignore[attr-defined]
    assert events[1:] == [b"ok", EndOfMessage(None)]


def test_interim_response_before_head_response() -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"
    events = assert_split_invariant(lambda: HttpResponseParser(method="HEAD"), data)
    assert events[0].code == 200  # type: ignore[attr-defined]


def test_switching_protocols() -> None:
    data = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    events = assert_split_invariant(HttpResponseParser, data)
    assert events[0].upgrade  # type: ignore[attr-defined]
    assert events[1:] == [EndOfMessage(None), Upgrade(b"")]
    p = HttpResponseParser()
    assert p.feed_data(data + b"\x81\x00")[-1] == Upgrade(b"\x81\x00")
    assert p.done


def test_connect_tunnel() -> None:
    data = b"HTTP/1.1 200 Connection established\r\n\r\n"
    events = assert_split_invariant(lambda: HttpResponseParser(method="CONNECT"), data)
    assert events[0].upgrade  # type: ignore[attr-defined]
    assert events[1:] == [EndOfMessage(None), Upgrade(b"")]
    p = HttpResponseParser(method="CONNECT")
    assert p.feed_data(data + b"\x16\x03\x03")[-1] == Upgrade(b"\x16\x03\x03")


def test_connect_refused_has_a_normal_body() -> None:
    data = b"HTTP/1.1 407 Proxy Auth\r\nContent-Length: 4\r\n\r\ndeny"
    events = assert_split_invariant(lambda: HttpResponseParser(method="CONNECT"), data)
    assert events[0].code == 407 and not events[0].upgrade  # type: ignore[attr-defined]
    assert events[1:] == [b"deny", EndOfMessage(None)]


def test_deflate_response_decoded() -> None:
    body = zlib.compress(b"payload" * 100)
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%b" % (
        len(body),
        body,
    )
    events = assert_split_invariant(HttpResponseParser, data)
    assert events[0].compression == "deflate"  # type: ignore[attr-defined]
    assert events[1] == b"payload" * 100


def test_response_final_coding_not_chunked_reads_until_close() -> None:
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw"
    events = parse(HttpResponseParser, data, eof=True)
    assert events[1:] == [b"raw", EndOfMessage(None)]


def test_status_without_reason() -> None:
    (msg, _) = parse(HttpResponseParser, b"HTTP/1.1 204\r\n\r\n")
    assert msg.reason == ""  # type: ignore[attr-defined]


def test_bytes_after_the_response_are_flagged_not_parsed() -> None:
    p = HttpResponseParser()
    events = p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n\r\n")
    assert len(events) == 3 and p.trailing_data
    assert p.feed_data(b"garbage") == []
    p = HttpResponseParser()
    p.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx\x00garbage")
    assert p.trailing_data
    assert p.feed_eof() == []


def test_eof_before_anything_is_not_an_error() -> None:
    assert HttpResponseParser().feed_eof() == []


@pytest.mark.parametrize(
    ("data", "exc"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", ContentLengthError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", TransferEncodingError),
        (b"HTTP/1.1 200 OK\r\nConte", Exception),
    ],
)
def test_truncated_response(data: bytes, exc: type[Exception]) -> None:
    p = HttpResponseParser()
    p.feed_data(data)
    with pytest.raises(exc):
        p.feed_eof()
    with pytest.raises(exc):
        p.feed_data(b"x")
