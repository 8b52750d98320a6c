"""Hostile and malformed messages: each is rejected with a precise error and status."""

from __future__ import annotations

import gzip

import pytest

from heron.http import (
    BadHttpMessage,
    BadHttpMethod,
    BadStatusLine,
    ContentEncodingError,
    ContentLengthError,
    DecompressedSizeError,
    HttpRequestParser,
    HttpResponseParser,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadTooLarge,
    TooManyHeaders,
    TransferEncodingError,
    UnsupportedTransferEncoding,
    UnsupportedVersion,
)

POST = b"POST / HTTP/1.1\r\nHost: h\r\n"
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"
UPGRADE_HEAD = b"POST / HTTP/1.1\r\nUpgrade: x\r\nConnection: upgrade\r\nContent-Length: 5\r\n\r\n"
GZ_BOMB = gzip.compress(b"\0" * (4 * 2**20))

REQUESTS: list[tuple[str, bytes, type[BadHttpMessage], int]] = [
    # --- request smuggling shapes: framing headers
    (
        "cl-then-te",
        POST + b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        ContentLengthError,
        400,
    ),
    (
        "te-then-cl",
        POST + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        ContentLengthError,
        400,
    ),
    (
        "te-chunked-not-final",
        POST + b"Transfer-Encoding: chunked, gzip\r\n\r\n",
        TransferEncodingError,
        400,
    ),
    ("te-gzip-only", POST + b"Transfer-Encoding: gzip\r\n\r\nabc", TransferEncodingError, 400),
    (
        "te-unknown-coding",
        POST + b"Transfer-Encoding: xchunked\r\n\r\n",
        TransferEncodingError,
        400,
    ),
    (
        "te-chunked-with-params",
        POST + b"Transfer-Encoding: chunked;q=1\r\n\r\n",
        TransferEncodingError,
        400,
    ),
    (
        "te-gzip-then-chunked",
        POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        UnsupportedTransferEncoding,
        501,
    ),
    (
        "te-split-over-two-fields",
        POST + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        UnsupportedTransferEncoding,
        501,
    ),
    (
        "te-chunked-twice",
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        TransferEncodingError,
        400,
    ),
    (
        "te-in-http10",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        TransferEncodingError,
        400,
    ),
    ("te-vertical-tab", POST + b"Transfer-Encoding:\x0bchunked\r\n\r\n", InvalidHeader, 400),
    ("te-obs-fold", POST + b"Transfer-Encoding:\r\n chunked\r\n\r\n", InvalidHeader, 400),
    ("te-space-before-colon", POST + b"Transfer-Encoding : chunked\r\n\r\n", InvalidHeader, 400),
    (
        "cl-duplicate-same",
        POST + b"Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        ContentLengthError,
        400,
    ),
    (
        "cl-duplicate-differ",
        POST + b"Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        ContentLengthError,
        400,
    ),
    ("cl-list", POST + b"Content-Length: 3, 3\r\n\r\nabc", ContentLengthError, 400),
    ("cl-plus-sign", POST + b"Content-Length: +3\r\n\r\nabc", ContentLengthError, 400),
    ("cl-negative", POST + b"Content-Length: -1\r\n\r\n", ContentLengthError, 400),
    ("cl-hex", POST + b"Content-Length: 0x10\r\n\r\n", ContentLengthError, 400),
    (
        "cl-overflow",
        POST + b"Content-Length: 99999999999999999999999\r\n\r\n",
        ContentLengthError,
        400,
    ),
    ("cl-empty", POST + b"Content-Length: \r\n\r\n", ContentLengthError, 400),
    # --- chunked framing
    ("chunk-size-hex-prefix", CHUNKED + b"0x3\r\nabc\r\n0\r\n\r\n", TransferEncodingError, 400),
    ("chunk-size-negative", CHUNKED + b"-3\r\nabc\r\n0\r\n\r\n", TransferEncodingError, 400),
    ("chunk-size-overflow", CHUNKED + b"fffffffffffffffffffff\r\n", TransferEncodingError, 400),
    ("chunk-size-space", CHUNKED + b"3 \r\nabc\r\n0\r\n\r\n", TransferEncodingError, 400),
    ("chunk-size-empty", CHUNKED + b"\r\nabc\r\n0\r\n\r\n", TransferEncodingError, 400),
    ("chunk-ext-control", CHUNKED + b"3;\x01\r\nabc\r\n0\r\n\r\n", TransferEncodingError, 400),
    ("chunk-missing-crlf", CHUNKED + b"3\r\nabcX0\r\n\r\n", TransferEncodingError, 400),
    ("chunk-bare-lf", CHUNKED + b"3\nabc\n0\n\n", TransferEncodingError, 400),
    ("trailer-obs-fold", CHUNKED + b"0\r\nX: a\r\n b\r\n\r\n", InvalidHeader, 400),
    # --- header syntax
    ("obs-fold", b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", InvalidHeader, 400),
    ("obs-fold-tab", b"GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", InvalidHeader, 400),
    ("nul-in-value", b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", InvalidHeader, 400),
    ("cr-in-value", b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", InvalidHeader, 400),
    ("del-in-value", b"GET / HTTP/1.1\r\nX: a\x7fb\r\n\r\n", InvalidHeader, 400),
    ("ctl-in-value", b"GET / HTTP/1.1\r\nX: a\x1bb\r\n\r\n", InvalidHeader, 400),
    ("bare-lf-header", b"GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", InvalidHeader, 400),
    ("nul-in-name", b"GET / HTTP/1.1\r\nX\x00: a\r\n\r\n", InvalidHeader, 400),
    ("space-in-name", b"GET / HTTP/1.1\r\nX Y: a\r\n\r\n", InvalidHeader, 400),
    ("high-byte-in-name", b"GET / HTTP/1.1\r\n\x80X: 1\r\n\r\n", InvalidHeader, 400),
    ("empty-name", b"GET / HTTP/1.1\r\n: a\r\n\r\n", InvalidHeader, 400),
    ("no-colon", b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", InvalidHeader, 400),
    ("duplicate-host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", InvalidHeader, 400),
    # --- request line and version
    ("bare-lf-request-line", b"GET / HTTP/1.1\nHost: h\n\n", BadStatusLine, 400),
    ("http2-version", b"GET / HTTP/2.0\r\n\r\n", UnsupportedVersion, 505),
    ("http09-version", b"GET / HTTP/0.9\r\n\r\n", UnsupportedVersion, 505),
    ("http3-version", b"GET / HTTP/3.0\r\n\r\n", UnsupportedVersion, 505),
    ("no-version", b"GET /\r\n\r\n", UnsupportedVersion, 505),
    ("two-digit-minor", b"GET / HTTP/1.10\r\n\r\n", BadStatusLine, 400),
    ("lowercase-http", b"GET / http/1.1\r\n\r\n", BadStatusLine, 400),
    ("garbage-protocol", b"GET / FOO/1.1\r\n\r\n", BadStatusLine, 400),
    ("space-after-version", b"GET / HTTP/1.1 \r\n\r\n", BadStatusLine, 400),
    ("space-in-target", b"GET /a b HTTP/1.1\r\n\r\n", BadStatusLine, 400),
    (
        "tls-client-hello",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 32,
        BadHttpMethod,
        400,
    ),
    ("unknown-method", b"FOO / HTTP/1.1\r\n\r\n", BadHttpMethod, 400),
    ("lowercase-method", b"get / HTTP/1.1\r\n\r\n", BadHttpMethod, 400),
    ("binary-garbage", b"\x00\xff\xfe\r\n\r\n", BadHttpMethod, 400),
    # --- request targets
    ("control-in-target", b"GET /a\x01 HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("high-byte-in-target", b"GET /\xff HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("fragment-in-target", b"GET /a#frag HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("absolute-without-host", b"GET http:// HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("absolute-bad-ipv6", b"GET http://[::1 HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("asterisk-for-get", b"GET * HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("connect-origin-form", b"CONNECT /foo HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("connect-without-port", b"CONNECT example.com HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    ("authority-form-for-get", b"GET example.com:80 HTTP/1.1\r\n\r\n", InvalidURLError, 400),
    # --- others
    (
        "upgrade-with-chunked-body",
        b"POST / HTTP/1.1\r\nUpgrade: h2c\r\nConnection: upgrade\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        BadHttpMessage,
        400,
    ),
    (
        "corrupt-gzip",
        POST + b"Content-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope",
        ContentEncodingError,
        400,
    ),
    (
        "gzip-bomb",
        POST + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%b" % (len(GZ_BOMB), GZ_BOMB),
        DecompressedSizeError,
        413,
    ),
]


def _fresh() -> HttpRequestParser:
    return HttpRequestParser(max_decompressed_size=2**20)


@pytest.mark.parametrize(
    ("data", "exc", "code"),
    [pytest.param(d, e, c, id=name) for name, d, e, c in REQUESTS],
)
def test_malformed_request(data: bytes, exc: type[BadHttpMessage], code: int) -> None:
    parser = _fresh()
    with pytest.raises(BadHttpMessage) as info:
        parser.feed_data(data)
        parser.feed_eof()
    assert type(info.value) is exc, info.value
    assert info.value.code == code
    # The parser stays failed: nothing more is parsed from this connection.
    with pytest.raises(type(info.value)):
        parser.feed_data(b"GET / HTTP/1.1\r\n\r\n")
    with pytest.raises(type(info.value)):
        parser.feed_eof()


def test_malformed_request_table_is_large_and_distinct() -> None:
    assert len(REQUESTS) >= 40
    assert len({d for _, d, _, _ in REQUESTS}) == len(REQUESTS)


@pytest.mark.parametrize(
    ("data", "exc"),
    [
        pytest.param(b"GET / HTTP/1.1\r\nHost: h\r", BadHttpMessage, id="head"),
        pytest.param(POST + b"Content-Length: 5\r\n\r\nab", ContentLengthError, id="length"),
        pytest.param(CHUNKED + b"5\r\nab", TransferEncodingError, id="chunked"),
    ],
)
def test_truncated_request_at_eof(data: bytes, exc: type[BadHttpMessage]) -> None:
    parser = HttpRequestParser()
    parser.feed_data(data)
    with pytest.raises(BadHttpMessage) as info:
        parser.feed_eof()
    assert type(info.value) is exc and info.value.code == 400


def test_truncated_upgrade_body_at_eof() -> None:
    parser = HttpRequestParser()
    parser.feed_data(UPGRADE_HEAD + b"ab")
    with pytest.raises(ContentLengthError):
        parser.feed_eof()


# --- limits --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "data", "exc", "code"),
    [
        pytest.param(
            {"max_line_size": 100},
            b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n\r\n",
            LineTooLong,
            414,
            id="request-line-too-long",
        ),
        pytest.param(
            {"max_field_size": 50},
            b"GET / HTTP/1.1\r\nX: " + b"v" * 50 + b"\r\n\r\n",
            LineTooLong,
            431,
            id="header-field-too-long",
        ),
        pytest.param(
            {"max_headers": 10},
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(11)) + b"\r\n",
            TooManyHeaders,
            431,
            id="too-many-headers",
        ),
        pytest.param(
            {"max_headers": 3},
            CHUNKED + b"0\r\n" + b"".join(b"T-%d: v\r\n" % i for i in range(4)) + b"\r\n",
            TooManyHeaders,
            431,
            id="too-many-trailers",
        ),
        pytest.param(
            {"max_body_size": 10},
            POST + b"Content-Length: 11\r\n\r\n",
            PayloadTooLarge,
            413,
            id="declared-body-too-large-before-the-body",
        ),
        pytest.param(
            {"max_body_size": 1},
            UPGRADE_HEAD + b"abcde",
            PayloadTooLarge,
            413,
            id="upgrade-after-error-is-refused",
        ),
    ],
)
def test_limit_exceeded_in_one_feed(
    limits: dict[str, int], data: bytes, exc: type[BadHttpMessage], code: int
) -> None:
    parser = HttpRequestParser(**limits)
    with pytest.raises(exc) as info:
        parser.feed_data(data)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("limits", "start", "piece", "repeats", "exc", "code"),
    [
        pytest.param({"max_line_size": 100}, b"GET /", b"aaaaa", 30, LineTooLong, 414, id="line"),
        pytest.param(
            {"max_field_size": 1000},
            b"GET / HTTP/1.1\r\nX: ",
            b"v" * 100,
            100,
            LineTooLong,
            431,
            id="header-field",
        ),
        pytest.param(
            {"max_body_size": 10},
            CHUNKED + b"6\r\nabcdef\r\n",
            b"6\r\nabcdef\r\n",
            1,
            PayloadTooLarge,
            413,
            id="chunked-body",
        ),
    ],
)
def test_limit_exceeded_over_several_feeds(
    limits: dict[str, int],
    start: bytes,
    piece: bytes,
    repeats: int,
    exc: type[BadHttpMessage],
    code: int,
) -> None:
    parser = HttpRequestParser(**limits)
    parser.feed_data(start)
    with pytest.raises(exc) as info:
        for _ in range(repeats):  # bounded: must fail long before the loop ends
            parser.feed_data(piece)
    assert info.value.code == code


def test_request_line_at_limit_is_fine() -> None:
    parser = HttpRequestParser(max_line_size=100)
    events = parser.feed_data(b"GET /" + b"a" * 99 + b" HTTP/1.1\r\n\r\n")
    assert len(events) == 2


# --- responses -------------------------------------------------------------------

RESPONSES: list[tuple[str, bytes, type[BadHttpMessage]]] = [
    ("status-099", b"HTTP/1.1 099 Low\r\n\r\n", BadStatusLine),
    ("status-600", b"HTTP/1.1 600 High\r\n\r\n", BadStatusLine),
    ("status-4-digits", b"HTTP/1.1 2000 OK\r\n\r\n", BadStatusLine),
    ("status-2-digits", b"HTTP/1.1 20 OK\r\n\r\n", BadStatusLine),
    ("reason-control", b"HTTP/1.1 200 O\x01K\r\n\r\n", BadStatusLine),
    ("http2-short", b"HTTP/2 200 OK\r\n\r\n", BadStatusLine),
    ("http2-version", b"HTTP/2.0 200 OK\r\n\r\n", UnsupportedVersion),
    ("101-without-upgrade", b"HTTP/1.1 101 Switching\r\n\r\n", BadHttpMessage),
    (
        "cl-and-te",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        ContentLengthError,
    ),
    (
        "te-gzip-chunked",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        UnsupportedTransferEncoding,
    ),
    ("obs-fold", b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", InvalidHeader),
    ("not-http", b"SSH-2.0-OpenSSH_9.6\r\n", BadStatusLine),
]


@pytest.mark.parametrize(("data", "exc"), [pytest.param(d, e, id=name) for name, d, e in RESPONSES])
def test_malformed_response(data: bytes, exc: type[BadHttpMessage]) -> None:
    parser = HttpResponseParser()
    with pytest.raises(BadHttpMessage) as info:
        parser.feed_data(data)
    assert type(info.value) is exc, info.value
    with pytest.raises(exc):
        parser.feed_data(b"HTTP/1.1 200 OK\r\n\r\n")


def test_response_reason_too_long() -> None:
    parser = HttpResponseParser(max_line_size=20)
    with pytest.raises(LineTooLong):
        parser.feed_data(b"HTTP/1.1 200 " + b"x" * 30 + b"\r\n\r\n")


def test_head_response_head_too_long() -> None:
    parser = HttpResponseParser(method="HEAD", max_line_size=10, max_field_size=10, max_headers=2)
    with pytest.raises(LineTooLong):
        parser.feed_data(b"HTTP/1.1 200 OK\r\nX: " + b"y" * 100)


def test_response_gzip_bomb_stops_at_limit() -> None:
    parser = HttpResponseParser(max_decompressed_size=2**20)
    head = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"
    with pytest.raises(DecompressedSizeError) as info:
        parser.feed_data(head % len(GZ_BOMB) + GZ_BOMB)
    assert info.value.code == 413


def test_response_truncated_gzip_until_close() -> None:
    parser = HttpResponseParser()
    parser.feed_data(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + GZ_BOMB[:20])
    with pytest.raises(ContentEncodingError):
        parser.feed_eof()


def test_response_parser_stays_failed_at_eof() -> None:
    parser = HttpResponseParser()
    with pytest.raises(BadStatusLine):
        parser.feed_data(b"HTTP/1.1 999 Nope\r\n\r\n")
    with pytest.raises(BadStatusLine):
        parser.feed_eof()


def test_error_text_names_status_and_reason() -> None:
    exc = LineTooLong("request line", 10, 20, code=414)
    assert exc.code == 414 and exc.limit == 10 and exc.actual_size == 20
    assert str(exc).startswith("414, message='Got more than 10 bytes (20)")
    exc2 = InvalidHeader(b"X-\xff")
    assert exc2.header == "X-\udcff"
    assert repr(exc2).startswith("<InvalidHeader: 400, message=")
    assert str(BadStatusLine("FOO")) == "400, message=\"Bad status line 'FOO'\""
    assert UnsupportedVersion().code == 505


@pytest.mark.parametrize("split", [False, True])
def test_corrupt_gzip_in_upgrade_body(split: bool) -> None:
    parser = HttpRequestParser()
    head = (
        b"POST / HTTP/1.1\r\nUpgrade: x\r\nConnection: upgrade\r\n"
        b"Content-Encoding: gzip\r\nContent-Length: 8\r\n\r\n"
    )
    with pytest.raises(ContentEncodingError):
        if split:
            parser.feed_data(head)
            parser.feed_data(b"notgzip!")
        else:
            parser.feed_data(head + b"notgzip!")
    with pytest.raises(ContentEncodingError):
        parser.feed_data(b"")
