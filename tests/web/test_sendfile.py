"""Sending files into the socket: every byte arrives, on asyncio and on uvloop alike.

These tests run their own loop (stock asyncio or uvloop), a real server and raw-socket
clients. The server's send buffer is made small in the handler so that the kernel
refuses bytes early: that is how a slow reader looks to the server, and it drives the
way that copies a chunk through the transport and waits for it to leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import pathlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import pytest

from heron import web

T = TypeVar("T")

LOOPS = ["asyncio", "uvloop"]
SIZE = 1024 * 1024 + 4321  # not a multiple of any chunk size
CHUNK = 64 * 1024


def run(loop_kind: str, main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main`` on a fresh loop of ``loop_kind``, bounded in time."""
    factory = None
    if loop_kind == "uvloop":
        factory = pytest.importorskip("uvloop").new_event_loop

    async def bounded() -> T:
        return await asyncio.wait_for(main(), 20)

    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(bounded())


@pytest.fixture
def data(tmp_path: pathlib.Path) -> bytes:
    body = os.urandom(SIZE)
    (tmp_path / "big.bin").write_bytes(body)
    return body


def make_app(root: pathlib.Path, transports: list[Any] | None = None) -> web.Application:
    """``/f/{name}`` sends a file; ``?small=1`` shrinks the server's send buffer first,
    ``?pad=N`` adds a header of N bytes (a head the kernel cannot take at once)."""

    async def send(request: web.Request) -> web.StreamResponse:
        transport = request.transport
        assert transport is not None
        if transports is not None:
            transports.append(transport)
        if request.query.get("small"):
            sock = transport.get_extra_info("socket")
            if sock is not None and transport.get_extra_info("sslcontext") is None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
        pad = {"X-Pad": "p" * int(request.query["pad"])} if "pad" in request.query else None
        return web.FileResponse(root / request.match_info["name"], chunk_size=CHUNK, headers=pad)

    app = web.Application()
    app.router.add_route("*", "/f/{name}", send)
    return app


