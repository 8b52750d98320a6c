"""What the client makes of answers: ClientResponse API, bodies, errors (B-030..B-051)."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import Awaitable, Callable

import brotli
import pytest
import zstandard
from client_helpers import Handler, RawRequest, keep_answering, read_request, response
from yarl import URL

import heron as aiohttp

RawServer = Callable[[Handler], Awaitable[URL]]


async def serve(raw_server: RawServer, answer: Callable[[RawRequest], bytes]) -> URL:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await keep_answering(reader, writer, answer)

    return await raw_server(handler)


async def serve_once(raw_server: RawServer, data: bytes, *, close: bool = True) -> URL:
    """A server answering every connection's first request with ``data``, then closing."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(data)
        await writer.drain()
        if not close:
            await reader.read()

    return await raw_server(handler)


async def test_attributes(raw_server: RawServer) -> None:
    """CR-03..CR-16, B-033."""
    url = await serve(
        raw_server,
        lambda r: response(
            201,
            b"hello",
            [("Content-Type", "text/plain; charset=utf-8"), ("X-Multi", "a"), ("X-Multi", "b")],
            reason="Created",
        ),
    )
    async with aiohttp.ClientSession() as s, s.get(url / "path") as resp:
        assert resp.status == 201
        assert resp.reason == "Created"
        assert resp.ok
        assert resp.method == "GET"
        assert resp.url == url / "path"
        assert resp.version == aiohttp.HttpVersion11
        assert resp.headers["Content-Type"] == resp.headers.get("content-type")
        assert resp.headers.getall("X-Multi") == ["a", "b"]
        assert (b"X-Multi", b"b") in resp.raw_headers
        assert resp.content_type == "text/plain"
        assert resp.charset == "utf-8"
        assert resp.content_length == 5
        assert resp.history == ()
        assert resp.request_info.method == "GET"
        assert resp.request_info.url == url / "path"
        assert resp.request_info.headers["Host"] == f"127.0.0.1:{url.port}"
        assert isinstance(resp.content, aiohttp.StreamReader)
        assert repr(resp).startswith(f"<ClientResponse({url / 'path'}) [201 Created]>")
        assert await resp.text() == "hello"


async def test_no_content_type(raw_server: RawServer) -> None:
    """B-044."""
    url = await serve(raw_server, lambda r: response(200, b"x"))
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        assert resp.content_type == "application/octet-stream"
        assert resp.charset is None


async def test_text_charset_and_forced_encoding(raw_server: RawServer) -> None:
    """B-034/B-035."""
    body = "Привет".encode("windows-1251")
    url = await serve(
        raw_server, lambda r: response(200, body, [("Content-Type", "text/plain; charset=cp1251")])
    )
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        assert await resp.text() == "Привет"
        assert await resp.text("windows-1251") == "Привет"
        assert await resp.text("latin-1", errors="strict") == body.decode("latin-1")


async def test_text_fallback_charset_resolver(raw_server: RawServer) -> None:
    body = "é".encode("latin-1")
    url = await serve(raw_server, lambda r: response(200, body, [("Content-Type", "text/plain")]))
    seen: list[bytes] = []

    def resolver(resp: aiohttp.ClientResponse, data: bytes) -> str:
        seen.append(data)
        return "latin-1"

    async with (
        aiohttp.ClientSession(fallback_charset_resolver=resolver) as s,
        s.get(url) as resp,
    ):
        assert await resp.text() == "é"
    assert seen == [body]
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        with pytest.raises(UnicodeDecodeError):
            await resp.text()  # the default fallback is UTF-8
        assert await resp.text(errors="replace") == "\ufffd"


async def test_json(raw_server: RawServer) -> None:
    """B-036..B-038."""
    bodies = {
        "/ok": (b'{"a": 1}', "application/json"),
        "/vnd": (b"[1]", "application/vnd.api+json"),
        "/empty": (b"  \r\n", "application/json"),
        "/html": (b'{"a": 1}', "text/html"),
    }

    def answer(r: RawRequest) -> bytes:
        body, ctype = bodies[r.target]
        return response(200, body, [("Content-Type", ctype)])

    url = await serve(raw_server, answer)
    async with aiohttp.ClientSession() as s:
        async with s.get(url / "ok") as resp:
            assert await resp.json() == {"a": 1}
            assert await resp.json(loads=lambda t: ("custom", t)) == ("custom", '{"a": 1}')
        async with s.get(url / "vnd") as resp:
            assert await resp.json() == [1]
        async with s.get(url / "empty") as resp:
            assert await resp.json() is None
        async with s.get(url / "html") as resp:
            with pytest.raises(aiohttp.ContentTypeError) as info:
                await resp.json()
            assert info.value.status == 200
            assert "text/html" in info.value.message
            assert isinstance(info.value, aiohttp.ClientResponseError)
            assert await resp.json(content_type=None) == {"a": 1}
            assert await resp.json(content_type="text/html") == {"a": 1}


