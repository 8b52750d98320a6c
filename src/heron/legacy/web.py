"""0.x server-side aliases: ``app.make_handler()``, ``app.finish()``, ``register_on_finish``,
``resp.start()``, ``route.url()``, ``ws.receive_msg()``/``ws.wait_closed()``.

:class:`heron.web.Application` keeps the old methods as one-line wrappers over the
functions here, so ``web/app.py`` stays about the modern API.

* ``make_handler(**kwargs)`` freezes the application and returns a protocol factory
  for ``loop.create_server`` (a :class:`heron.web.Server` with the 0.x
  ``finish_connections(timeout)``). It does not run ``on_startup``: use
  :class:`heron.web.AppRunner` for the full lifecycle.
* ``register_on_finish(func, *args, **kwargs)`` queues ``func(app, *args, **kwargs)``
  (a coroutine function or a plain one); ``finish()`` runs the queue in reverse
  registration order, hands each failure to ``loop.call_exception_handler`` (with
  ``message``, ``exception`` and ``application``) and goes on, then sends
  ``on_cleanup``. Registered before the application freezes, the queue is also run by
  ``on_cleanup`` (so an ``AppRunner`` runs it); it never runs twice.
"""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from yarl import URL

from ..web.resources import unquote_safe
from ..web.server import Server
from ..ws.models import WSMessage, WSMsgType
from ._deprecation import warn_deprecated
from .errors import WebSocketDisconnectedError

if TYPE_CHECKING:
    from ..web.app import Application
    from ..web.request import BaseRequest
    from ..web.response import StreamResponse
    from ..web.websocket import WebSocketResponse
    from ..writer import AbstractStreamWriter

__all__ = (
    "LegacyServer",
    "finish",
    "make_handler",
    "receive_msg",
    "register_on_finish",
    "start_response",
    "wait_closed",
)


class LegacyServer(Server):
    """What ``app.make_handler()`` returns: a :class:`heron.web.Server` plus 0.x methods."""

    async def finish_connections(self, timeout: float | None = None) -> None:
        """Close idle connections now, give busy ones ``timeout`` seconds, then close all."""
        self.pre_shutdown()
        await self.shutdown(timeout)


def make_handler(
    app: Application, *, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any
) -> LegacyServer:
    """``app.make_handler()``: a frozen application served by a protocol factory."""
    warn_deprecated("Application.make_handler()", "heron.web.AppRunner", stacklevel=4)
    app.freeze()
    settings = dict(app._handler_args or {})
    settings.update(kwargs)
    settings.setdefault("debug", app.debug)
    return LegacyServer(app._handle, request_factory=app._make_request, loop=loop, **settings)  # type: ignore[arg-type]


class _FinishQueue:
    """The callbacks of one application, and whether ``on_cleanup`` will run them."""

    def __init__(self) -> None:
        self.callbacks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self.hooked = False

    async def run(self, app: Application) -> None:
        callbacks, self.callbacks = self.callbacks, []
        loop = asyncio.get_running_loop()
        for func, args, kwargs in reversed(callbacks):
            try:
                result = func(app, *args, **kwargs)
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                loop.call_exception_handler(
                    {
                        "message": "Error in finish callback",
                        "exception": exc,
                        "application": app,
                    }
                )


_queues: weakref.WeakKeyDictionary[Application, _FinishQueue] = weakref.WeakKeyDictionary()


def register_on_finish(
    app: Application, func: Callable[..., Any], *args: Any, **kwargs: Any
) -> None:
    """``app.register_on_finish(func, *args, **kwargs)``: run ``func`` at ``finish()``."""
    warn_deprecated("Application.register_on_finish()", "app.on_cleanup.append()", stacklevel=4)
    queue = _queues.get(app)
    if queue is None:
        queue = _queues[app] = _FinishQueue()
    queue.callbacks.append((func, args, kwargs))
    if not queue.hooked and not app.pre_frozen:
        queue.hooked = True
        app.on_cleanup.append(queue.run)


async def finish(app: Application) -> None:
    """``await app.finish()``: run the finish callbacks, then the cleanup signal."""
    warn_deprecated("Application.finish()", "heron.web.AppRunner.cleanup()", stacklevel=4)
    queue = _queues.get(app)
    if queue is not None and not queue.hooked:
        await queue.run(app)
    await app.cleanup()


