"""S1 (and M1): ``GET /`` answers 200 ``Hello, World!`` as text/plain."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from bench.servers._common import main_for


def build_app(top: ModuleType, web: ModuleType, args: argparse.Namespace) -> Any:
    """The plaintext application."""

    async def hello(request: Any) -> Any:
        return web.Response(text="Hello, World!")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


if __name__ == "__main__":
    main_for(build_app)
