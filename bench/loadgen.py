"""Load generators: ``wrk`` for HTTP (S1-S5), and small uvloop clients for S6 and M1.

``wrk`` is driven with a generated Lua script whose ``done`` hook prints one JSON line,
so nothing depends on wrk's human-readable report. The Python load generators run as
``python -m bench.loadgen ws|hold ...`` on the load core; they speak raw bytes over
``asyncio.Protocol`` so that the client is never the slower side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import cast

WRK_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %.0f, "duration_us": %.0f, "bytes": %.0f, "connect": %.0f, ' ..
    '"read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f, ' ..
    '"p50_us": %.1f, "p99_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Sample:
    """One timed run of one side: its rate and its tail latency."""

    rate: float  # requests (or messages) per second
    p99_ms: float
    count: int
    errors: int = 0
    peak_rss: int = 0  # bytes, of a client process measuring itself


def wrk_script(method: str = "GET", body_size: int = 0) -> str:
    """Lua for wrk: an optional request body, and the JSON-printing ``done`` hook."""
    lines = []
    if method != "GET" or body_size:
        lines.append(f'wrk.method = "{method}"')
        lines.append(f'wrk.body = string.rep("a", {body_size})')
        lines.append('wrk.headers["Content-Type"] = "application/octet-stream"')
    return "\n".join(lines) + WRK_DONE


def wrk_available() -> bool:
    """Whether the ``wrk`` binary is on PATH."""
    return shutil.which("wrk") is not None


def wrk_command(url: str, conns: int, duration: float, script_path: str) -> list[str]:
    """The wrk command line: one thread (one core), keep-alive, latency recorded."""
    return [
        "wrk",
        "-t1",
        f"-c{conns}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "5s",
        "-s",
        script_path,
        url,
    ]


def parse_wrk(output: str) -> Sample:
    """Turn the ``WRKJSON`` line of wrk's output into a Sample."""
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line[len("WRKJSON ") :])
            seconds = data["duration_us"] / 1e6
            errors = int(
                data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
            )
            return Sample(
                rate=data["requests"] / seconds if seconds else 0.0,
                p99_ms=data["p99_us"] / 1000.0,
                count=int(data["requests"]),
                errors=errors,
            )
    raise ValueError("wrk printed no result line")


def write_script(text: str) -> str:
    """Write a Lua script to a temporary file and return its path."""
    fd, path = tempfile.mkstemp(prefix="bench-", suffix=".lua")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path


# --------------------------------------------------------------------------- S6 client

WS_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="
WS_MASK = bytes([0x37, 0xFA, 0x21, 0x3D])
WS_TEXT = b"0123456789abcdef0123456789abcdef"  # 32 bytes


def masked_text_frame(payload: bytes, mask: bytes = WS_MASK) -> bytes:
    """A final, masked text frame (client to server) for a payload under 126 bytes."""
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


class EchoClient(asyncio.Protocol):
    """One WebSocket connection doing send / wait-for-echo round trips back to back."""

    def __init__(self, host: str, port: int, limit: int, stop_at: float) -> None:
        self.request = (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: " + WS_KEY.decode() + "\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.frame = masked_text_frame(WS_TEXT)
        self.expected = bytes([0x81, len(WS_TEXT)]) + WS_TEXT
        self.limit = limit
        self.stop_at = stop_at
        self.count = 0
        self.latencies: list[float] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buf = b""
        self._upgraded = False
        self._sent_at = 0.0
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only look-alikes.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self.request)

    def _fail(self, why: str) -> None:
        if not self.done.done():
            self.done.set_exception(RuntimeError(why))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"connection lost after {self.count} messages: {exc}")

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._upgraded:
            head, sep, rest = self._buf.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                status = head.split(b"\r\n", 1)[0].decode(errors="replace")
                self._fail("handshake refused: " + status)
                return
            self._upgraded = True
            self._buf = rest
            self._send()
            return
        size = len(self.expected)
        while len(self._buf) >= size:
            if self.count == 0 and self._buf[:size] != self.expected:
                self._fail(f"unexpected echo frame {self._buf[:size]!r}")
                return
            self._buf = self._buf[size:]
            now = time.perf_counter()
            self.latencies.append(now - self._sent_at)
            self.count += 1
            if self.count >= self.limit or now >= self.stop_at:
                if not self.done.done():
                    self.done.set_result(None)
                return
            self._send()

    def _send(self) -> None:
        assert self._transport is not None
        self._sent_at = time.perf_counter()
        self._transport.write(self.frame)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()