def start_response(
    response: StreamResponse, request: BaseRequest
) -> asyncio.Task[AbstractStreamWriter | None]:
    """``resp.start(request)`` (0.x): send the head in a task; ``await`` it before writing.

    As the 0.19 manual says, ``start()`` does not send ``on_response_prepare`` (only
    ``prepare()`` does).
    """
    warn_deprecated("StreamResponse.start()", "await StreamResponse.prepare()", stacklevel=4)
    return asyncio.ensure_future(_start_without_signal(response, request))


async def _start_without_signal(
    response: StreamResponse, request: BaseRequest
) -> AbstractStreamWriter | None:
    if response.prepared:
        return response._payload_writer
    status = response.status
    response._must_be_empty_body = request.method == "HEAD" or status in (204, 304) or status < 200
    return await response._start(request)


def resource_url(target: Any, parts: Any, query: Any, kwargs: dict[str, Any]) -> str:
    """``resource.url(parts=..., query=...)`` / ``route.url(...)`` (0.x): ``url_for()`` as a str.

    ``parts`` fill the ``{placeholders}`` (other keywords, such as a static route's
    ``filename``, are passed on); ``query`` is a mapping, pairs or a string (a leading
    ``?`` is allowed).
    """
    warn_deprecated(f"{type(target).__name__}.url()", "url_for()", stacklevel=4)
    url = target.url_for(**{**(parts or {}), **kwargs})
    if query is not None:
        if isinstance(query, str):
            query = query.removeprefix("?")
        url = url.with_query(query)
    return str(url)


def resource_match(target: Any, path: str) -> dict[str, str] | None:
    """``route.match(path)`` / ``resource.match(path)`` (0.x): the match dict or None.

    Plain and variable resources give their (percent-decoded) variables; a static
    resource gives ``{"filename": ...}`` for a path under its prefix.
    """
    warn_deprecated(f"{type(target).__name__}.match()", "router.resolve(request)", stacklevel=4)
    resource = getattr(target, "resource", target)
    path = URL.build(path=path, encoded=True).path_safe  # the form routing matches
    matcher = getattr(resource, "_match", None)
    if matcher is not None:
        result: dict[str, str] | None = matcher(path)
        return result
    prefix = getattr(resource, "_prefix", None)
    if prefix is not None and path.startswith(prefix + "/"):
        return {"filename": unquote_safe(path[len(prefix) + 1 :])}
    return None


# -- WebSocketResponse.receive_msg() / wait_closed() (0.12) --------------------------------

_WS_END = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


def _disconnected(ws: WebSocketResponse, msg: WSMessage) -> WebSocketDisconnectedError:
    """The 0.12 error for the end of ``ws``, with the close code and reason."""
    if msg.type is WSMsgType.CLOSE:
        return WebSocketDisconnectedError(msg.data, msg.extra)
    error = WebSocketDisconnectedError(ws.close_code)
    if msg.type is WSMsgType.ERROR:
        error.__cause__ = msg.data
    return error


async def receive_msg(ws: WebSocketResponse) -> WSMessage:
    """``ws.receive_msg()`` (0.12): ``receive()``, raising at the end of the socket.

    Returns data messages (and PING/PONG with ``autoping=False``); where ``receive()``
    returns CLOSE, CLOSING, CLOSED or ERROR it raises
    :class:`~heron.errors.WebSocketDisconnectedError` with the close ``code`` and
    ``message`` (an ERROR is its ``__cause__``).
    """
    warn_deprecated("WebSocketResponse.receive_msg()", "WebSocketResponse.receive()", stacklevel=4)
    msg = await ws.receive()
    if msg.type in _WS_END:
        raise _disconnected(ws, msg)
    return msg


async def wait_closed(ws: WebSocketResponse) -> None:
    """``ws.wait_closed()`` (0.12): for a task that only writes, wait for the end.

    Reads (and drops) incoming data messages until the closing handshake is over, by
    either side, then raises :class:`~heron.errors.WebSocketDisconnectedError` with the
    close code, as 0.12 did. Only one task may read: do not call it while another task
    receives.
    """
    warn_deprecated(
        "WebSocketResponse.wait_closed()", "async for msg in ws (or receive())", stacklevel=4
    )
    while True:
        msg = await ws.receive()
        if msg.type in _WS_END:
            if msg.type is WSMsgType.CLOSE and not ws.closed:
                await ws.close()  # autoclose=False: finish the handshake ourselves
            # A close() running in the writing task: let its handshake finish first.
            await ws._conn().wait_closed()
            raise _disconnected(ws, msg)
