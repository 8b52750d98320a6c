"""heron's version, in a module of its own so any module can read it at import time
(``heron/__init__`` is still half-initialised while its submodules import)."""

__version__ = "0.1.0.dev0"
