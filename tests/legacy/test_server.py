"""heron.server.ServerHttpProtocol (0.x low-level server) over real sockets."""

from __future__ import annotations

import asyncio
import logging
import warnings

import pytest
from legacy_helpers import exchange, read_response, serve

import heron
from heron.server import ServerHttpProtocol


def make(cls: type[ServerHttpProtocol] = ServerHttpProtocol, **kw: object) -> ServerHttpProtocol:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return cls(**kw)  # type: ignore[arg-type]


class Hello(ServerHttpProtocol):
    async def handle_request(self, message, payload):  # type: ignore[no-untyped-def]
        body = await payload.read()
        text = f"{message.method} {message.path} {body.decode()}".encode()
        with pytest.warns(DeprecationWarning, match="heron.web.Response"):
            Response = heron.Response
        response = Response(self.writer, 200, http_version=message.version)
        response.add_header("Content-Type", "text/plain")
        response.add_header("Content-Length", str(len(text)))
        response.send_headers()
        response.write(text)  # the returned drain may be ignored (0.x style)
        await response.write_eof()
        self.keep_alive(True)


def test_constructor_warns_and_defaults() -> None:
    with pytest.warns(DeprecationWarning, match=r"heron\.web\.Server"):
        proto = ServerHttpProtocol()
    assert proto.keep_alive_timeout == 75
    import inspect

    assert inspect.signature(ServerHttpProtocol.closing).parameters["timeout"].default == 15.0


async def test_default_answers_404_and_closes() -> None:
    server, port = await serve(make)
    async with server:
        raw = await exchange(port, b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert raw.endswith(b"Page Not Found!")


async def test_subclass_keep_alive_serves_two_requests() -> None:
    server, port = await serve(lambda: make(Hello))
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc")
        status, headers, body = await read_response(reader)
        assert status == b"HTTP/1.1 200 OK"
        assert body == b"POST /a abc"
        assert headers["server"].startswith("Python/")
        writer.write(b"GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        status, _, body = await read_response(reader)
        assert body == b"GET /b "
        writer.close()


async def test_connection_closes_without_keep_alive_call() -> None:
    class Once(ServerHttpProtocol):
        async def handle_request(self, message, payload):  # type: ignore[no-untyped-def]
            response = heron.protocol.Response(self.writer, 200)
            response.add_header("Content-Length", "2")
            response.send_headers()
            await response.write(b"ok")
            await response.write_eof()

    import heron.protocol

    server, port = await serve(lambda: make(Once))
    async with server:
        raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n")
    assert raw.count(b"HTTP/1.1 200") == 1 and raw.endswith(b"ok")


@pytest.mark.parametrize(
    "data", [b"GET /\x01 HTTP/1.1\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"]
)
async def test_malformed_request_gets_400_and_close(data: bytes) -> None:
    server, port = await serve(lambda: make(Hello))
    async with server:
        raw = await exchange(port, data)
    assert raw.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close" in raw


async def test_handler_error_is_500_with_escaped_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Boom(ServerHttpProtocol):
        async def handle_request(self, message, payload):  # type: ignore[no-untyped-def]
            raise ValueError("<script>alert(1)</script>")

    server, port = await serve(lambda: make(Boom, debug=True))
    with caplog.at_level(logging.ERROR, logger="aiohttp.server"):
        async with server:
            raw = await exchange(port, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert b"<script>" not in raw
    assert any(r.name == "aiohttp.server" for r in caplog.records)


async def test_idle_keep_alive_connection_closes_after_timeout() -> None:
    server, port = await serve(lambda: make(Hello, keep_alive=0.1))
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await read_response(reader)
        async with asyncio.timeout(2):
            assert await reader.read() == b""  # closed by the server once idle
        writer.close()


async def test_closing_closes_idle_connections() -> None:
    protocols: list[ServerHttpProtocol] = []

    def factory() -> ServerHttpProtocol:
        proto = make(Hello)
        protocols.append(proto)
        return proto

    server, port = await serve(factory)
    async with server:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        await read_response(reader)
        protocols[0].closing()
        async with asyncio.timeout(2):
            assert await reader.read() == b""
        writer.close()


async def test_slow_request_timeout_closes() -> None:
    server, port = await serve(lambda: make(Hello, timeout=0.1))
    async with server:
        raw = await exchange(port, b"GET / HTTP/1.1\r\nHo")
    assert raw == b""


async def test_allowed_methods_answers_405() -> None:
    server, port = await serve(lambda: make(Hello, allowed_methods=("GET",)))
    async with server:
        raw = await exchange(port, b"DELETE / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 405 ")
    assert b"Allow: GET" in raw
