"""The WebSocket floor: the thinnest protocol that upgrades and echoes text messages.

S6's reference side. It answers the upgrade request with a 101 built from the client's
key, then unmasks every client frame and writes it back unmasked, all inside
``data_received``: no task, no message object, no framework. Whatever it cannot echo
(fragments, frames of 64 KiB and more, anything but text, binary or close) ends the
connection; the benchmark's client sends only small text frames. Its rate shows how far
any asyncio server can go on this machine and event loop, so the S6 table can say how
much of aiohttp's time a framework can save at all.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
from typing import cast

from bench.servers._common import LOOPS, run, serve_protocol

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
OP_TEXT, OP_BINARY, OP_CLOSE = 0x1, 0x2, 0x8
OPCODES = (OP_TEXT, OP_BINARY, OP_CLOSE)


def handshake_response(key: bytes) -> bytes:
    """The 101 answer for a client's ``Sec-WebSocket-Key``."""
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
    )


def request_key(head: bytes) -> bytes | None:
    """The ``Sec-WebSocket-Key`` value of a request head, or None."""
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"sec-websocket-key":
            return value.strip()
    return None


def unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR ``payload`` with the repeated 4-byte ``mask`` (one big-integer XOR)."""
    size = len(payload)
    if not size:
        return payload
    key = (mask * (size // 4 + 1))[:size]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")


class EchoFloor(asyncio.Protocol):
    """One connection: the upgrade, then frames echoed as they complete."""

    __slots__ = ("_buffer", "_open", "_transport")

    def __init__(self) -> None:
        self._buffer = b""
        self._open = False
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only look-alikes.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer + data if self._buffer else data
        if not self._open:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if not sep:
                self._buffer = buffer
                return
            key = request_key(head)
            if key is None:
                self._abort()
                return
            self._write(handshake_response(key))
            self._open = True
            buffer = rest
        self._buffer = self._echo(buffer)

    def _echo(self, buffer: bytes) -> bytes:
        """Echo every whole frame in ``buffer``; return the incomplete rest."""
        out = []
        pos, end = 0, len(buffer)
        while end - pos >= 6:
            first, second = buffer[pos], buffer[pos + 1]
            opcode = first & 0x0F
            size = second & 0x7F
            start = pos + 6
            if size == 126:
                start += 2
                if end < start:
                    break
                size = int.from_bytes(buffer[pos + 2 : pos + 4], "big")
            elif size == 127 or not first & 0x80 or not second & 0x80 or opcode not in OPCODES:
                self._abort()  # 64-bit sizes, fragments, unmasked frames, pings: not its job
                return b""
            if end - start < size:
                break
            payload = unmask(buffer[start : start + size], buffer[start - 4 : start])
            length = bytes([size]) if size < 126 else b"\x7e" + size.to_bytes(2, "big")
            out.append(bytes([0x80 | opcode]) + length + payload)
            pos = start + size
            if opcode == OP_CLOSE:
                self._write(b"".join(out))
                self._abort()
                return b""
        if out:
            self._write(b"".join(out))
        return buffer[pos:]

    def _write(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.close()


def main() -> None:
    """Parse options and serve on the chosen loop."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=LOOPS, default="uvloop")
    parser.add_argument("--framework", default="floor")  # accepted for a uniform command line
    args = parser.parse_args()
    run(serve_protocol(EchoFloor, args.port), args.loop)


if __name__ == "__main__":
    main()
