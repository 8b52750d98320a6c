"""KnownRequests: whole requests recognised by their head bytes, skipping the parser.

A table entry is learned only from what a real parser made of the same bytes, so
every test learns through HttpRequestParser and checks that a repeat gives the
parser's own events back, or None where the parser must run.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heron.http import BadHttpMessage, EndOfMessage, HttpRequestParser, RawRequestMessage
from heron.http._known_requests import MAX_HEADS, NEW_IN_A_ROW, KnownRequests, private_events

GET = b"GET /a?x=1 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n"
POST_HEAD = b"POST /up HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n\r\n"


def learned(data: bytes, known: KnownRequests | None = None) -> KnownRequests:
    """A table that saw ``data`` parsed twice from rest by fresh parsers (a head is
    kept the second time it is learned).

    learn() is called even when the parser is not at rest afterwards (a closing or
    upgrading request), which the server never does: its own checks must hold too.
    """
    known = known if known is not None else KnownRequests()
    for _ in range(2):
        events = HttpRequestParser().feed_data(data)
        known.learn(data, list(events))
    return known


def test_repeat_of_a_bodyless_request_gives_the_parsers_events() -> None:
    known = learned(GET)
    events = known.events(GET)
    assert events is not None
    fresh = HttpRequestParser().feed_data(GET)
    assert events == fresh
    message = events[0]
    assert isinstance(message, RawRequestMessage)
    assert (message.method, message.path, message.url.query["x"]) == ("GET", "/a?x=1", "1")
    assert message.headers["accept"] == "*/*"
    assert isinstance(events[1], EndOfMessage)


def test_a_head_is_kept_the_second_time() -> None:
    known = KnownRequests()
    known.learn(GET, list(HttpRequestParser().feed_data(GET)))
    assert known.events(GET) is None
    known.learn(GET, list(HttpRequestParser().feed_data(GET)))
    assert known.events(GET) is not None


def test_repeat_with_a_body_gives_the_new_body() -> None:
    known = learned(POST_HEAD + b"hello")
    events = known.events(POST_HEAD + b"world")
    assert events is not None
    assert events[1] == b"world"
    assert events == HttpRequestParser().feed_data(POST_HEAD + b"world")


@pytest.mark.parametrize(
    "data",
    [
        POST_HEAD,  # the body has not arrived yet
        POST_HEAD + b"wor",  # only part of it
        POST_HEAD + b"world!",  # more than one message
        POST_HEAD + b"worldGET / HTTP/1.1\r\n",  # a pipelined head behind it
        GET + GET,  # two pipelined requests
        GET[:-2],  # an unfinished head
        b"GET /b HTTP/1.1\r\nHost: example\r\n\r\n",  # a head never seen
        GET.replace(b"Accept", b"accept"),  # the same fields, other bytes
    ],
)
def test_anything_but_one_whole_known_request_goes_to_the_parser(data: bytes) -> None:
    known = learned(POST_HEAD + b"hello")
    learned(GET, known)
    assert known.events(data) is None


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nCookie: session=secret\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\ncookie: session=secret\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nProxy-Authorization: Basic c2VjcmV0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://x/abs HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /" + b"a" * 2100 + b" HTTP/1.1\r\nHost: x\r\n\r\n",  # over the size bound
    ],
)
def test_never_kept(data: bytes) -> None:
    known = learned(data)
    assert len(known) == 0
    assert known.events(data) is None


def test_compressed_body_is_never_kept() -> None:
    import gzip

    body = gzip.compress(b"hello")
    data = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    known = learned(data)
    assert len(known) == 0


def test_events_from_a_parser_that_was_not_at_rest_are_not_learned() -> None:
    # The events of a feed that finished a request begun earlier do not describe
    # the fed bytes: learn() must find they do not add up and keep nothing.
    parser = HttpRequestParser()
    parser.feed_data(POST_HEAD + b"he")
    tail = b"llo"
    events = parser.feed_data(tail)
    known = KnownRequests()
    known.learn(tail, list(events))
    assert len(known) == 0


def test_the_table_is_bounded() -> None:
    known = KnownRequests()
    for i in range(MAX_HEADS + 5):
        learned(f"GET /p{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), known)
        assert len(known) <= MAX_HEADS
    # Cleared when full, then learning again.
    assert 0 < len(known) <= MAX_HEADS
    last = f"GET /p{MAX_HEADS + 4} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    assert known.events(last) is not None


def test_the_table_rests_while_no_head_repeats_and_wakes_again() -> None:
    from heron.http._known_requests import NEW_IN_A_ROW, REST_FOR

    known = learned(GET)
    for i in range(NEW_IN_A_ROW):
        assert known.listening
        data = f"GET /u{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        assert known.events(data) is None
        known.learn(data, list(HttpRequestParser().feed_data(data)))
    # Only new heads in a row: resting, even a known head goes to the parser.
    assert not known.listening
    for _ in range(REST_FOR - 1):
        assert known.events(GET) is None
    assert known.events(GET) is None  # the last read of the rest
    assert known.listening
    assert known.events(GET) is not None  # what it learned before is still there


def test_repeats_keep_the_table_listening() -> None:
    from heron.http._known_requests import NEW_IN_A_ROW

    known = learned(GET)
    for i in range(NEW_IN_A_ROW * 3):
        if i % (NEW_IN_A_ROW // 2) == 0:
            assert known.events(GET) is not None  # a hit now and then
        data = f"GET /u{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        known.learn(data, list(HttpRequestParser().feed_data(data)))
    assert known.listening


# -- property: a table answer is always what the parser itself would give ---------------

# (Weighted towards requests the table may keep, so that many examples reach it.)
_METHODS = st.sampled_from(["GET", "POST", "POST", "PUT", "HEAD", "OPTIONS", "CONNECT"])
_TARGETS = st.sampled_from(["/", "/", "/a?b=1", "*", "http://h/x", "h:443", "/%41", "//x", "/#f"])
_VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0"])
_FIELDS = st.sampled_from(
    [
        ("Host", "x"),
        ("Host", "y"),
        ("Content-Length", "3"),
        ("Content-Length", "0"),
        ("Content-Length", "5"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Encoding", "gzip"),
        ("Connection", "close"),
        ("Connection", "upgrade"),
        ("Upgrade", "websocket"),
        ("Expect", "100-continue"),
        ("Cookie", "s=1"),
        ("X-A", "b"),
    ]
)
_TAILS = st.sampled_from([b"", b"abc", b"abcde", b"ab", b"\r\n", b"3\r\nabc\r\n0\r\n\r\n"])


@st.composite
def _requests(draw: st.DrawFn) -> bytes:
    head = f"{draw(_METHODS)} {draw(_TARGETS)} {draw(_VERSIONS)}\r\n"
    if draw(st.booleans()):
        head += "Host: h\r\n"
    for name, value in draw(st.lists(_FIELDS, max_size=4)):
        head += f"{name}: {value}\r\n"
    return head.encode() + b"\r\n" + draw(_TAILS)


def _parse(data: bytes) -> tuple[list[object] | None, bool]:
    """The parser's events for ``data`` from rest (None on error), and whether it is
    at rest afterwards."""
    parser = HttpRequestParser()
    try:
        events = list(parser.feed_data(data))
    except BadHttpMessage:
        return None, False
    return events, parser.at_rest()


@settings(max_examples=1000, deadline=None)
@given(first=_requests(), later=_TAILS, same_head=st.booleans())
def test_table_answers_match_the_parser(first: bytes, later: bytes, same_head: bool) -> None:
    known = KnownRequests()
    for _ in range(2):  # learned as the server does: only from a parser left at rest
        events, at_rest = _parse(first)
        if events is not None and at_rest:
            known.learn(first, events)  # type: ignore[arg-type]
    head = first[: first.find(b"\r\n\r\n") + 4]
    data = head + later if same_head else first
    answer = known.events(data)
    if answer is not None:
        events, at_rest = _parse(data)
        assert answer == events
        assert at_rest


def test_no_bytes_of_a_secret_head_are_kept() -> None:
    known = KnownRequests()
    secret = b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cr3t-token\r\n\r\n"
    for _ in range(3):
        known.learn(secret, list(HttpRequestParser().feed_data(secret)))
    assert len(known) == 0
    assert known.events(secret) is None
    # Nothing the table refers to holds the token (heads seen once are noted by hash).
    import gc

    assert not any(
        isinstance(obj, bytes) and b"s3cr3t-token" in obj
        for obj in gc.get_referents(*(getattr(known, slot) for slot in KnownRequests.__slots__))
    )


SECRET_HEADS = [
    b"GET / HTTP/1.1\r\nHost: x\r\nCookie: session=secret\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\ncookie: session=secret\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer secret\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nPROXY-AUTHORIZATION: Basic c2VjcmV0\r\n\r\n",
]


@pytest.mark.parametrize("data", SECRET_HEADS)
def test_a_fit_head_with_a_secret_is_handed_back_for_its_connection(data: bytes) -> None:
    known = KnownRequests()
    events = list(HttpRequestParser().feed_data(data))
    entry = known.learn(data, events)
    assert entry is not None and entry[0] == data and entry[2] == 0
    assert len(known) == 0 and known.events(data) is None  # never in the shared table
    assert private_events(entry, data) == events
    assert private_events(entry, data[:-2]) is None
    assert private_events(entry, data + data) is None  # pipelined: the parser's job


def test_a_private_entry_gives_each_repeat_its_new_body() -> None:
    head = b"POST /up HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nContent-Length: 3\r\n\r\n"
    events = list(HttpRequestParser().feed_data(head + b"one"))
    entry = KnownRequests().learn(head + b"one", events)
    assert entry is not None and entry[2] == 3
    again = private_events(entry, head + b"two")
    assert again is not None and again[0] is events[0] and again[1] == b"two"
    assert type(again[2]) is EndOfMessage
    assert private_events(entry, head + b"four") is None  # another length
    assert private_events(entry, head.replace(b"a=1", b"a=2") + b"two") is None


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\nCookie: a=1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n",
        b"GET http://x/abs HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n\r\n",
    ],
)
def test_an_unfit_head_with_a_secret_is_not_handed_back(data: bytes) -> None:
    known = KnownRequests()
    assert known.learn(data, list(HttpRequestParser().feed_data(data))) is None
    assert len(known) == 0


def test_heads_with_secrets_count_as_new_for_resting() -> None:
    known = KnownRequests()
    for i in range(NEW_IN_A_ROW):
        data = b"GET /%d HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n\r\n" % i
        known.learn(data, list(HttpRequestParser().feed_data(data)))
    assert not known.listening
