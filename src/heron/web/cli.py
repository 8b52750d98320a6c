"""The command line: ``python -m heron.web [-H host] [-P port] [-U path] module:factory``.

``factory`` is called with the arguments left on the command line (a list of strings)
and returns an :class:`~heron.web.Application` (or a coroutine producing one), which
is then served with :func:`~heron.web.run_app` until Ctrl+C.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from .run_app import run_app

__all__ = ("main",)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m heron.web",
        description="Serve the application returned by module:factory.",
        epilog="Arguments after module:factory are passed to the factory as a list.",
    )
    parser.add_argument(
        "entry_func",
        metavar="entry-func",
        help="callable returning the application, as module:function",
    )
    parser.add_argument("-H", "--hostname", default=None, help="TCP/IP host (default localhost)")
    parser.add_argument("-P", "--port", type=int, default=8080, help="TCP/IP port (8080)")
    parser.add_argument("-U", "--path", default=None, help="Unix socket path to serve on")
    return parser


def _load(parser: argparse.ArgumentParser, entry: str) -> Any:
    module_name, sep, func_name = entry.partition(":")
    if not sep or not module_name or not func_name:
        parser.error("'entry-func' not in 'module:function' syntax")
    if module_name.startswith("."):
        parser.error("relative module names are not supported")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        parser.error(f"unable to import {module_name}: {exc}")
    try:
        return getattr(module, func_name)
    except AttributeError:
        parser.error(f"module {module_name!r} has no attribute {func_name!r}")


def main(argv: Sequence[str] | None = None) -> None:
    """Parse ``argv`` (default ``sys.argv[1:]``), build the app and serve it."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.path is not None and args.hostname is not None:
        parser.error("--path and --hostname are mutually exclusive")
    factory = _load(parser, args.entry_func)
    app = factory(extra)
    if args.path is not None:
        run_app(app, path=args.path)
    else:
        run_app(app, host=args.hostname or "localhost", port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
