"""The command line: ``python -m heron.web [-H host] [-P port] [-U path] [--workers N]
module:function [args...]``.

``module:function`` names a function that is called with the remaining command-line
arguments (a list of strings) and returns the :class:`~heron.web.Application` (or a
coroutine producing it); a module attribute that already is an Application is served
as it is. The server runs until Ctrl+C / SIGTERM, as :func:`~heron.web.run_app`.
"""

from __future__ import annotations

import argparse
import logging
from importlib import import_module
from typing import Any

from .app import Application
from .run_app import run_app
from .server import Server

__all__ = ("main",)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m heron.web",
        description="Serve a heron (aiohttp-style) web application.",
    )
    parser.add_argument(
        "entry_func",
        metavar="entry-func",
        help="'module:function' returning the Application; it is called with the "
        "extra command-line arguments as a list",
    )
    parser.add_argument("-H", "--hostname", help="TCP/IP hostname to serve on (default: localhost)")
    parser.add_argument("-P", "--port", type=int, help="TCP/IP port to serve on (default: 8080)")
    parser.add_argument("-U", "--path", help="Unix socket path to serve on")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="number of worker processes sharing the port (default 1)",
    )
    return parser


def _load(parser: argparse.ArgumentParser, entry_func: str) -> Any:
    module_name, _, attribute = entry_func.partition(":")
    if not module_name or not attribute:
        parser.error("'entry-func' not in 'module:function' syntax")
    if module_name.startswith("."):
        parser.error("relative module names are not supported")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        parser.error(f"unable to import {module_name}: {exc}")
    try:
        return getattr(module, attribute)
    except AttributeError:
        parser.error(f"module {module_name!r} has no attribute {attribute!r}")


def main(argv: list[str] | None = None) -> None:
    """Parse ``argv`` (``sys.argv[1:]`` by default), build the app and serve it."""
    parser = _parser()
    args, extra_argv = parser.parse_known_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.path and (args.hostname or args.port):
        parser.error("--path and --hostname/--port are mutually exclusive")
    target = _load(parser, args.entry_func)
    app = target if isinstance(target, (Application, Server)) else target(extra_argv)
    logging.basicConfig(level=logging.INFO)
    if args.path:
        run_app(app, path=args.path, workers=args.workers)
    else:
        host, port = args.hostname or "localhost", args.port or 8080
        run_app(app, host=host, port=port, workers=args.workers)
    parser.exit(message="Stopped\n")
