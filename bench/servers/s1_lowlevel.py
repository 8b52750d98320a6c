"""S1 on the low-level server: ``web.Server(handler)``, no application and no router.

Not a target of issue 4; it splits S1's cost into "connection + request + response" and
"application + routing", and gave heron's first number before its ``AppRunner`` existed.
"""

from __future__ import annotations

import asyncio
import importlib
from types import ModuleType
from typing import Any

from bench.servers._common import announce_ready, load_framework, parse_args, run


def server_class(framework: str, web: ModuleType) -> Any:
    """``web.Server``, or the class from ``web.server`` while the façade lacks it."""
    if hasattr(web, "Server"):
        return web.Server
    return importlib.import_module(f"{framework}.web.server").Server


def main() -> None:
    """Serve ``Hello, World!`` for every request."""
    args = parse_args()
    _, web = load_framework(args.framework)
    server_cls = server_class(args.framework, web)

    async def hello(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = server_cls(hello, access_log=None)
        listener = await loop.create_server(server, "127.0.0.1", args.port, backlog=4096)
        announce_ready()
        async with listener:
            await listener.serve_forever()

    run(serve(), args.loop)


if __name__ == "__main__":
    main()
