"""S2: ``GET /json`` answers ``{"message": "Hello, World!"}``."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from bench.servers._common import main_for


def build_app(top: ModuleType, web: ModuleType, args: argparse.Namespace) -> Any:
    """The JSON application."""

    async def json_hello(request: Any) -> Any:
        return web.json_response({"message": "Hello, World!"})

    app = web.Application()
    app.router.add_get("/json", json_hello)
    return app


if __name__ == "__main__":
    main_for(build_app)
