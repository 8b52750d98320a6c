"""WSGI applications (raw PEP 3333 callables and Flask) served by heron."""

from __future__ import annotations

import asyncio
import io
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import flask
import httpx
import pytest
from deploy_helpers import raw_exchange, serve

from heron import web
from heron.web import WSGIHandler, wsgi_app
from heron.web.wsgi import WSGIInput

Environ = dict[str, Any]

ENVIRON_KEYS = [
    *("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE"),
    *("CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR"),
    *("HTTP_HOST", "HTTP_X_CUSTOM", "HTTP_COOKIE", "HTTP_X_SPOOFED", "HTTP_CONTENT_TYPE"),
    *("wsgi.version", "wsgi.url_scheme", "wsgi.multithread", "wsgi.multiprocess"),
    "wsgi.run_once",
]


def environ_echo(environ: Environ, start_response: Any) -> list[bytes]:
    seen = {key: environ.get(key) for key in ENVIRON_KEYS}
    seen["body"] = environ["wsgi.input"].read().decode()
    environ["wsgi.errors"].write("")  # a text stream, as PEP 3333 wants
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


async def test_environ_follows_pep_3333_under_a_mount_prefix() -> None:
    root = web.Application()
    root.add_subapp("/mnt", wsgi_app(environ_echo))
    async with serve(root) as base:
        port = base.rsplit(":", 1)[1]
        reply = await raw_exchange(
            base,
            b"POST /mnt/a%20b/%C3%A9?x=%20y&z HTTP/1.1\r\nHost: example.com:1234\r\n"
            b"Content-Type: text/plain\r\nContent-Length: 3\r\nX-Custom: 1\r\nX-Custom: 2\r\n"
            b"X_Spoofed: evil\r\nCookie: a=1\r\nCookie: b=2\r\nConnection: close\r\n\r\nabc",
        )
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert json.loads(body) == {
        "REQUEST_METHOD": "POST",
        "SCRIPT_NAME": "/mnt",
        "PATH_INFO": "/a b/\u00c3\u00a9",  # the UTF-8 bytes of é, as latin-1 text
        "QUERY_STRING": "x=%20y&z",
        "CONTENT_TYPE": "text/plain",
        "CONTENT_LENGTH": "3",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "example.com:1234",
        "HTTP_X_CUSTOM": "1,2",
        "HTTP_COOKIE": "a=1; b=2",
        "HTTP_X_SPOOFED": None,  # underscores in names could fake a proxy's header
        "HTTP_CONTENT_TYPE": None,
        "wsgi.version": [1, 0],
        "wsgi.url_scheme": "http",
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "body": "abc",
    }


async def test_a_route_without_placeholder_gets_the_whole_path() -> None:
    app = web.Application()
    app.router.add_route("*", "/exact", WSGIHandler(environ_echo))
    async with serve(app) as base, httpx.AsyncClient() as client:
        seen = (await client.get(base + "/exact?q=1")).json()
    assert (seen["SCRIPT_NAME"], seen["PATH_INFO"], seen["QUERY_STRING"]) == ("", "/exact", "q=1")
    assert seen["CONTENT_LENGTH"] is None


# -- Flask ---------------------------------------------------------------------------------


@pytest.fixture
def flask_app() -> flask.Flask:
    app = flask.Flask("wsgi_test")
    app.config["release"] = threading.Event()

    @app.route("/hello/<name>")
    def hello(name: str) -> str:
        return f"hello {name} at {flask.url_for('hello', name='x')}"

    @app.route("/echo", methods=["POST"])
    def echo() -> dict[str, Any]:
        data = flask.request.get_data()
        return {"length": len(data), "head": data[:5].decode(), "tail": data[-5:].decode()}

    @app.route("/stream")
    def stream() -> flask.Response:
        def generate() -> Iterator[str]:
            yield "first;"
            # Only released once the client has read "first;": a server that
            # buffered the body would never let the client see it.
            released = app.config["release"].wait(3)
            yield "second;" if released else "timeout;"

        return flask.Response(generate(), mimetype="text/plain")

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("broken view")

    return app


async def test_flask_mounted_as_sub_application(flask_app: flask.Flask) -> None:
    root = web.Application()
    root.add_subapp("/flask", wsgi_app(flask_app))
    async with serve(root) as base, httpx.AsyncClient() as client:
        response = await client.get(base + "/flask/hello/w%C3%B6rld")
        missing = await client.get(base + "/hello/x")
    assert response.status_code == 200
    assert response.text == "hello w\u00f6rld at /flask/hello/x"  # url_for saw SCRIPT_NAME
    assert missing.status_code == 404


