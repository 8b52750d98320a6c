"""Hostile request bytes against a real server: smuggling shapes, floods, control bytes.

Every case must be refused with its status, never reach the handler, and end the
connection, so nothing hidden behind it (a smuggled second request) is ever served.
"""

from __future__ import annotations

import pytest
from server_helpers import fetch, serve

from heron import web

SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def _post(*headers: bytes, body: bytes = b"") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: x\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body
    )


SMUGGLING = {
    # CL.TE / TE.CL: both framings at once.
    "cl-and-te": (
        _post(b"Content-Length: 4", b"Transfer-Encoding: chunked", body=b"0\r\n\r\n"),
        400,
    ),
    "te-and-cl": (
        _post(b"Transfer-Encoding: chunked", b"Content-Length: 40", body=b"0\r\n\r\n"),
        400,
    ),
    # Two lengths, the same or different.
    "double-cl-different": (_post(b"Content-Length: 0", b"Content-Length: 36"), 400),
    "double-cl-same": (_post(b"Content-Length: 36", b"Content-Length: 36"), 400),
    "cl-list": (_post(b"Content-Length: 36, 36"), 400),
    "cl-plus-sign": (_post(b"Content-Length: +36"), 400),
    "cl-hex": (_post(b"Content-Length: 0x24"), 400),
    "cl-negative": (_post(b"Content-Length: -1"), 400),
    # Transfer-Encoding obfuscations.
    "te-space-before-colon": (_post(b"Transfer-Encoding : chunked", body=b"0\r\n\r\n"), 400),
    "te-unknown-final": (_post(b"Transfer-Encoding: xchunked", body=b"0\r\n\r\n"), 400),
    "te-chunked-then-identity": (_post(b"Transfer-Encoding: chunked, identity"), 400),
    "te-twice-chunked": (_post(b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked"), 400),
    "te-second-header-other": (_post(b"Transfer-Encoding: chunked", b"Transfer-Encoding: x"), 400),
    "te-coding-before-chunked": (
        _post(b"Transfer-Encoding: gzip, chunked", body=b"0\r\n\r\n"),
        501,
    ),
    "te-vertical-tab": (_post(b"Transfer-Encoding: \x0bchunked", body=b"0\r\n\r\n"), 400),
    "te-obs-fold": (_post(b"Transfer-Encoding:", b" chunked", body=b"0\r\n\r\n"), 400),
    "te-in-http10": (
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    # Chunk framing games.
    "chunk-size-overflow": (
        _post(b"Transfer-Encoding: chunked", body=b"ffffffffffffffffff1\r\nx\r\n0\r\n\r\n"),
        400,
    ),
    "chunk-size-lf-only": (_post(b"Transfer-Encoding: chunked", body=b"1\nx\r\n0\r\n\r\n"), 400),
    "chunk-extension-bare-cr": (
        _post(b"Transfer-Encoding: chunked", body=b"1;a\rb\r\nx\r\n0\r\n\r\n"),
        400,
    ),
    "chunk-data-longer-than-size": (
        _post(b"Transfer-Encoding: chunked", body=b"1\r\nxx\r\n0\r\n\r\n"),
        400,
    ),
}


async def _refused(raw: bytes) -> tuple[bytes, list[str]]:
    """Send ``raw`` (plus a request hidden behind it) and return what came back."""
    paths: list[str] = []

    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        paths.append(request.path)
        await request.read()
        return web.Response(text="served")

    async with serve(handler) as srv:
        data = await fetch(srv, raw + SMUGGLED, timeout=2)
    return data, paths


def _assert_refused(data: bytes, status: int) -> None:
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), data[:200]
    assert b"\r\nConnection: close\r\n" in head + b"\r\n"
    assert data.count(b"HTTP/1.1 ") == 1  # one answer, then the connection ended
    assert len(body) < 300


@pytest.mark.parametrize(("raw", "status"), SMUGGLING.values(), ids=SMUGGLING.keys())
async def test_smuggling_shapes_are_refused_and_closed(raw: bytes, status: int) -> None:
    data, paths = await _refused(raw)
    # A broken body may reach the handler first (it sees the error when it reads);
    # either way the smuggled request is never served and one answer ends it all.
    assert "/smuggled" not in paths
    _assert_refused(data, status)


HEADER_ABUSE = {
    "nul-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n", 400),
    "cr-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
    "lf-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\nb: c\r\n\r\n", 400),
    "nul-in-name": (b"GET / HTTP/1.1\r\nHost: x\r\nX\x00Y: 1\r\n\r\n", 400),
    "escape-in-value": (b"GET / HTTP/1.1\r\nHost: x\r\nX: \x1b[31m\r\n\r\n", 400),
    "nul-in-target": (b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "bare-lf-line-ends": (b"GET / HTTP/1.1\nHost: x\n\n", 400),
    "double-host": (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    "missing-host": (b"GET / HTTP/1.1\r\nX: 1\r\n\r\n", 400),
    "header-count-flood": (
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(10_000)),
        431,
    ),
    "one-huge-header": (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 1_000_000, 431),
    "huge-header-name": (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X" * 1_000_000, 431),
    "megabyte-request-line": (b"GET /" + b"a" * 1_000_000 + b" HTTP/1.1\r\n\r\n", 414),
}


@pytest.mark.parametrize(("raw", "status"), HEADER_ABUSE.values(), ids=HEADER_ABUSE.keys())
async def test_header_abuse_is_refused_and_closed(raw: bytes, status: int) -> None:
    data, paths = await _refused(raw)
    assert paths == []
    _assert_refused(data, status)