@contextlib.asynccontextmanager
async def serve(
    app: web.Application, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[int]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def connect(
    port: int, ssl_context: ssl.SSLContext | None = None, limit: int = 16384
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A client with a small receive window that buffers little (``limit``)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # a small window
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(
        sock=sock,
        ssl=ssl_context,
        server_hostname="127.0.0.1" if ssl_context else None,
        limit=limit,
    )


async def read_response(
    reader: asyncio.StreamReader, *, pause: float = 0.0, head_only: bool = False
) -> tuple[bytes, bytes]:
    """One response: ``(head, body)``; ``pause`` seconds between 16 KiB reads."""
    head = await reader.readuntil(b"\r\n\r\n")
    if head_only:
        return head, b""
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    body = bytearray()
    while len(body) < length:
        piece = await reader.read(min(16384, length - len(body)))
        if not piece:
            break  # cut short: the caller sees a short body
        body += piece
        if pause:
            await asyncio.sleep(pause)
    return head, bytes(body)


def get(path: str, method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def fds_of(path: pathlib.Path) -> int:
    """How many of this process's descriptors are open on ``path``."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{name}") == str(path)
    return count


# ------------------------------------------------------------------ whole files


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_fast_and_slow_readers_get_every_byte(
    loop_kind: str, tmp_path: pathlib.Path, data: bytes
) -> None:
    transports: list[Any] = []
    buffered: list[int] = []

    async def main() -> None:
        async with serve(make_app(tmp_path, transports)) as port:
            reader, writer = await connect(port)
            writer.write(get("/f/big.bin"))
            head, body = await read_response(reader)
            assert head.startswith(b"HTTP/1.1 200 ") and body == data
            limits = transports[0].get_write_buffer_limits()
            # The same connection, now with a tiny send buffer and a reader that
            # dawdles: the server keeps at most one chunk of the file in memory.
            writer.write(get("/f/big.bin?small=1"))

            async def sample() -> None:
                while True:
                    if transports[1:]:
                        buffered.append(transports[1].get_write_buffer_size())
                    await asyncio.sleep(0.0005)

            sampler = asyncio.create_task(sample())
            head, body = await read_response(reader, pause=0.001)
            sampler.cancel()
            assert body == data
            # The transport's write limits are back to what they were, and the
            # connection serves a third response.
            assert transports[1] is transports[0]
            assert transports[1].get_write_buffer_limits() == limits
            writer.write(get("/f/big.bin"))
            assert (await read_response(reader))[1] == data
            writer.close()

    run(loop_kind, main)
    # Some bytes waited in the transport (the copying way ran), never more than a chunk.
    assert 0 < max(buffered) <= CHUNK


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_pipelined_requests_keep_their_order(
    loop_kind: str, tmp_path: pathlib.Path, data: bytes
) -> None:
    (tmp_path / "small.txt").write_bytes(b"tiny")

    async def main() -> None:
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port)
            # Four at once: each head is written while the previous body may still
            # sit in the kernel's (tiny) buffer.
            big = get("/f/big.bin?small=1")
            writer.write(big + big + get("/f/small.txt") + big)
            assert (await read_response(reader, pause=0.001))[1] == data
            assert (await read_response(reader, pause=0.001))[1] == data
            assert (await read_response(reader))[1] == b"tiny"
            assert (await read_response(reader))[1] == data
            writer.close()

    run(loop_kind, main)


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_head_bigger_than_the_send_buffer(
    loop_kind: str, tmp_path: pathlib.Path, data: bytes
) -> None:
    """The transport still holds part of the head: the file waits for it, not mixed in."""

    async def main() -> None:
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port, limit=1024 * 1024)
            writer.write(get("/f/big.bin?small=1&pad=300000"))
            await asyncio.sleep(0.05)  # let the kernel's buffers fill up
            head, body = await read_response(reader, pause=0.001)
            assert head.count(b"p" * 1000) == 300 and body == data
            writer.close()

    run(loop_kind, main)


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_head_and_ranges(loop_kind: str, tmp_path: pathlib.Path, data: bytes) -> None:
    async def main() -> None:
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port)
            writer.write(get("/f/big.bin", method="HEAD"))
            head, _ = await read_response(reader, head_only=True)
            assert f"Content-Length: {SIZE}\r\n".encode() in head
            writer.write(get("/f/big.bin?small=1", extra="Range: bytes=1000-900999\r\n"))
            head, body = await read_response(reader, pause=0.001)
            assert head.startswith(b"HTTP/1.1 206 ") and body == data[1000:901000]
            writer.write(get("/f/big.bin", extra="Range: bytes=-10\r\n"))
            assert (await read_response(reader))[1] == data[-10:]
            writer.write(get("/f/big.bin?small=1", extra="Range: bytes=0-1,500000-\r\n"))
            head, body = await read_response(reader, pause=0.001)
            assert b"multipart/byteranges" in head
            assert data[:2] in body and body.count(data[500000:]) == 1
            writer.close()

    run(loop_kind, main)


# ---------------------------------------------------------------- going away


@pytest.mark.parametrize("loop_kind", LOOPS)
@pytest.mark.parametrize("small", [False, True])
def test_client_leaving_mid_file(
    loop_kind: str, small: bool, tmp_path: pathlib.Path, data: bytes
) -> None:
    errors: list[dict[str, Any]] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: errors.append(context))
        async with serve(make_app(tmp_path)) as port:
            before = open_fds()
            for _ in range(3):
                reader, writer = await connect(port)
                writer.write(get("/f/big.bin?small=1" if small else "/f/big.bin"))
                await reader.readexactly(50_000)
                writer.transport.abort()  # RST: the server's next send fails
                await asyncio.sleep(0.02)
            # The server still answers, and no descriptor stayed open.
            reader, writer = await connect(port)
            writer.write(get("/f/big.bin"))
            assert (await read_response(reader))[1] == data
            writer.close()
            await writer.wait_closed()
            for _ in range(50):
                if open_fds() <= before:
                    break
                await asyncio.sleep(0.01)
            assert open_fds() <= before
            assert fds_of(tmp_path / "big.bin") == 0

    run(loop_kind, main)
    assert errors == []


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_shutdown_while_a_reader_stalls(loop_kind: str, tmp_path: pathlib.Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * SIZE)

    async def main() -> None:
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port)
            writer.write(get("/f/big.bin?small=1"))
            await reader.readexactly(1000)
            writer.transport.pause_reading()  # and never read again
            await asyncio.sleep(0.05)
            assert fds_of(tmp_path / "big.bin") == 1  # the server is sending it
        # Cleanup ended the connection: the server's waiting send gave up and
        # released the file.
        assert fds_of(tmp_path / "big.bin") == 0
        writer.close()

    run(loop_kind, main)


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_unix_socket(loop_kind: str, tmp_path: pathlib.Path, data: bytes) -> None:
    async def main() -> None:
        runner = web.AppRunner(make_app(tmp_path), access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        path = str(tmp_path / "s.sock")
        await web.UnixSite(runner, path).start()
        try:
            reader, writer = await asyncio.open_unix_connection(path)
            writer.write(get("/f/big.bin") + get("/f/big.bin", extra="Range: bytes=7-\r\n"))
            assert (await read_response(reader))[1] == data
            assert (await read_response(reader, pause=0.001))[1] == data[7:]
            writer.close()
        finally:
            await runner.cleanup()

    run(loop_kind, main)


# ------------------------------------------------------------ other ways


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_tls_never_uses_sendfile(loop_kind: str, tmp_path: pathlib.Path, data: bytes) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)

    async def main() -> None:
        async with serve(make_app(tmp_path), server_ctx) as port:
            reader, writer = await connect(port, client_ctx)
            writer.write(get("/f/big.bin", extra="Range: bytes=10-\r\n"))
            assert (await read_response(reader))[1] == data[10:]
            writer.write(get("/f/big.bin"))
            assert (await read_response(reader, pause=0.001))[1] == data
            writer.close()

    run(loop_kind, main)


def scripted_sendfile(monkeypatch: pytest.MonkeyPatch, script: list[int | OSError]) -> list[int]:
    """Make ``os.sendfile`` follow ``script``: a number caps one call, an error is raised;
    past the script, calls go to the kernel. Returns the counts asked for."""
    real = os.sendfile
    calls: list[int] = []

    def fake(out_fd: int, in_fd: int, offset: int | None, count: int) -> int:
        calls.append(count)
        step = script.pop(0) if script else count
        if isinstance(step, OSError):
            raise step
        return real(out_fd, in_fd, offset, min(step, count))

    monkeypatch.setattr(os, "sendfile", fake)
    return calls


@pytest.mark.parametrize("loop_kind", LOOPS)
@pytest.mark.parametrize("full_first", [False, True])
def test_sendfile_refused_by_the_kernel(
    loop_kind: str,
    full_first: bool,
    tmp_path: pathlib.Path,
    data: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file system without sendfile support (EINVAL), possibly after the send buffer
    was full once: the rest of the bytes are copied instead."""
    full: list[int | OSError] = [BlockingIOError(errno.EAGAIN, "full")] if full_first else []
    script = [1000, *full, OSError(errno.EINVAL, "Invalid argument")]
    calls = scripted_sendfile(monkeypatch, script)

    async def main() -> None:
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port)
            for _ in range(2):  # and the connection stays usable
                writer.write(get("/f/big.bin"))
                assert (await read_response(reader))[1] == data
            writer.close()

    run(loop_kind, main)
    assert len(calls) == 3 + full_first


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_peer_gone_during_sendfile(
    loop_kind: str, tmp_path: pathlib.Path, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """EPIPE from the kernel ends the response and the connection, quietly."""
    errors: list[dict[str, Any]] = []
    scripted_sendfile(monkeypatch, [1000, BrokenPipeError(errno.EPIPE, "Broken pipe")])

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda _l, c: errors.append(c))
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port)
            writer.write(get("/f/big.bin"))
            _, body = await read_response(reader)
            assert body == data[:1000]
            assert await reader.read() == b""
            writer.close()
            assert fds_of(tmp_path / "big.bin") == 0

    run(loop_kind, main)
    assert errors == []


@pytest.mark.parametrize("loop_kind", LOOPS)
def test_file_shrinking_cuts_the_connection(
    loop_kind: str, tmp_path: pathlib.Path, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel finds the end of the file early: the client sees a short body and EOF."""
    monkeypatch.setattr(os, "sendfile", lambda *args: 0)

    async def main() -> None:
        async with serve(make_app(tmp_path)) as port:
            reader, writer = await connect(port)
            writer.write(get("/f/big.bin"))
            head, body = await read_response(reader)
            assert head.startswith(b"HTTP/1.1 200 ") and body == b""
            assert await reader.read() == b""  # closed, not kept alive
            writer.close()

    run(loop_kind, main)
