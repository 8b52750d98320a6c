"""What every benchmark server program shares: arguments, the event loop, readiness.

A server binds 127.0.0.1 on the port it is given, prints ``READY`` on stdout once it
accepts connections and then serves until it is killed. The harness waits for that line.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import resource
import sys
from collections.abc import Callable, Coroutine
from types import ModuleType
from typing import Any

FRAMEWORKS = ("heron", "aiohttp")
LOOPS = ("asyncio", "uvloop")

# Large enough for M1's 10,000 connections arriving in bursts.
BACKLOG = 4096


Options = Callable[[argparse.ArgumentParser], None]


def parse_args(extra: Options | None = None) -> argparse.Namespace:
    """Parse the options every server understands, plus the scenario's own."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=FRAMEWORKS, default="aiohttp")
    parser.add_argument("--loop", choices=LOOPS, default="uvloop")
    parser.add_argument("--port", type=int, required=True)
    if extra is not None:
        extra(parser)
    return parser.parse_args()


def raise_fd_limit() -> None:
    """Lift the soft open-files limit to the hard one (M1 holds 10,000 sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def run(main: Coroutine[Any, Any, None], loop: str) -> None:
    """Run ``main`` on stock asyncio or on uvloop."""
    raise_fd_limit()
    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main)
    else:
        with asyncio.Runner() as runner:
            runner.run(main)


def announce_ready() -> None:
    """Tell the harness that the server accepts connections."""
    sys.stdout.write("READY\n")
    sys.stdout.flush()


def load_framework(name: str) -> tuple[ModuleType, ModuleType]:
    """Return ``(top_module, web_module)`` of heron or aiohttp."""
    top = importlib.import_module(name)
    web = importlib.import_module(f"{name}.web")
    return top, web


async def serve_protocol(factory: Callable[[], asyncio.Protocol], port: int) -> None:
    """Serve a bare protocol (the floors) on 127.0.0.1:``port`` until killed."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", port, backlog=BACKLOG)
    announce_ready()
    async with server:
        await server.serve_forever()


async def serve_app(web: ModuleType, app: Any, port: int) -> None:
    """Serve ``app`` with ``AppRunner``/``TCPSite`` (no access log) until killed."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=BACKLOG)
    await site.start()
    announce_ready()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main_for(
    build_app: Callable[[ModuleType, ModuleType, argparse.Namespace], Any],
    extra: Callable[[argparse.ArgumentParser], None] | None = None,
) -> None:
    """Entry point of an application server: parse options, build the app, serve it."""
    args = parse_args(extra)
    top, web = load_framework(args.framework)

    async def main() -> None:
        await serve_app(web, build_app(top, web, args), args.port)

    run(main(), args.loop)