async def test_read_is_cached(raw_server: RawServer) -> None:
    url = await serve(raw_server, lambda r: response(200, b"body"))
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        assert await resp.read() == b"body"
        assert await resp.read() == b"body"
        assert await resp.text() == "body"


async def test_content_streaming(raw_server: RawServer) -> None:
    """B-040/B-041: read(n) gives at most n bytes; the loop ends on b''."""
    data = bytes(range(256)) * 40
    url = await serve(raw_server, lambda r: response(200, data))
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        first = await resp.content.read(10)
        assert len(first) <= 10
        chunks = [first]
        while chunk := await resp.content.read(1000):
            assert len(chunk) <= 1000
            chunks.append(chunk)
        assert b"".join(chunks) == data
        assert await resp.read() == b""  # the body was consumed through content


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
async def test_auto_decompress(raw_server: RawServer, coding: str) -> None:
    """B-039: content codings are undone by read() and content."""
    plain = b"compress me " * 100
    encoded = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[coding](plain)
    url = await serve(raw_server, lambda r: response(200, encoded, [("Content-Encoding", coding)]))
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as resp:
            assert await resp.read() == plain
        async with s.get(url) as resp:
            assert await resp.content.read() == plain
        async with s.get(url, auto_decompress=False) as resp:
            assert await resp.read() == encoded
    async with aiohttp.ClientSession(auto_decompress=False) as s, s.get(url) as resp:
        assert await resp.read() == encoded


async def test_large_compressed_download_streams_without_a_cap(raw_server: RawServer) -> None:
    """A gzip body that inflates past the server-side 64 MiB bomb limit still downloads."""
    size = 70 * 1024 * 1024
    encoded = gzip.compress(bytes(size), compresslevel=1)
    url = await serve(raw_server, lambda r: response(200, encoded, [("Content-Encoding", "gzip")]))
    total = 0
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        async for chunk in resp.content.iter_any():
            total += len(chunk)
    assert total == size


async def test_corrupt_compression_is_payload_error(raw_server: RawServer) -> None:
    """B-049."""
    url = await serve(
        raw_server, lambda r: response(200, b"not gzip at all", [("Content-Encoding", "gzip")])
    )
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientPayloadError):
            async with s.get(url) as resp:
                await resp.read()


async def test_truncated_body_is_payload_error(raw_server: RawServer) -> None:
    """B-049: fewer bytes than Content-Length."""
    url = await serve_once(raw_server, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


async def test_truncated_chunked_is_payload_error(raw_server: RawServer) -> None:
    url = await serve_once(
        raw_server, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nab"
    )
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


async def test_malformed_chunked_is_payload_error(raw_server: RawServer) -> None:
    url = await serve_once(
        raw_server,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n",
        close=False,
    )
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
    ],
)
async def test_malformed_head_is_response_error(raw_server: RawServer, data: bytes) -> None:
    url = await serve_once(raw_server, data, close=False)
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ClientResponseError) as info:
            await s.get(url)
    assert info.value.status == 400
    assert info.value.request_info.url == url


