"""Class-based views: :class:`View` dispatches a request to the method named after it."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, NoReturn

from .. import hdrs
from .abc import AbstractView
from .exceptions import HTTPMethodNotAllowed

if TYPE_CHECKING:
    from .response import StreamResponse

__all__ = ("View",)


class View(AbstractView):
    """Subclass and define ``async def get(self)``, ``post``, ... returning responses.

    Register with ``router.add_view(path, MyView)`` or ``@routes.view(path)``. A method
    the class does not define is answered with 405 and an ``Allow`` header listing the
    ones it does.
    """

    async def _dispatch(self) -> StreamResponse:
        method = self.request.method
        handler = getattr(self, method.lower(), None) if method in hdrs.METH_ALL else None
        if handler is None:
            self._raise_allowed_methods()
        response: StreamResponse = await handler()
        return response

    def __await__(self) -> Generator[Any, None, StreamResponse]:
        return self._dispatch().__await__()

    def _raise_allowed_methods(self) -> NoReturn:
        allowed = {meth for meth in hdrs.METH_ALL if hasattr(self, meth.lower())}
        raise HTTPMethodNotAllowed(self.request.method, allowed)