async def test_flask_reads_post_bodies(flask_app: flask.Flask) -> None:
    payload = b"start" + b"x" * 300_000 + b"final"

    async def chunked() -> AsyncIterator[bytes]:
        for i in range(0, len(payload), 65536):
            yield payload[i : i + 65536]

    async with serve(wsgi_app(flask_app)) as base, httpx.AsyncClient() as client:
        sized = (await client.post(base + "/echo", content=payload)).json()
        streamed = (await client.post(base + "/echo", content=chunked())).json()
    expected = {"length": len(payload), "head": "start", "tail": "final"}
    assert sized == expected
    assert streamed == expected  # chunked upload: no Content-Length, still read whole


async def test_flask_streams_each_chunk_as_it_is_produced(flask_app: flask.Flask) -> None:
    async with (
        serve(wsgi_app(flask_app)) as base,
        httpx.AsyncClient() as client,
        client.stream("GET", base + "/stream") as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        chunks = response.aiter_raw()
        first = await asyncio.wait_for(anext(chunks), 2)
        flask_app.config["release"].set()
        rest = b"".join([chunk async for chunk in chunks])
    assert (first, rest) == (b"first;", b"second;")


async def test_flask_exception_becomes_500(flask_app: flask.Flask) -> None:
    flask_app.logger.disabled = True
    async with serve(wsgi_app(flask_app)) as base, httpx.AsyncClient() as client:
        error = await client.get(base + "/boom")
        after = await client.get(base + "/hello/again")
    assert error.status_code == 500
    assert "Internal Server Error" in error.text
    assert after.status_code == 200


# -- raw PEP 3333 semantics ------------------------------------------------------------------


class Body:
    """A body iterable that records whether the server closed it."""

    def __init__(self, chunks: list[bytes], *, forever: bool = False) -> None:
        self.chunks = chunks
        self.forever = forever
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        while self.forever:
            time.sleep(0.01)
            yield b"more "

    def close(self) -> None:
        self.closed.set()


async def test_exc_info_before_headers_replaces_the_status() -> None:
    def app(environ: Environ, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"sorry"]

    async with serve(wsgi_app(app)) as base, httpx.AsyncClient() as client:
        response = await client.get(base + "/")
    assert (response.status_code, response.reason_phrase, response.text) == (500, "Oops", "sorry")
    assert response.headers["content-type"] == "text/plain"


async def test_exc_info_after_headers_reraises_and_cuts_the_response() -> None:
    closed = threading.Event()

    class FailsMidway:
        def __init__(self, start_response: Any) -> None:
            self.start_response = start_response

        def __iter__(self) -> Iterator[bytes]:
            yield b"partial "
            try:
                raise ValueError("failure while streaming")
            except ValueError:
                self.start_response("500 Too Late", [], sys.exc_info())  # re-raises
            yield b"never sent"

        def close(self) -> None:
            closed.set()

    def app(environ: Environ, start_response: Any) -> FailsMidway:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return FailsMidway(start_response)

    async with (
        serve(wsgi_app(app)) as base,
        httpx.AsyncClient() as client,
        client.stream("GET", base + "/") as response,
    ):
        assert response.status_code == 200  # the head went out with the first chunk
        with pytest.raises(httpx.RemoteProtocolError):
            await response.aread()  # then the connection was cut, not completed
    assert closed.is_set()


async def test_iterables_are_closed_also_when_the_client_leaves() -> None:
    finished = Body([b"a", b"b"])
    endless = Body([b"start "], forever=True)

    def app(environ: Environ, start_response: Any) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return endless if environ["PATH_INFO"] == "/endless" else finished

    async with serve(wsgi_app(app)) as base, httpx.AsyncClient() as client:
        assert (await client.get(base + "/")).text == "ab"
        assert finished.closed.is_set()
        async with client.stream("GET", base + "/endless") as response:
            await anext(response.aiter_raw())
        # The client hung up mid-stream: the next write fails and the server closes.
        assert await asyncio.to_thread(endless.closed.wait, 3)


async def test_write_callable_and_head_requests() -> None:
    def app(environ: Environ, start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "8")])
        if environ["REQUEST_METHOD"] != "HEAD":
            write(b"via ")
            write(b"wri")
        return [b"t"] if environ["REQUEST_METHOD"] != "HEAD" else []

    async with serve(wsgi_app(app)) as base, httpx.AsyncClient() as client:
        got = await client.get(base + "/")
        head = await client.head(base + "/")
    assert got.text == "via writ"
    assert (head.headers["content-length"], head.content) == ("8", b"")


