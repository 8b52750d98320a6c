"""make_mocked_request and make_mocked_coro against every documented argument."""

from __future__ import annotations

import asyncio
import ssl
import zlib

import pytest
from multidict import CIMultiDict

from heron import StreamReader, web
from heron.http.models import HttpVersion10, HttpVersion11
from heron.test_utils import (
    MockedTransport,
    RecordingStreamWriter,
    make_mocked_coro,
    make_mocked_request,
)
from heron.web.exceptions import HTTPRequestEntityTooLarge


def test_method_path_and_headers() -> None:
    req = make_mocked_request("get", "/path/to?x=1&x=2", headers={"X-A": "1", "Host": "h"})
    assert isinstance(req, web.Request)
    assert req.method == "GET"
    assert req.path == "/path/to"
    assert req.query.getall("x") == ["1", "2"]
    assert req.headers["x-a"] == "1"
    assert req.raw_headers == ((b"X-A", b"1"), (b"Host", b"h"))
    assert req.host == "h"
    assert req.url.host == "h"


def test_headers_as_multidict_and_pairs() -> None:
    multi = CIMultiDict([("Accept", "a"), ("Accept", "b")])
    assert make_mocked_request("GET", "/", multi).headers.getall("accept") == ["a", "b"]
    pairs = [("Cookie", "k=v")]
    assert make_mocked_request("GET", "/", pairs).cookies == {"k": "v"}


def test_match_info_and_default_app() -> None:
    req = make_mocked_request("GET", "/u/7", match_info={"id": "7"})
    assert req.match_info == {"id": "7"}
    assert isinstance(req.app, web.Application)
    assert make_mocked_request("GET", "/").match_info == {}


def test_app() -> None:
    app = web.Application()
    app["db"] = "conn"
    req = make_mocked_request("GET", "/", app=app)
    assert req.app is app
    assert req.config_dict["db"] == "conn"


def test_version_and_closing() -> None:
    assert make_mocked_request("GET", "/").keep_alive is True
    assert make_mocked_request("GET", "/", closing=True).keep_alive is False
    old = make_mocked_request("GET", "/", version=HttpVersion10)
    assert old.version == HttpVersion10
    assert old.keep_alive is False
    assert make_mocked_request("GET", "/").version == HttpVersion11


def test_sslcontext_and_transport() -> None:
    assert make_mocked_request("GET", "/").secure is False
    ctx = ssl.create_default_context()
    req = make_mocked_request("GET", "/", sslcontext=ctx)
    assert req.secure and req.scheme == "https"
    assert req.get_extra_info("sslcontext") is ctx
    transport = MockedTransport({"peername": ("10.1.2.3", 5555)})
    req = make_mocked_request("GET", "/", transport=transport)
    assert req.transport is transport
    assert req.remote == "10.1.2.3"


def test_protocol_and_writer() -> None:
    writer = RecordingStreamWriter()
    transport = MockedTransport()

    class Proto:
        def __init__(self) -> None:
            self.transport = transport

    proto = Proto()
    req = make_mocked_request("GET", "/", writer=writer, protocol=proto)
    assert req.writer is writer
    assert req.protocol is proto
    assert req.transport is transport


async def test_payload_bytes_and_stream() -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    req = make_mocked_request("POST", "/", form, payload=b"a=1&b=2")
    assert await req.read() == b"a=1&b=2"
    assert dict(await req.post()) == {"a": "1", "b": "2"}
    stream = StreamReader(None, 2**16)
    stream.feed_data(b'{"k": 1}')
    stream.feed_eof()
    req = make_mocked_request("POST", "/", {"Content-Type": "application/json"}, payload=stream)
    assert await req.json() == {"k": 1}
    assert await make_mocked_request("GET", "/").read() == b""


async def test_client_max_size() -> None:
    req = make_mocked_request("POST", "/", payload=b"x" * 100, client_max_size=10)
    assert req.client_max_size == 10
    with pytest.raises(HTTPRequestEntityTooLarge):
        await req.read()


async def test_loop_argument() -> None:
    loop = asyncio.get_running_loop()
    assert make_mocked_request("GET", "/", loop=loop)._loop is loop
    assert make_mocked_request("GET", "/")._loop is loop  # the running loop by default


def test_made_outside_a_loop() -> None:
    req = make_mocked_request("GET", "/a", headers={"X": "y"})
    assert req.path == "/a" and req.headers["X"] == "y"


async def test_handler_called_directly_and_response_recorded() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(text=f"hello {request.match_info['name']}")

    req = make_mocked_request("GET", "/hello/bob", match_info={"name": "bob"})
    resp = await handler(req)
    assert resp.text == "hello bob"
    await resp.prepare(req)
    await resp.write_eof()
    writer = req.writer
    assert isinstance(writer, RecordingStreamWriter)
    assert writer.head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Content-Length: 9\r\n" in writer.head
    assert bytes(writer.body) == b"hello bob"
    assert writer.eof


async def test_streamed_compressed_response_is_recorded() -> None:
    req = make_mocked_request("GET", "/", headers={"Accept-Encoding": "deflate"})
    resp = web.StreamResponse()
    resp.enable_compression()
    await resp.prepare(req)
    await resp.write(b"part1 ")
    await resp.write(b"part2")
    await resp.write_eof()
    writer = req.writer
    assert isinstance(writer, RecordingStreamWriter)
    assert writer.chunked
    assert b"Content-Encoding: deflate" in writer.head
    assert zlib.decompressobj().decompress(bytes(writer.body)) == b"part1 part2"


async def test_response_prepare_signal_of_the_app_runs() -> None:
    app = web.Application()
    seen: list[str] = []

    async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
        seen.append(request.path)
        response.headers["X-Signal"] = "1"

    app.on_response_prepare.append(on_prepare)
    req = make_mocked_request("GET", "/sig", app=app)
    resp = web.Response(text="x")
    await resp.prepare(req)
    assert seen == ["/sig"]
    assert isinstance(req.writer, RecordingStreamWriter)
    assert b"X-Signal: 1" in req.writer.head


async def test_make_mocked_coro() -> None:
    coro = make_mocked_coro(return_value=42)
    assert await coro(1, k=2) == 42
    coro.assert_awaited_once_with(1, k=2)
    failing = make_mocked_coro(raise_exception=ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        await failing()
