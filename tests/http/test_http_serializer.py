"""Serialisation of heads and chunks, and round trips through the parsers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from heron.http import (
    EndOfMessage,
    HttpRequestParser,
    HttpResponseParser,
    HttpVersion10,
    HttpVersion11,
    RawRequestMessage,
    RawResponseMessage,
    reason_phrase,
    serialize_chunk,
    serialize_headers,
    serialize_last_chunk,
    serialize_request_head,
    serialize_response_head,
)


def test_request_head() -> None:
    head = serialize_request_head("GET", "/a?b=1", HttpVersion11, {"Host": "example.com"})
    assert head == b"GET /a?b=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"


def test_response_head_with_default_reason() -> None:
    head = serialize_response_head(HttpVersion11, 404, None, [("Content-Length", "0")])
    assert head == b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    assert serialize_response_head(HttpVersion10, 299, None, None) == b"HTTP/1.0 299 \r\n\r\n"


def test_response_head_custom_reason_and_multidict() -> None:
    headers = CIMultiDict([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
    head = serialize_response_head((1, 1), 200, "Fine", headers)
    assert head == b"HTTP/1.1 200 Fine\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"


def test_non_ascii_value_is_utf8() -> None:
    assert serialize_headers({"X": "café"}) == b"X: caf\xc3\xa9\r\n"
    assert serialize_headers(None) == b""
    assert serialize_headers([]) == b""


@pytest.mark.parametrize(
    "headers",
    [
        {"X": "a\r\nInjected: 1"},
        {"X": "a\nb"},
        {"X": "a\rb"},
        {"X": "a\x00b"},
        {"X": "a\x7f"},
        {"X-\r\nY": "v"},
        {"X\nY": "v"},
        {"": "v"},
        {"X Y": "v"},
        {"X:": "v"},
        {"Caf\u00e9": "v"},
        [("Good", "v"), ("Bad\n", "v")],
    ],
)
def test_refuses_injection_in_headers(headers: object) -> None:
    with pytest.raises(ValueError):
        serialize_response_head(HttpVersion11, 200, "OK", headers)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        serialize_last_chunk(headers)  # type: ignore[arg-type]


@pytest.mark.parametrize("reason", ["OK\r\nX: 1", "O\nK", "\x00"])
def test_refuses_injection_in_reason(reason: str) -> None:
    with pytest.raises(ValueError):
        serialize_response_head(HttpVersion11, 200, reason, {})


@pytest.mark.parametrize("status", [99, 1000, -1])
def test_refuses_bad_status(status: int) -> None:
    with pytest.raises(ValueError):
        serialize_response_head(HttpVersion11, status, "X", {})


@pytest.mark.parametrize(
    ("method", "target"),
    [("GET\r\n", "/"), ("G T", "/"), ("", "/"), ("GET", "/a b"), ("GET", "/\r\n"), ("GET", "")],
)
def test_refuses_bad_request_line(method: str, target: str) -> None:
    with pytest.raises(ValueError):
        serialize_request_head(method, target, HttpVersion11, {})


def test_chunks() -> None:
    assert serialize_chunk(b"hello") == b"5\r\nhello\r\n"
    assert serialize_chunk(b"x" * 255) == b"ff\r\n" + b"x" * 255 + b"\r\n"
    assert serialize_chunk(b"") == b""
    assert serialize_last_chunk() == b"0\r\n\r\n"
    assert serialize_last_chunk({"X-Sum": "1"}) == b"0\r\nX-Sum: 1\r\n\r\n"


def test_reason_phrases() -> None:
    assert reason_phrase(200) == "OK"
    assert reason_phrase(428) == "Precondition Required"
    assert reason_phrase(511) == "Network Authentication Required"
    assert reason_phrase(418) == "I'm a Teapot"
    assert reason_phrase(799) == ""


_token = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=20,
)
# Field values: visible characters, inner spaces/tabs, any non-ASCII; no edge whitespace.
_vchar = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=" ")
_value = st.builds(
    lambda a, b: (a + b).strip(" \t"),
    st.text(alphabet=_vchar, max_size=20),
    st.text(alphabet=st.sampled_from(" \tab"), max_size=3),
)
_headers = st.lists(st.tuples(_token, _value), max_size=8).filter(
    lambda hs: (
        not {k.lower() for k, _ in hs}
        & {
            "content-length",
            "transfer-encoding",
            "host",
            "connection",
            "upgrade",
            "content-encoding",
        }
    )
)
_body = st.lists(st.binary(min_size=1, max_size=50), max_size=5)


@settings(max_examples=150, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    path=st.from_regex(r"\A/[a-zA-Z0-9/._~%-]{0,30}(\?[a-z0-9=&]{0,10})?\Z"),
    headers=_headers,
    chunks=_body,
    trailers=_headers,
)
def test_round_trip_request(
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    chunks: list[bytes],
    trailers: list[tuple[str, str]],
) -> None:
    all_headers = [*headers, ("Transfer-Encoding", "chunked")]
    wire = serialize_request_head(method, path, HttpVersion11, all_headers)
    wire += b"".join(serialize_chunk(c) for c in chunks)
    wire += serialize_last_chunk(trailers or None)
    events = HttpRequestParser().feed_data(wire)
    msg = events[0]
    assert isinstance(msg, RawRequestMessage)
    assert (msg.method, msg.path) == (method, path)
    assert list(msg.headers.items()) == all_headers
    assert b"".join(e for e in events if isinstance(e, bytes)) == b"".join(chunks)
    end = events[-1]
    assert isinstance(end, EndOfMessage)
    assert (list(end.trailers.items()) if end.trailers else []) == trailers
    # Re-serialising the parsed head gives the same bytes.
    again = serialize_request_head(msg.method, msg.path, msg.version, msg.headers)
    assert wire.startswith(again)


@settings(max_examples=100, deadline=None)
@given(
    status=st.integers(200, 599).filter(lambda s: s not in (204, 304)),
    headers=_headers,
    body=st.binary(max_size=100),
)
def test_round_trip_response(status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    all_headers = [*headers, ("Content-Length", str(len(body)))]
    wire = serialize_response_head(HttpVersion11, status, None, all_headers) + body
    events = HttpResponseParser().feed_data(wire)
    msg = events[0]
    assert isinstance(msg, RawResponseMessage)
    assert msg.code == status and msg.reason == reason_phrase(status)
    assert list(msg.headers.items()) == all_headers
    assert b"".join(e for e in events if isinstance(e, bytes)) == body
    assert events[-1] == EndOfMessage(None)
