"""Run the code examples of the user manual (``docs/*.md``) against heron as it is.

A fenced ``python`` block preceded by ``<!-- test -->`` is a complete program: it is
executed as is and must finish on its own (examples serve on 127.0.0.1 port 0 through
``heron.test_utils``, and check what they show with ``assert``).

``docs/client.md`` starts with an echo server marked ``<!-- echo-server -->``; blocks
marked ``<!-- test: echo -->`` talk to ``http://localhost:8080`` as a reader running
that server would. Here the server runs in a background thread on a free loopback port
and the examples' URLs are rewritten to it.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
MANUAL = ("index.md", "server.md", "client.md", "websockets.md", "multipart.md")
_BLOCK = re.compile(
    r"^<!-- (test|test: echo|echo-server) -->\s*\n```python\n(.*?)^```", re.M | re.S
)
_ECHO_URL = "http://localhost:8080"


def _blocks(kinds: tuple[str, ...]) -> list[Any]:
    found = []
    for name in MANUAL:
        path = DOCS / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            if match.group(1) in kinds:
                line = text.count("\n", 0, match.start()) + 1
                found.append(pytest.param(match.group(2), id=f"{name}:{line}"))
    return found


def _run(source: str, ident: str) -> None:
    code = compile(source, ident, "exec")
    exec(code, {"__name__": "__docs__"})  # not __main__: no run_app() at the end


@pytest.mark.parametrize("source", _blocks(("test",)))
def test_example(source: str, request: pytest.FixtureRequest) -> None:
    _run(source, request.node.callspec.id)


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    """Serve the echo app of ``docs/client.md`` on a free port in a thread."""
    (source,) = (param.values[0] for param in _blocks(("echo-server",)))
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    exec(compile(source, "client.md:echo-server", "exec"), namespace)
    from heron import web

    ready = threading.Event()
    state: dict[str, Any] = {}

    async def serve() -> None:
        runner = web.AppRunner(namespace["app"], access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["port"] = runner.addresses[0][1]
        state["stop"] = stop = asyncio.Event()
        state["loop"] = asyncio.get_running_loop()
        ready.set()
        await stop.wait()
        await runner.cleanup()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the echo server did not start"
    # "localhost", not the IP: the cookie jar refuses cookies from IP addresses.
    yield f"http://localhost:{state['port']}"
    state["loop"].call_soon_threadsafe(state["stop"].set)
    thread.join(10)


@pytest.mark.parametrize("source", _blocks(("test: echo",)))
def test_client_example(source: str, echo_url: str, request: pytest.FixtureRequest) -> None:
    _run(source.replace(_ECHO_URL, echo_url), request.node.callspec.id)
