"""``python -m heron.web``: see :mod:`heron.web.cli`."""

from .cli import main

main()
