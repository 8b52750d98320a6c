"""S3: many routes, half plain and half ``/users{i}/{id}/posts/{pid}``; the last dynamic one is hit.

``--routes 1`` registers only ``/users0/{id}/posts/{pid}``; ``--routes N`` (N even)
registers N/2 plain routes and N/2 dynamic ones. The benchmark requests
``/users{N/2-1}/123/posts/456`` (``/users0/...`` for one route).
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from bench.servers._common import main_for


def target_path(routes: int) -> str:
    """The path the load generator requests for a given route count."""
    last = 0 if routes == 1 else routes // 2 - 1
    return f"/users{last}/123/posts/456"


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--routes", type=int, default=200)


def build_app(top: ModuleType, web: ModuleType, args: argparse.Namespace) -> Any:
    """An application with ``args.routes`` routes."""

    async def post(request: Any) -> Any:
        return web.Response(text=request.match_info["pid"])

    async def plain(request: Any) -> Any:
        return web.Response(text="plain")

    app = web.Application()
    if args.routes == 1:
        app.router.add_get("/users0/{id}/posts/{pid}", post)
        return app
    half = args.routes // 2
    for i in range(half):
        app.router.add_get(f"/plain{i}", plain)
    for i in range(half):
        app.router.add_get(f"/users{i}/{{id}}/posts/{{pid}}", post)
    return app


if __name__ == "__main__":
    main_for(build_app, _options)
