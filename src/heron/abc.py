"""heron.abc: the abstract base classes users subclass, at aiohttp's module path.

Each ABC lives with the code it describes; this façade only re-exports them.
"""

from .web.abc import AbstractMatchInfo, AbstractRouter, AbstractView

__all__: tuple[str, ...] = ()

__all__ += ("AbstractMatchInfo", "AbstractRouter", "AbstractView")

from .writer import AbstractStreamWriter  # noqa: E402 - appended per owner

__all__ += ("AbstractStreamWriter",)

from .client.abc import AbstractCookieJar, AbstractResolver, ResolveResult  # noqa: E402

__all__ += ("AbstractCookieJar", "AbstractResolver", "ResolveResult")

from .web.log import AbstractAccessLogger  # noqa: E402

__all__ += ("AbstractAccessLogger",)
