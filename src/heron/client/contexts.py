"""What the session's request methods return: awaitables that also work with ``async with``.

``await session.get(url)`` gives the response; ``async with session.get(url) as resp``
releases it at the end of the block. :func:`heron.request` wraps its one-shot
session the same way and closes that session afterwards.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
from typing import Any, Protocol

from .response import ClientResponse

__all__ = ("RequestContextManager", "SessionRequestContextManager")


class _Closable(Protocol):
    async def close(self) -> None: ...


class RequestContextManager:
    """What request methods return: ``await`` it, or use it with ``async with``."""

    __slots__ = ("_coro", "_resp")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse]) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        return self._coro.__await__()

    def send(self, arg: None) -> Any:
        return self._coro.send(arg)

    def throw(self, *args: Any) -> Any:
        return self._coro.throw(*args)

    def close(self) -> None:
        self._coro.close()

    async def __aenter__(self) -> ClientResponse:
        self._resp = await self._coro
        return self._resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        resp = self._resp
        assert resp is not None
        resp.release()
        if resp._writer is not None:  # else wait_for_close() has nothing to wait for
            await resp.wait_for_close()


class SessionRequestContextManager:
    """``async with heron.request(...) as resp``: a one-shot session around one request."""

    __slots__ = ("_coro", "_resp", "_session")

    def __init__(self, coro: Coroutine[Any, Any, ClientResponse], session: _Closable) -> None:
        self._coro = coro
        self._resp: ClientResponse | None = None
        self._session = session

    async def __aenter__(self) -> ClientResponse:
        try:
            self._resp = await self._coro
        except BaseException:
            await self._session.close()
            raise
        return self._resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._resp is not None
        self._resp.release()
        await self._session.close()
