"""heron's benchmark suite: heron against aiohttp (and a bare "floor" server), side by side.

Run it with ``python -m bench`` (or ``make bench``); see ``bench/README.md``.
Nothing here is imported by heron itself, and nothing here is a test.
"""
