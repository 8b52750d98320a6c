"""S4: ``POST /echo`` answers with the request body."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from bench.servers._common import main_for


def build_app(top: ModuleType, web: ModuleType, args: argparse.Namespace) -> Any:
    """The echo application."""

    async def echo(request: Any) -> Any:
        body = await request.read()
        return web.Response(body=body)

    app = web.Application()
    app.router.add_post("/echo", echo)
    return app


if __name__ == "__main__":
    main_for(build_app)
