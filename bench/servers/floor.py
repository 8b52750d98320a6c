"""The floor: the thinnest uvloop + httptools server, answering one pre-built response.

It parses each request (so keep-alive and bodies are handled correctly) and writes the
same bytes every time: no routing, no request object, no header building. It shows the
most a Python server can do on this machine, and serves as the fast peer for C1/C64.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import cast

import httptools

from bench.servers._common import LOOPS, run, serve_protocol

BODIES = {
    "text": (b"Hello, World!", b"text/plain; charset=utf-8"),
    "json": (json.dumps({"message": "Hello, World!"}).encode(), b"application/json"),
}


def build_response(kind: str) -> bytes:
    """The complete HTTP/1.1 response for ``kind`` (``text`` or ``json``)."""
    body, ctype = BODIES[kind]
    head = b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
        ctype,
        len(body),
    )
    return head + body


class FloorProtocol(asyncio.Protocol):
    """One connection: feed httptools, write the canned response per complete message."""

    __slots__ = ("_parser", "_response", "_transport")

    def __init__(self, response: bytes) -> None:
        self._response = response
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only look-alikes.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            if self._transport is not None:
                self._transport.close()

    def on_message_complete(self) -> None:
        if self._transport is not None:
            self._transport.write(self._response)


def main() -> None:
    """Parse options and serve (always on uvloop unless told otherwise)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", choices=sorted(BODIES), default="text")
    parser.add_argument("--loop", choices=LOOPS, default="uvloop")
    parser.add_argument("--framework", default="floor")  # accepted for a uniform command line
    args = parser.parse_args()
    response = build_response(args.body)
    run(serve_protocol(lambda: FloorProtocol(response), args.port), args.loop)


if __name__ == "__main__":
    main()
