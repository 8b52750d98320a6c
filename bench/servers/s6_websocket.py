"""S6: ``GET /ws`` upgrades to a WebSocket that echoes every text message."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from bench.servers._common import main_for


def build_app(top: ModuleType, web: ModuleType, args: argparse.Namespace) -> Any:
    """The WebSocket echo application."""
    text = top.WSMsgType.TEXT

    async def echo(request: Any) -> Any:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == text:
                await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    return app


if __name__ == "__main__":
    main_for(build_app)
