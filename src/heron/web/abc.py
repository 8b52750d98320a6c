"""Abstract base classes of the application layer: routers, match infos and views.

A custom router only has to implement :meth:`AbstractRouter.resolve`, returning an
:class:`AbstractMatchInfo` that tells the application which handler to run. Re-exported
under aiohttp's public module path by :mod:`heron.abc`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: these modules import nothing from here at runtime
    from .app import Application
    from .exceptions import HTTPException
    from .request import Request
    from .response import StreamResponse

__all__ = ("AbstractMatchInfo", "AbstractRouter", "AbstractView")

Handler = Callable[["Request"], Awaitable["StreamResponse"]]
ExpectHandler = Callable[["Request"], Awaitable["StreamResponse | None"]]


class AbstractRouter(ABC):
    """A router maps a request to an :class:`AbstractMatchInfo`.

    ``resolve()`` must never raise for an unknown path or method: it returns a match
    info whose handler raises the right HTTP error instead, so middlewares see it.
    """

    def __init__(self) -> None:
        self._frozen = False

    def post_init(self, app: Application) -> None:  # noqa: B027 - optional hook
        """Called once the router is attached to ``app`` (override to use it)."""

    @property
    def frozen(self) -> bool:
        """True once the owning application started; the routing table is then fixed."""
        return self._frozen

    def freeze(self) -> None:
        """Fix the routing table; further registrations raise :class:`RuntimeError`."""
        self._frozen = True

    @abstractmethod
    async def resolve(self, request: Request) -> AbstractMatchInfo:
        """Return the match info for ``request``."""


class AbstractMatchInfo(ABC):
    """The result of routing: which handler to run and with which applications."""

    __slots__ = ()

    @property
    @abstractmethod
    def handler(self) -> Handler:
        """The request handler to call."""

    @property
    @abstractmethod
    def expect_handler(self) -> ExpectHandler:
        """Called for requests carrying ``Expect:`` before the handler runs."""

    @property
    @abstractmethod
    def http_exception(self) -> HTTPException | None:
        """The HTTP error the handler raises (404, 405), or None for a real match."""

    @abstractmethod
    def get_info(self) -> dict[str, Any]:
        """A dict describing the matched resource (for introspection and logs)."""

    @property
    @abstractmethod
    def apps(self) -> tuple[Application, ...]:
        """Applications on the way to the route, outermost first."""

    @abstractmethod
    def add_app(self, app: Application) -> None:
        """Record that ``app`` encloses the applications already recorded."""

    @abstractmethod
    def freeze(self) -> None:
        """Forbid further :meth:`add_app` calls."""

    @property
    @abstractmethod
    def current_app(self) -> Application:
        """The application whose code is running now (``request.app``)."""

    @current_app.setter
    @abstractmethod
    def current_app(self, app: Application) -> None: ...

    @contextmanager
    def set_current_app(self, app: Application) -> Generator[None, None, None]:
        """Make ``app`` the current application inside a ``with`` block."""
        previous = self.current_app
        self.current_app = app
        try:
            yield
        finally:
            self.current_app = previous


class AbstractView(ABC):
    """Base of class-based views: constructed with the request, then awaited."""

    def __init__(self, request: Request) -> None:
        self._request = request

    @property
    def request(self) -> Request:
        """The request being handled."""
        return self._request

    @abstractmethod
    def __await__(self) -> Generator[Any, None, StreamResponse]:
        """Handle the request and return the response."""
