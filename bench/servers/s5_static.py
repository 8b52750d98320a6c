"""S5: static files under ``/static/`` served from ``--root`` (the harness puts 1 MiB there)."""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from bench.servers._common import main_for


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True)


def build_app(top: ModuleType, web: ModuleType, args: argparse.Namespace) -> Any:
    """An application whose only route is the static directory."""
    app = web.Application()
    app.router.add_static("/static/", args.root)
    return app


if __name__ == "__main__":
    main_for(build_app, _options)