async def test_wrong_content_length_extra_bytes_not_reused(raw_server: RawServer) -> None:
    """More bytes than Content-Length: the extra is not read as the next response."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while await read_request(reader):
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n")

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        for _ in range(2):
            async with s.get(url) as resp:
                assert await resp.read() == b"ok"
            await asyncio.sleep(0.01)
    assert connections == 2


async def test_disconnect_before_answer(raw_server: RawServer) -> None:
    url = await serve_once(raw_server, b"")
    async with aiohttp.ClientSession() as s:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await s.get(url)


async def test_read_until_eof(raw_server: RawServer) -> None:
    """B-016: no framing -> read to connection close (or nothing when disabled)."""
    url = await serve_once(raw_server, b"HTTP/1.1 200 OK\r\n\r\nuntil the end")
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as resp:
            assert await resp.read() == b"until the end"
        async with s.get(url, read_until_eof=False) as resp:
            assert await resp.read() == b""


async def test_head_has_no_body(raw_server: RawServer) -> None:
    """B-026."""
    url = await serve(
        raw_server, lambda r: response(200, b"", [("Content-Length", "100")], length=False)
    )
    async with aiohttp.ClientSession() as s:
        for _ in range(2):  # the connection stays usable
            async with s.head(url) as resp:
                assert resp.headers["Content-Length"] == "100"
                assert await resp.read() == b""


async def test_raise_for_status(raw_server: RawServer) -> None:
    """B-042/B-043."""
    url = await serve(
        raw_server,
        lambda r: response(int(r.target[1:]), b"err", [("X-Why", "because")], reason="Reason"),
    )
    async with aiohttp.ClientSession() as s:
        async with s.get(url / "399") as resp:
            resp.raise_for_status()
        async with s.get(url / "404") as resp:
            with pytest.raises(aiohttp.ClientResponseError) as info:
                resp.raise_for_status()
        err = info.value
        assert err.status == 404
        assert err.message == "Reason"
        assert err.headers is not None and err.headers["X-Why"] == "because"
        assert err.request_info.url == url / "404"
        assert err.history == ()
        with pytest.warns(DeprecationWarning):
            assert err.code == 404
        assert "404" in str(err)


async def test_raise_for_status_session_and_request(raw_server: RawServer) -> None:
    url = await serve(raw_server, lambda r: response(500, b"x"))
    async with aiohttp.ClientSession(raise_for_status=True) as s:
        with pytest.raises(aiohttp.ClientResponseError):
            await s.get(url)
        async with s.get(url, raise_for_status=False) as resp:
            assert resp.status == 500
    calls: list[int] = []

    async def check(resp: aiohttp.ClientResponse) -> None:
        calls.append(resp.status)

    async with aiohttp.ClientSession(raise_for_status=check) as s, s.get(url) as resp:
        assert resp.status == 500
    assert calls == [500]


async def test_links(raw_server: RawServer) -> None:
    link = '<https://example.com/page/2>; rel="next", </page/1>; rel=prev; title="a, b"'
    url = await serve(raw_server, lambda r: response(200, b"", [("Link", link)]))
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        links = resp.links
    assert links["next"]["url"] == URL("https://example.com/page/2")
    assert links["prev"]["url"] == url / "page/1"
    assert links["prev"]["title"] == "a, b"


async def test_cookies_of_response(raw_server: RawServer) -> None:
    url = await serve(
        raw_server,
        lambda r: response(200, b"", [("Set-Cookie", "a=1; Path=/"), ("Set-Cookie", "b=2")]),
    )
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        assert {k: m.value for k, m in resp.cookies.items()} == {"a": "1", "b": "2"}


async def test_reuse_after_full_read(raw_server: RawServer) -> None:
    """B-045/B-046: a fully read response gives its connection back."""
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await keep_answering(reader, writer, lambda r: response(200, b"x" * 100))

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        for _ in range(3):
            resp = await s.get(url)
            assert await resp.read() == b"x" * 100
        async with s.get(url) as resp:
            pass  # not read, but complete: still reusable
        await (await s.get(url)).read()
    assert connections == 1


async def test_partial_read_closes_connection(raw_server: RawServer) -> None:
    """B-047/B-048: release or close before the end closes the connection."""
    connections = 0
    big = b"y" * (1 << 20)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await keep_answering(reader, writer, lambda r: response(200, big))

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as resp:
            await resp.content.read(10)
        resp = await s.get(url)
        await resp.content.read(10)
        resp.close()
        assert resp.connection is None
        async with s.get(url) as resp:
            assert len(await resp.read()) == len(big)
    assert connections == 3


async def test_release_is_awaitable_and_idempotent(raw_server: RawServer) -> None:
    url = await serve(raw_server, lambda r: response(200, b"x"))
    async with aiohttp.ClientSession() as s:
        resp = await s.get(url)
        await resp.release()
        resp.release()
        resp.close()


async def test_unclosed_response_warns(raw_server: RawServer) -> None:
    url = await serve_once(
        raw_server, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", close=False
    )
    loop = asyncio.get_running_loop()
    contexts: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, ctx: contexts.append(ctx))
    try:
        async with aiohttp.ClientSession() as s:
            resp = await s.get(url)
            with pytest.warns(ResourceWarning, match="Unclosed response"):
                del resp
                import gc

                gc.collect()
    finally:
        loop.set_exception_handler(None)
    assert contexts and contexts[0]["message"] == "Unclosed response"


async def test_json_response_from_aiohttp_peer(aio_server: Callable[..., Awaitable[URL]]) -> None:
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"q": dict(request.query)})

    app = web.Application()
    app.router.add_get("/", handler)
    url = await aio_server(app)
    async with aiohttp.ClientSession() as s, s.get(url, params={"x": "1"}) as resp:
        assert await resp.json() == {"q": {"x": "1"}}
        assert json.loads(await resp.text()) == {"q": {"x": "1"}}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            'attachment; filename="report.pdf"; size=12',
            ("attachment", {"filename": "report.pdf", "size": "12"}, "report.pdf"),
        ),
        (
            "inline; filename*=utf-8''na%C3%AFve.txt",
            ("inline", {"filename*": "naïve.txt"}, "naïve.txt"),
        ),
        ("INLINE", ("inline", {}, None)),
    ],
)
async def test_content_disposition(
    raw_server: RawServer, header: str, expected: tuple[str, dict[str, str], str | None]
) -> None:
    url = await serve(raw_server, lambda r: response(200, b"x", [("Content-Disposition", header)]))
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        cd = resp.content_disposition
        assert cd is not None
        assert (cd.type, dict(cd.parameters), cd.filename) == expected
        assert cd == (cd.type, cd.parameters, cd.filename)  # a named tuple
        assert resp.content_disposition is cd  # parsed once
        with pytest.raises(TypeError):
            cd.parameters["x"] = "y"  # type: ignore[index]


async def test_content_disposition_absent_or_malformed(raw_server: RawServer) -> None:
    url = await serve(
        raw_server,
        lambda r: response(
            200,
            b"x",
            [("Content-Disposition", 'attachment; filename="x')] if "bad" in r.target else [],
        ),
    )
    async with aiohttp.ClientSession() as s:
        async with s.get(url / "none") as resp:
            assert resp.content_disposition is None
        async with s.get(url / "bad") as resp:
            with pytest.warns(aiohttp.BadContentDispositionHeader):
                cd = resp.content_disposition
            assert cd is not None
            assert (cd.type, dict(cd.parameters), cd.filename) == (None, {}, None)


async def test_readchunk_reports_http_chunk_ends(raw_server: RawServer) -> None:
    """CR: ``content.readchunk()`` gives ``(data, True)`` where an HTTP chunk ended."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        await writer.drain()
        await asyncio.sleep(0.02)  # the second chunk comes in its own read, split in two
        writer.write(b"7\r\n wor")
        await writer.drain()
        await asyncio.sleep(0.02)
        writer.write(b"ld!\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    url = await raw_server(handler)
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        got = []
        while True:
            data, end = await resp.content.readchunk()
            if not data and not end:
                break
            got.append((data, end))
    # Whatever the reads were, the chunk ends fall after "hello" and after " world!".
    ends = [i for i, (_, end) in enumerate(got) if end]
    text = b"".join(d for d, _ in got)
    assert text == b"hello world!"
    assert [len(b"".join(d for d, _ in got[: i + 1])) for i in ends] == [5, 12]


async def test_readchunk_without_chunked_framing(raw_server: RawServer) -> None:
    url = await serve(raw_server, lambda r: response(200, b"plain body"))
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        assert await resp.content.readchunk() == (b"plain body", False)
        assert await resp.content.readchunk() == (b"", False)


async def test_iter_chunks_with_gzip_and_chunked(raw_server: RawServer) -> None:
    body = gzip.compress(b"abc" * 100)

    def answer(req: RawRequest) -> bytes:
        half = len(body) // 2
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]))
        return (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunks
            + b"0\r\n\r\n"
        )

    url = await serve(raw_server, answer)
    async with aiohttp.ClientSession() as s, s.get(url) as resp:
        parts = [chunk async for chunk in resp.content.iter_chunks()]
    assert b"".join(d for d, _ in parts) == b"abc" * 100
