"""``run_app``: serve an application until interrupted, then shut down gracefully."""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from .log import AbstractAccessLogger, AccessLogger, access_logger
from .runner import (
    AppRunner,
    BaseRunner,
    BaseSite,
    GracefulExit,
    ServerRunner,
    SockSite,
    TCPSite,
    UnixSite,
)
from .server import Server

if TYPE_CHECKING:
    from .app import Application

__all__ = ("run_app",)


def _new_event_loop(use_uvloop: bool | None) -> asyncio.AbstractEventLoop:
    """A fresh loop: uvloop's when installed (unless ``use_uvloop`` is False)."""
    if use_uvloop is not False:
        try:
            import uvloop
        except ImportError:
            if use_uvloop:
                raise
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


def run_app(
    app: Application | Server | Awaitable[Application],
    *,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | Iterable[str] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    shutdown_timeout: float = 60.0,
    keepalive_timeout: float = 75.0,
    ssl_context: ssl.SSLContext | None = None,
    print: Callable[..., None] | None = print,
    backlog: int = 128,
    access_log_class: type[AbstractAccessLogger] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    access_log: logging.Logger | None = access_logger,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    handler_cancellation: bool = False,
    loop: asyncio.AbstractEventLoop | None = None,
    use_uvloop: bool | None = None,
    workers: int = 1,
) -> None:
    """Run ``app`` until SIGINT/SIGTERM (or Ctrl+C), then clean up gracefully.

    Listens on ``host``/``port`` (every interface, port 8080 by default), on Unix
    socket ``path`` and/or on ready-made ``sock`` objects. ``app`` may also be a
    coroutine returning the application, or a low-level :class:`~heron.web.Server`.
    A new event loop is created unless ``loop`` is given; it is uvloop's when uvloop
    is installed, unless ``use_uvloop=False``. ``workers=N`` (N > 1) serves the app
    from N forked processes sharing the port (see :mod:`heron.web.workers`).
    """
    if workers != 1:
        from .workers import run_workers  # only multi-process users pay for it

        run_workers(
            app,
            workers,
            host=host,
            port=port,
            path=path,
            sock=sock,
            shutdown_timeout=shutdown_timeout,
            keepalive_timeout=keepalive_timeout,
            ssl_context=ssl_context,
            print=print,
            backlog=backlog,
            access_log_class=access_log_class,
            access_log_format=access_log_format,
            access_log=access_log,
            reuse_address=reuse_address,
            reuse_port=reuse_port,
            handler_cancellation=handler_cancellation,
            loop=loop,
            use_uvloop=use_uvloop,
        )
        return
    own_loop = loop is None
    if loop is None:
        loop = _new_event_loop(use_uvloop)
    if loop.get_debug() and access_log is not None and access_log.name == "aiohttp.access":
        # Debug mode: make the access log visible unless the user configured it.
        if access_log.level == logging.NOTSET:
            access_log.setLevel(logging.DEBUG)
        if not access_log.hasHandlers():
            access_log.addHandler(logging.StreamHandler())
    main_task = loop.create_task(
        _run_app(
            app,
            host=host,
            port=port,
            path=path,
            sock=sock,
            ssl_context=ssl_context,
            print=print,
            backlog=backlog,
            reuse_address=reuse_address,
            reuse_port=reuse_port,
            runner_kwargs={
                "handle_signals": handle_signals,
                "shutdown_timeout": shutdown_timeout,
                "keepalive_timeout": keepalive_timeout,
                "access_log_class": access_log_class,
                "access_log_format": access_log_format,
                "access_log": access_log,
                "handler_cancellation": handler_cancellation,
            },
        )
    )
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main_task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            main_task.cancel()
            with suppress(asyncio.CancelledError):
                loop.run_until_complete(main_task)
        finally:
            _cancel_tasks(asyncio.all_tasks(loop), loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            if own_loop:
                loop.close()
            asyncio.set_event_loop(None)


def _make_runner(app: Application | Server, kwargs: dict[str, Any]) -> BaseRunner:
    if isinstance(app, Server):
        # A bare server was configured when it was built; only runner options apply.
        return ServerRunner(
            app,
            handle_signals=kwargs["handle_signals"],
            shutdown_timeout=kwargs["shutdown_timeout"],
        )
    return AppRunner(app, **kwargs)


async def _run_app(
    app: Application | Server | Awaitable[Application],
    *,
    host: str | Iterable[str] | None,
    port: int | None,
    path: str | Iterable[str] | None,
    sock: socket.socket | Iterable[socket.socket] | None,
    ssl_context: ssl.SSLContext | None,
    print: Callable[..., None] | None,
    backlog: int,
    reuse_address: bool | None,
    reuse_port: bool | None,
    runner_kwargs: dict[str, Any],
) -> None:
    if not isinstance(app, Server) and isinstance(app, Awaitable):
        app = await app
    runner = _make_runner(app, runner_kwargs)
    await runner.setup()
    try:
        site_args: dict[str, Any] = {"ssl_context": ssl_context, "backlog": backlog}
        sites: list[BaseSite] = []
        if host is not None:
            for one_host in [host] if isinstance(host, str) else list(host):
                sites.append(
                    TCPSite(
                        runner,
                        one_host,
                        port,
                        reuse_address=reuse_address,
                        reuse_port=reuse_port,
                        **site_args,
                    )
                )
        elif (path is None and sock is None) or port is not None:
            sites.append(
                TCPSite(
                    runner,
                    port=port,
                    reuse_address=reuse_address,
                    reuse_port=reuse_port,
                    **site_args,
                )
            )
        if path is not None:
            for one_path in [path] if isinstance(path, str) else list(path):
                sites.append(UnixSite(runner, one_path, **site_args))
        if sock is not None:
            for one_sock in [sock] if isinstance(sock, socket.socket) else list(sock):
                sites.append(SockSite(runner, one_sock, **site_args))
        for site in sites:
            await site.start()
        if print is not None:
            names = sorted(site.name for site in runner.sites)
            print(f"======== Running on {', '.join(names)} ========\n(Press CTRL+C to quit)")
        while True:
            await asyncio.sleep(3600)
    finally:
        await runner.cleanup()


def _cancel_tasks(tasks: set[asyncio.Task[Any]], loop: asyncio.AbstractEventLoop) -> None:
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    for task in tasks:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during run_app() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )
