"""HttpRequestParser.at_rest(): when a parser may serve another connection.

The server gives an idle connection's parser back to a shared pool; a parser is fit
for that only between two requests of a kept-alive connection.
"""

from __future__ import annotations

import pytest

from heron.http import BadHttpMessage, HttpRequestParser, RawRequestMessage, Upgrade

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def test_fresh_parser_is_at_rest() -> None:
    assert HttpRequestParser().at_rest()


def test_at_rest_after_a_complete_keep_alive_request() -> None:
    parser = HttpRequestParser()
    parser.feed_data(GET)
    assert parser.at_rest()
    parser.feed_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
    assert parser.at_rest()


@pytest.mark.parametrize(
    "tail",
    [b"G", b"GE", b"GET ", b"GET /", b"GET / HTTP/1.1\r\n", b"GET / HTTP/1.1\r\nHost: x\r\n"],
)
def test_not_at_rest_inside_the_next_head(tail: bytes) -> None:
    parser = HttpRequestParser()
    parser.feed_data(GET + tail)
    assert not parser.at_rest()
    # The rest of that request still parses where it left off.
    rest = GET[len(tail) :]
    events = parser.feed_data(rest)
    assert isinstance(events[0], RawRequestMessage)
    assert parser.at_rest()


def test_not_at_rest_inside_a_body() -> None:
    parser = HttpRequestParser()
    parser.feed_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nab")
    assert not parser.at_rest()
    parser.feed_data(b"c")
    assert parser.at_rest()


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ],
)
def test_never_at_rest_after_a_closing_request(request_bytes: bytes) -> None:
    parser = HttpRequestParser()
    parser.feed_data(request_bytes)
    assert not parser.at_rest()


def test_never_at_rest_after_an_upgrade() -> None:
    parser = HttpRequestParser()
    events = parser.feed_data(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
    )
    assert isinstance(events[-1], Upgrade)
    assert not parser.at_rest()
    parser.continue_after_upgrade()
    assert not parser.at_rest()


def test_never_at_rest_after_an_error() -> None:
    parser = HttpRequestParser()
    with pytest.raises(BadHttpMessage):
        parser.feed_data(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n")
    assert not parser.at_rest()


def test_release_refuses_a_busy_parser() -> None:
    parser = HttpRequestParser()
    parser.feed_data(GET + b"GE")
    assert not parser.release()
    parser.feed_data(GET[2:])
    assert parser.release()


def test_released_parser_parses_the_next_request_alone() -> None:
    parser = HttpRequestParser()
    parser.feed_data(GET)
    assert parser.release()
    events = parser.feed_data(b"GET /next HTTP/1.1\r\nHost: y\r\n\r\n")
    head = events[0]
    assert isinstance(head, RawRequestMessage)
    assert head.path == "/next"
    assert len(events) == 2
