"""C1/C64: one HTTP client library doing keep-alive GETs against the floor server.

Run as ``python -m bench.clients --client heron|aiohttp|httpx --url URL --requests N
--concurrency K --loop asyncio|uvloop``; prints one JSON line with the rate and p99.
heron's client has aiohttp's API, so the same code drives both.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import resource
import time
from collections.abc import Awaitable, Callable
from typing import Any

Fetch = Callable[[], Awaitable[int]]


async def _drive(
    fetch: Fetch, total: int, concurrency: int, max_seconds: float
) -> dict[str, float]:
    """Issue ``total`` fetches, ``concurrency`` at a time, stopping early after ``max_seconds``.

    The time cap keeps slow clients (httpx at 64 connections) from eating the run's time
    budget; the rate stays comparable because it is completed requests per second.
    """
    latencies: list[float] = []
    remaining = total
    bad = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def worker() -> None:
        nonlocal remaining, bad
        while remaining > 0:
            remaining -= 1
            t0 = time.perf_counter()
            status = await fetch()
            t1 = time.perf_counter()
            latencies.append(t1 - t0)
            if status != 200:
                bad += 1
            if t1 > deadline:
                remaining = 0

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - start
    if bad:
        raise RuntimeError(f"{bad} of {len(latencies)} responses were not 200")
    count = len(latencies)
    latencies.sort()
    p99 = latencies[min(count - 1, int(count * 0.99))]
    return {
        "count": count,
        "seconds": seconds,
        "rate": count / seconds,
        "p99_ms": p99 * 1000,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


async def _aiohttp_like(
    name: str, url: str, total: int, concurrency: int, warmup: int, cap: float
) -> Any:
    """aiohttp's (or heron's) ``ClientSession``: one session, pooled keep-alive connections."""
    mod = importlib.import_module(name)
    connector = mod.TCPConnector(limit=max(concurrency, 1))
    async with mod.ClientSession(connector=connector) as session:

        async def fetch() -> int:
            async with session.get(url) as resp:
                await resp.read()
                return int(resp.status)

        await _drive(fetch, warmup, concurrency, cap)
        return await _drive(fetch, total, concurrency, cap)


async def _httpx(url: str, total: int, concurrency: int, warmup: int, cap: float) -> Any:
    """httpx's ``AsyncClient`` with a pool as large as the concurrency."""
    import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:

        async def fetch() -> int:
            resp = await client.get(url)
            return resp.status_code

        await _drive(fetch, warmup, concurrency, cap)
        return await _drive(fetch, total, concurrency, cap)


def main() -> None:
    """Parse options, run on the chosen loop, print the JSON result."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", choices=("heron", "aiohttp", "httpx"), required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--module", help="import this package for the heron side (self-test)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="uvloop")
    args = parser.parse_args()
    if args.client == "httpx":
        coro = _httpx(args.url, args.requests, args.concurrency, args.warmup, args.max_seconds)
    else:
        name = args.module or args.client
        coro = _aiohttp_like(
            name, args.url, args.requests, args.concurrency, args.warmup, args.max_seconds
        )
    if args.loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            result = runner.run(coro)
    else:
        result = asyncio.run(coro)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
