"""Server programs under benchmark, one per scenario, each runnable with ``python -m``.

Every program takes ``--framework heron|aiohttp`` and builds the very same application
with that framework's ``web`` module, so the two sides run identical user code.
"""
