"""The response parser's short path for a whole plain response in one read.

A response fed in one piece may be parsed without llhttp (``_response_fast``); the
same bytes fed in two pieces always go through llhttp. Whatever the short path
accepts must give exactly the events llhttp gives, and whatever it is unsure about
must still be parsed (or rejected) by llhttp as before.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.http.errors import BadHttpMessage, LineTooLong, TooManyHeaders
from heron.http.models import EndOfMessage, HttpVersion10, HttpVersion11, RawResponseMessage
from heron.http.parser import HttpResponseParser

PLAIN = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello"


def whole(data: bytes, **kwargs: object) -> list[Any] | type[Exception]:
    """The events of ``data`` fed at once (the short path may take it)."""
    try:
        return HttpResponseParser(**kwargs).feed_data(data)  # type: ignore[arg-type]
    except BadHttpMessage as exc:
        return type(exc)


def split(data: bytes, **kwargs: object) -> list[Any] | type[Exception]:
    """The events of ``data`` fed in two pieces (always llhttp)."""
    parser = HttpResponseParser(**kwargs)  # type: ignore[arg-type]
    try:
        return parser.feed_data(data[:1]) + parser.feed_data(data[1:])
    except BadHttpMessage as exc:
        return type(exc)


def short_path_takes(data: bytes, **kwargs: object) -> bool:
    return HttpResponseParser(**kwargs).feed_whole(data) is not None  # type: ignore[arg-type]


def test_plain_response_is_taken_and_matches_llhttp() -> None:
    assert short_path_takes(PLAIN)
    events = whole(PLAIN)
    assert events == split(PLAIN)
    assert isinstance(events, list)
    head = events[0]
    assert isinstance(head, RawResponseMessage)
    assert (head.version, head.code, head.reason) == (HttpVersion11, 200, "OK")
    assert head.headers["content-length"] == "5" and not head.should_close
    assert head.raw_headers == ((b"Content-Type", b"text/plain"), (b"Content-Length", b"5"))
    assert events[1:] == [b"hello", EndOfMessage(None)]


def test_feed_whole_gives_a_head_that_builds_its_headers_when_asked() -> None:
    data = (
        b"HTTP/1.1 201 Created\r\nSet-Cookie: a=1\r\nX-Pad:  b \t\r\n"
        b"set-cookie: b=2\r\nContent-Length: 2\r\n\r\nok"
    )
    expected = split(data)
    assert isinstance(expected, list)
    message = expected[0]
    result = HttpResponseParser().feed_whole(data)
    assert result is not None and result[1] == b"ok"
    head = result[0]
    assert (head.version, head.code, head.reason, head.should_close) == (
        message.version,
        message.code,
        message.reason,
        message.should_close,
    )
    assert (head.compression, head.upgrade, head.chunked) == (None, False, False)
    assert head.sets_cookie
    assert head.headers == message.headers
    assert head.headers.getall("SET-COOKIE") == ["a=1", "b=2"]
    assert head.raw_headers == message.raw_headers
    assert head.raw_headers[1] == (b"X-Pad", b"b \t")
    assert head.message() == message
    plain = HttpResponseParser().feed_whole(PLAIN)
    assert plain is not None and not plain[0].sets_cookie


def test_feed_whole_completes_the_response() -> None:
    parser = HttpResponseParser()
    result = parser.feed_whole(PLAIN)
    assert result is not None and result[1] == b"hello"
    assert parser.done and not parser.trailing_data
    assert parser.feed_whole(PLAIN) is None  # done: nothing more is parsed
    assert parser.reset()
    assert parser.feed_data(PLAIN)[1] == b"hello"  # the reused parser takes it again


@pytest.mark.parametrize(
    ("data", "should_close"),
    [
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", True),
        (b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", True),
        (b"HTTP/1.1 404 \r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nno", False),
        (b"HTTP/1.1 503 Busy\r\nX-Empty:\r\nX-Pad:  a b \t\r\nContent-Length: 0\r\n\r\n", False),
    ],
)
def test_taken_shapes_match_llhttp(data: bytes, should_close: bool) -> None:
    assert short_path_takes(data)
    events = whole(data)
    assert events == split(data)
    assert isinstance(events, list) and isinstance(events[0], RawResponseMessage)
    assert events[0].should_close is should_close
    assert events[0].version in (HttpVersion10, HttpVersion11)


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n" + PLAIN,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nConnection: close, te\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000001\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",  # body still to come
        PLAIN + b"HTTP/1.1 200 OK\r\n",  # bytes after the response
        b"HTTP/1.1 200 OK\r\nX-Name: caf\xc3\xa9\r\nContent-Length: 1\r\n\r\nx",  # obs-text
        b"HTTP/1.1 200 OK\r\nNo-Length: yes\r\n\r\nuntil close",
        b"HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx",  # no space before the reason
    ],
)
def test_unsure_shapes_go_to_llhttp(data: bytes) -> None:
    assert not short_path_takes(data)
    assert whole(data) == split(data)


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nX: a\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nX: a\x01\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nX : a\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/1.1 999 OK\r\nContent-Length: 1\r\n\r\nx",
        b"HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\nx",
    ],
)
def test_malformed_responses_are_still_rejected(data: bytes) -> None:
    assert not short_path_takes(data)
    result = whole(data)
    assert isinstance(result, type) and issubclass(result, BadHttpMessage)
    assert result == split(data)


def test_limits_stay_as_strict() -> None:
    long_head = b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 100 + b"\r\nContent-Length: 0\r\n\r\n"
    # Longer than the field limit: not taken, and llhttp's path refuses it as before.
    assert not short_path_takes(long_head, max_field_size=64)
    assert whole(long_head, max_field_size=64) is LineTooLong
    # A head longer than a limit whose fields each fit: not taken, but still accepted.
    assert not short_path_takes(long_head, max_field_size=120)
    assert whole(long_head, max_field_size=120) == split(long_head, max_field_size=120)
    many = b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 3 + b"Content-Length: 0\r\n\r\n"
    assert not short_path_takes(many, max_headers=3)
    assert whole(many, max_headers=3) is TooManyHeaders
    assert short_path_takes(many, max_headers=4)


def test_head_connect_and_body_limits_never_take_it() -> None:
    assert not short_path_takes(PLAIN, method="HEAD")
    assert not short_path_takes(PLAIN, method="CONNECT")
    assert not short_path_takes(PLAIN, max_body_size=100)
    assert whole(PLAIN, method="HEAD") == split(PLAIN, method="HEAD")


_PLAIN_NAMES = st.sampled_from(["Content-Type", "X-A", "Set-Cookie", "!#$%&'*+.^_`|~"])
_FRAMING_NAMES = st.sampled_from(
    [
        "content-length",
        "Connection",
        "Keep-Alive",
        "Transfer-Encoding",
        "Content-Encoding",
        "Proxy-Connection",
        "Upgrade",
    ]
)
_NAMES = st.one_of(_PLAIN_NAMES, _PLAIN_NAMES, _PLAIN_NAMES, _FRAMING_NAMES)
_BENIGN = st.text(alphabet=st.sampled_from('ab 1\t,;="/'), max_size=10)
_CONNECTION_TOKENS = st.sampled_from(["close", "keep-alive", "Keep-Alive", "upgrade", ""])
_ANY = st.text(alphabet=st.sampled_from("a \t\x7f\x00\x1f\xe9\u20ac"), max_size=4)
_VALUES = st.one_of(_BENIGN, _BENIGN, _CONNECTION_TOKENS, _ANY)


@settings(max_examples=500, deadline=None)
@given(
    version=st.sampled_from(["1.0", "1.1"]),
    status=st.sampled_from([200, 201, 205, 301, 404, 500, 599]),
    reason=st.text(alphabet=st.sampled_from("OK \tx"), max_size=4),
    fields=st.lists(st.tuples(_NAMES, _VALUES), max_size=4),
    length=st.one_of(st.none(), st.integers(min_value=0, max_value=6)),
    tail=st.one_of(st.just(b""), st.binary(max_size=3)),
)
def test_short_path_agrees_with_llhttp(
    version: str,
    status: int,
    reason: str,
    fields: list[tuple[str, str]],
    length: int | None,
    tail: bytes,
) -> None:
    lines = [f"HTTP/{version} {status} {reason}"] + [f"{n}: {v}" for n, v in fields]
    body = b""
    if length is not None:
        lines.append(f"Content-Length: {length}")
        body = b"y" * length
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body + tail
    assert whole(data) == split(data)


@settings(max_examples=300, deadline=None)
@given(
    version=st.sampled_from(["1.0", "1.1"]),
    status=st.integers(min_value=200, max_value=599),
    reason=st.text(alphabet=st.sampled_from("OK x-"), max_size=6),
    fields=st.lists(
        st.tuples(
            st.one_of(_PLAIN_NAMES, st.sampled_from(["Connection", "Keep-Alive"])),
            st.one_of(_BENIGN, _CONNECTION_TOKENS),
        ),
        max_size=4,
    ),
    length=st.integers(min_value=0, max_value=6),
)
def test_mostly_plain_responses_agree_with_llhttp(
    version: str, status: int, reason: str, fields: list[tuple[str, str]], length: int
) -> None:
    lines = [f"HTTP/{version} {status} {reason}"] + [f"{n}: {v}" for n, v in fields]
    lines.append(f"Content-Length: {length}")
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + b"y" * length
    assert whole(data) == split(data)


def test_repeated_and_long_heads_agree_with_llhttp() -> None:
    long_head = b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 3000 + b"\r\nContent-Length: 2\r\n\r\n"
    for data in (PLAIN, PLAIN, long_head + b"ok", long_head + b"ok"):
        assert short_path_takes(data)
        assert whole(data) == split(data)
    # A head seen before, now with a body of another length: not taken again.
    assert not short_path_takes(long_head + b"okk")
    assert whole(long_head + b"okk") == split(long_head + b"okk")


def test_reset_after_a_whole_response_then_other_methods_and_paths() -> None:
    parser = HttpResponseParser()
    for _ in range(3):  # whole responses only: the short reset each time
        result = parser.feed_whole(PLAIN)
        assert result is not None and result[1] == b"hello"
        assert parser.reset("GET")
    # After llhttp parsed a response split over two reads: the full reset.
    assert parser.feed_data(PLAIN[:10]) == []
    assert parser.feed_data(PLAIN[10:])[1] == b"hello"
    assert parser.reset("GET")
    result = parser.feed_whole(PLAIN)
    assert result is not None and result[1] == b"hello"
    # Bytes after the response: never reusable, short reset or not.
    assert parser.feed_data(b"x") == [] and parser.trailing_data
    assert not parser.reset("GET")
    # A whole response, then a HEAD: the head's Content-Length announces no body here.
    parser = HttpResponseParser()
    assert parser.feed_whole(PLAIN) is not None
    assert parser.reset("HEAD")
    events = parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")
    assert len(events) == 2 and events[0].code == 200 and parser.done


def test_identical_heads_share_one_read_only_head() -> None:
    data = b"HTTP/1.1 200 OK\r\nX-Same: 1\r\nContent-Length: 2\r\n\r\nok"
    first = HttpResponseParser().feed_whole(data)
    second = HttpResponseParser().feed_whole(data[:-2] + b"no")
    assert first is not None and second is not None
    assert (first[1], second[1]) == (b"ok", b"no")
    assert first[0].headers == second[0].headers == {"X-Same": "1", "Content-Length": "2"}
    with pytest.raises(TypeError):
        first[0].headers["X-Same"] = "2"  # type: ignore[index]
    assert second[0].headers["x-same"] == "1"
