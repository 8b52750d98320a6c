"""Sans-IO HTTP/1.1: message types, parsers, serialisation and content codings.

Nothing in this package touches asyncio or sockets: bytes go in, messages come out.
"""

from .errors import *  # noqa: F403
from .errors import __all__ as _errors_all
from .models import *  # noqa: F403
from .models import __all__ as _models_all

__all__ = (*_errors_all, *_models_all)
