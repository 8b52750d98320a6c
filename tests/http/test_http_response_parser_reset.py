"""``HttpResponseParser.reset()``: one parser for the responses of a kept-alive connection."""

from __future__ import annotations

import pytest

from heron.http.errors import BadHttpMessage
from heron.http.models import EndOfMessage, RawResponseMessage, Upgrade
from heron.http.parser import HttpResponseParser

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
HEAD_WITH_LENGTH = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_reset_parses_the_next_response_like_a_new_parser() -> None:
    parser = HttpResponseParser()
    assert kinds(parser.feed_data(OK)) == ["RawResponseMessage", "bytes", "EndOfMessage"]
    answers = [
        ("GET", OK),
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n"),
        ("POST", b"HTTP/1.1 100 Continue\r\n\r\n" + OK),
        ("GET", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ("GET", OK),
    ]
    for method, data in answers:
        assert parser.reset(method)
        events = parser.feed_data(data[:7]) + parser.feed_data(data[7:])
        head = events[0]
        assert isinstance(head, RawResponseMessage) and head.code in (200, 204)
        assert isinstance(events[-1], EndOfMessage)
        body = b"".join(e for e in events if isinstance(e, bytes))
        assert body == (b"hello" if method in ("GET", "POST") and head.code == 200 else b"")
        assert parser.done and not parser.trailing_data


def test_reset_refuses_while_a_response_is_unfinished() -> None:
    parser = HttpResponseParser()
    assert not parser.reset()  # nothing parsed yet
    parser.feed_data(OK[:20])
    assert not parser.reset()
    assert kinds(parser.feed_data(OK[20:])) == ["RawResponseMessage", "bytes", "EndOfMessage"]


def test_reset_refuses_after_a_head_answer_that_announced_a_body() -> None:
    parser = HttpResponseParser(method="HEAD")
    assert kinds(parser.feed_data(HEAD_WITH_LENGTH)) == ["RawResponseMessage", "EndOfMessage"]
    assert not parser.reset("GET")  # llhttp still waits for those 5 bytes


def test_reset_refuses_after_trailing_bytes_upgrade_or_error() -> None:
    trailing = HttpResponseParser()
    trailing.feed_data(OK + b"HTTP/1.1 200 OK\r\n")
    assert trailing.trailing_data and not trailing.reset()

    upgraded = HttpResponseParser()
    events = upgraded.feed_data(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
    )
    assert isinstance(events[-1], Upgrade) and not upgraded.reset()

    failed = HttpResponseParser()
    with pytest.raises(BadHttpMessage):
        failed.feed_data(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
    assert not failed.reset()