async def test_hop_by_hop_headers_are_dropped_and_connection_close_honoured() -> None:
    def app(environ: Environ, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Connection", "close"), ("Keep-Alive", "5"), ("X-A", "1")])
        return [b"ok"]

    async with serve(wsgi_app(app)) as base:
        reply = await raw_exchange(base, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    head = reply.partition(b"\r\n\r\n")[0].lower()
    assert b"x-a: 1" in head and b"keep-alive" not in head
    assert b"connection: close" in head  # and the server closed: raw_exchange returned


async def test_missing_start_response_and_bad_status_are_500() -> None:
    def silent(environ: Environ, start_response: Any) -> list[bytes]:
        return [b"no status"]

    def bad_status(environ: Environ, start_response: Any) -> list[bytes]:
        start_response("OK", [])
        return [b""]

    app = web.Application()
    app.router.add_get("/silent", WSGIHandler(silent))
    app.router.add_get("/bad", WSGIHandler(bad_status))
    async with serve(app) as base, httpx.AsyncClient() as client:
        assert (await client.get(base + "/silent")).status_code == 500
        assert (await client.get(base + "/bad")).status_code == 500


async def test_the_wsgi_app_runs_off_the_event_loop() -> None:
    def sleepy(environ: Environ, start_response: Any) -> list[bytes]:
        time.sleep(0.5)  # blocking, as WSGI apps do
        start_response("200 OK", [])
        return [b"slow"]

    async def fast(request: web.Request) -> web.Response:
        return web.Response(text="fast")

    app = web.Application()
    app.router.add_get("/fast", fast)
    app.router.add_get("/slow", WSGIHandler(sleepy))
    async with serve(app) as base, httpx.AsyncClient() as client:
        slow = asyncio.create_task(client.get(base + "/slow"))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        assert (await client.get(base + "/fast")).text == "fast"
        assert time.monotonic() - started < 0.3
        assert (await slow).text == "slow"


async def test_input_lines_and_read_body_first() -> None:
    def lines(environ: Environ, start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        first = stream.readline()
        partial = stream.readline(3)
        rest = list(stream)
        start_response("200 OK", [])
        return [repr((first, partial, rest)).encode()]

    def seekable(environ: Environ, start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        data = stream.read()
        stream.seek(0)
        start_response("200 OK", [])
        return [b"%d %s" % (len(data), stream.read(4))]

    app = web.Application()
    app.router.add_post("/lines", WSGIHandler(lines))
    app.router.add_post("/seek", WSGIHandler(seekable, read_body_first=True))

    async def upload() -> AsyncIterator[bytes]:
        for part in (b"one\ntw", b"o\nthree\n", b"four"):
            yield part

    async with serve(app) as base, httpx.AsyncClient() as client:
        got = (await client.post(base + "/lines", content=upload())).text
        seek = (await client.post(base + "/seek", content=b"abcdef")).text
    assert got == repr((b"one\n", b"two", [b"\n", b"three\n", b"four"]))
    assert seek == "6 abcd"


async def test_legacy_protocol_factory_warns_and_serves() -> None:
    from heron.wsgi import WSGIServerHttpProtocol

    loop = asyncio.get_running_loop()
    with pytest.warns(DeprecationWarning, match="wsgi_app"):
        server = await loop.create_server(
            lambda: WSGIServerHttpProtocol(environ_echo, readpayload=True), "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient() as client:
                seen = (await client.post(f"http://127.0.0.1:{port}/p", content=b"xy")).json()
        finally:
            server.close()
            await server.wait_closed()
    assert (seen["PATH_INFO"], seen["body"], seen["CONTENT_LENGTH"]) == ("/p", "xy", "2")


async def test_unix_socket_file_api_of_input_and_server_name(tmp_path: Any) -> None:
    def app(environ: Environ, start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        buffer = bytearray(4)
        count = stream.readinto(buffer)
        lines = stream.readlines()
        start_response("200 OK", [("Content-Type", "text/plain")])
        text = f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']} {buffer[:count]!r} {lines!r}"
        return [text.encode()]

    path = str(tmp_path / "wsgi.sock")
    runner = web.AppRunner(wsgi_app(app), access_log=None)
    await runner.setup()
    await web.UnixSite(runner, path).start()
    try:
        transport = httpx.AsyncHTTPTransport(uds=path)
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.post("http://example.org:8000/x", content=b"abcdef\ngh\n")
    finally:
        await runner.cleanup()
    assert response.text == "example.org:8000 bytearray(b'abcd') [b'ef\\n', b'gh\\n']"
    assert issubclass(WSGIInput, io.RawIOBase)
