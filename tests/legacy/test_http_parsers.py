"""heron.protocol (0.x): HttpPrefixParser, generator head parsers, HttpPayloadParser."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest
from legacy_helpers import serve

from heron.http import (
    BadStatusLine,
    ContentLengthError,
    RawRequestMessage,
    RawResponseMessage,
    TransferEncodingError,
)
from heron.parsers import EofStream, StreamParser, StreamProtocol
from heron.protocol import (
    HttpPayloadParser,
    HttpPrefixParser,
    HttpRequestParser,
    HttpResponseParser,
)

CHUNKED_POST = (
    b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n"
)


async def drain(queue: Any) -> list[Any]:
    items = []
    while True:
        try:
            items.append(await queue.read())
        except EofStream:
            return items


async def test_prefix_head_and_chunked_body_leave_the_next_request() -> None:
    stream = StreamParser()
    stream.feed_data(CHUNKED_POST[:30])
    method = await stream.set_parser(HttpPrefixParser(("get", "post"))).read()
    assert method == "POST"
    stream.feed_data(CHUNKED_POST[30:])
    message = await stream.set_parser(HttpRequestParser()).read()
    assert isinstance(message, RawRequestMessage) and message.path == "/up"
    body = await drain(stream.set_parser(HttpPayloadParser(message)))
    assert b"".join(body) == b"hello world"
    following = await stream.set_parser(HttpRequestParser()).read()
    assert following.path == "/next"


async def test_prefix_parser_rejects() -> None:
    stream = StreamParser()
    stream.feed_data(b"DELETE / HTTP/1.1\r\n")
    with pytest.raises(Exception) as info:
        await stream.set_parser(HttpPrefixParser(["GET"])).read()
    assert type(info.value).__name__ == "HttpMethodNotAllowed" and info.value.code == 405
    stream = StreamParser()
    stream.feed_data(b"G(T / HTTP/1.1\r\n")
    with pytest.raises(BadStatusLine):
        await stream.set_parser(HttpPrefixParser()).read()


async def test_sans_io_use_is_unchanged() -> None:
    events = HttpRequestParser(max_headers=10).feed_data(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert isinstance(events[0], RawRequestMessage)


async def test_response_head_length_body_and_gzip() -> None:
    data = gzip.compress(b"zipped text")
    stream = StreamParser()
    stream.feed_data(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: "
        + str(len(data)).encode()
        + b"\r\n\r\n"
        + data
    )
    message = await stream.set_parser(HttpResponseParser()).read()
    assert isinstance(message, RawResponseMessage) and message.code == 200
    body = await drain(stream.set_parser(HttpPayloadParser(message)))
    assert b"".join(body) == b"zipped text"


async def test_readall_and_no_body() -> None:
    stream = StreamParser()
    stream.feed_data(b"HTTP/1.0 200 OK\r\n\r\nuntil the end")
    message = await stream.set_parser(HttpResponseParser()).read()
    queue = stream.set_parser(HttpPayloadParser(message, readall=True))
    stream.feed_eof()
    assert b"".join(await drain(queue)) == b"until the end"
    head = HttpPayloadParser(message, response_with_body=False)
    assert await drain(StreamParser().set_parser(head)) == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"zz\r\n", TransferEncodingError),
        (b"-5\r\nhello\r\n", TransferEncodingError),
        (b"5\r\nhelloXX", TransferEncodingError),
        (b"5\r\nhel", TransferEncodingError),  # ends too early
    ],
)
async def test_bad_chunked_bodies(body: bytes, error: type[Exception]) -> None:
    stream = StreamParser()
    stream.feed_data(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    message = await stream.set_parser(HttpRequestParser()).read()
    queue = stream.set_parser(HttpPayloadParser(message))
    stream.feed_data(body)
    stream.feed_eof()
    with pytest.raises(error):
        await drain(queue)


async def test_short_length_body_fails() -> None:
    stream = StreamParser()
    stream.feed_data(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    message = await stream.set_parser(HttpRequestParser()).read()
    queue = stream.set_parser(HttpPayloadParser(message))
    stream.feed_eof()
    with pytest.raises(ContentLengthError):
        await drain(queue)


class UploadEcho(StreamProtocol):
    """A 0.x-style server: prefix, head and body parsers over a real connection."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.task = asyncio.ensure_future(self.serve())

    async def serve(self) -> None:
        assert self.writer is not None
        try:
            await self.reader.set_parser(HttpPrefixParser(["POST"])).read()
            message = await self.reader.set_parser(HttpRequestParser()).read()
            body = b"".join(await drain(self.reader.set_parser(HttpPayloadParser(message))))
            answer = b"got " + body
            status = b"200 OK"
        except Exception as exc:
            answer, status = type(exc).__name__.encode(), b"400 Bad Request"
        self.writer.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nConnection: close\r\nContent-Length: "
            + str(len(answer)).encode()
            + b"\r\n\r\n"
            + answer
        )
        self.writer.close()


async def test_real_socket_server_with_generator_parsers() -> None:
    server, port = await serve(UploadEcho)
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(CHUNKED_POST[:40])
            await asyncio.sleep(0.01)  # the head arrives in two pieces
            writer.write(CHUNKED_POST[40:])
            async with asyncio.timeout(2):
                reply = await reader.read()
        finally:
            writer.close()
    assert reply.startswith(b"HTTP/1.1 200 OK") and reply.endswith(b"got hello world")