async def ws_echo(port: int, conns: int, messages: int, duration: float) -> dict[str, float]:
    """Run ``conns`` echo connections; each stops after ``messages`` or ``duration`` s."""
    loop = asyncio.get_running_loop()
    stop_at = time.perf_counter() + duration if duration > 0 else float("inf")
    limit = messages if messages > 0 else 1 << 62
    clients: list[EchoClient] = []
    for _ in range(conns):
        _, proto = await loop.create_connection(
            lambda: EchoClient("127.0.0.1", port, limit, stop_at), "127.0.0.1", port
        )
        clients.append(proto)
    start = time.perf_counter()
    # Upgrade latency is negligible next to the run; time from first connect to last echo.
    await asyncio.wait_for(asyncio.gather(*(c.done for c in clients)), timeout=duration + 120)
    seconds = time.perf_counter() - start
    for c in clients:
        c.close()
    count = sum(c.count for c in clients)
    lat = sorted(x for c in clients for x in c.latencies)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
    return {"count": count, "seconds": seconds, "rate": count / seconds, "p99_ms": p99 * 1000}


# --------------------------------------------------------------------------- M1 holder


class IdleConnection(asyncio.Protocol):
    """Sends one keep-alive GET, waits for the whole response, then stays idle."""

    def __init__(self, request: bytes, marker: bytes) -> None:
        self.request = request
        self.marker = marker
        self.answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buf = b""
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        cast(asyncio.Transport, transport).write(self.request)

    def data_received(self, data: bytes) -> None:
        if self.answered.done():
            return
        self._buf += data
        if self.marker in self._buf:
            self.answered.set_result(None)
            self._buf = b""

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answered.done():
            self.answered.set_exception(RuntimeError(f"closed before answering: {exc}"))


async def hold(port: int, conns: int, batch: int = 250) -> None:
    """Open ``conns`` keep-alive connections, print ``HELD n``, hold them until stdin closes."""
    loop = asyncio.get_running_loop()
    request = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    protos: list[IdleConnection] = []

    async def one() -> None:
        _, proto = await loop.create_connection(
            lambda: IdleConnection(request, b"Hello, World!"), "127.0.0.1", port
        )
        protos.append(proto)
        await asyncio.wait_for(proto.answered, timeout=30)

    for start in range(0, conns, batch):
        await asyncio.gather(*(one() for _ in range(min(batch, conns - start))))
    alive = sum(1 for p in protos if p.transport is not None and not p.transport.is_closing())
    sys.stdout.write(f"HELD {alive}\n")
    sys.stdout.flush()
    await loop.run_in_executor(None, sys.stdin.read)
    for p in protos:
        if p.transport is not None:
            p.transport.close()


# --------------------------------------------------------------------------- entry point


def _run(coro: object) -> object:
    import uvloop

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)  # type: ignore[arg-type]


def main() -> None:
    """``python -m bench.loadgen ws ...`` or ``python -m bench.loadgen hold ...``."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    ws = sub.add_parser("ws")
    ws.add_argument("--port", type=int, required=True)
    ws.add_argument("--conns", type=int, default=1)
    ws.add_argument("--messages", type=int, default=0)
    ws.add_argument("--duration", type=float, default=0.0)
    h = sub.add_parser("hold")
    h.add_argument("--port", type=int, required=True)
    h.add_argument("--conns", type=int, default=10_000)
    args = parser.parse_args()
    if args.cmd == "ws":
        result = _run(ws_echo(args.port, args.conns, args.messages, args.duration))
        print(json.dumps(result))
    else:
        _run(hold(args.port, args.conns))


if __name__ == "__main__":
    main()
