"""``run_app(app, workers=N)``: one application served by N processes on one port.

The calling process becomes a small supervisor: it binds the listening addresses,
forks N workers that each run :func:`~heron.web.run_app` on their own event loop,
restarts a worker that dies (with an exponential back-off, so that an app crashing
at startup does not fork in a tight loop), and on SIGINT/SIGTERM asks every worker
to shut down gracefully (SIGTERM: stop accepting, let requests in progress finish
within ``shutdown_timeout``), then returns. A second SIGINT/SIGTERM kills the
workers at once.

How the port is shared:

* ``SO_REUSEPORT`` (the default on Linux): every worker binds and listens on its
  own socket and the kernel spreads new connections evenly over them. The
  supervisor keeps a bound but not listening socket, so the port stays reserved
  (also a port chosen by the OS for ``port=0``) while a worker restarts, and it
  never receives a connection itself.
* A shared socket (``reuse_port=False``, other platforms, Unix sockets, or
  ``sock=``): the supervisor binds and listens, the workers inherit the socket
  through ``fork()`` and all accept from it. Balance is up to the kernel's
  wake-ups and is usually less even.

Workers are forked, so the application object is inherited as it is; it is started
(``on_startup``) in every worker, never in the supervisor. POSIX only (``os.fork``).
Each worker runs in its own process group, so a terminal's Ctrl+C reaches only the
supervisor, which forwards one SIGTERM; a worker whose supervisor disappears shuts
itself down.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import os
import select
import signal
import socket
import ssl
import stat
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from yarl import URL

__all__ = ("run_workers",)

logger: Final = logging.getLogger("aiohttp.web")

_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD)
_STABLE_AFTER: Final = 10.0  # seconds a worker must live for its crash count to reset
_FIRST_BACKOFF: Final = 0.1
_MAX_BACKOFF: Final = 10.0
_KILL_GRACE: Final = 5.0  # extra seconds after shutdown_timeout before SIGKILL


@dataclass
class _Listeners:
    """What the workers listen on: inherited sockets and/or addresses to bind."""

    shared: list[socket.socket] = field(default_factory=list)
    reserved: list[socket.socket] = field(default_factory=list)  # reuse-port mode
    names: list[str] = field(default_factory=list)
    unix_paths: list[str] = field(default_factory=list)
    reuse_address: bool = True

    def for_worker(self) -> list[socket.socket]:
        """The sockets a freshly forked worker serves."""
        socks = list(self.shared)
        for reserved in self.reserved:
            sock = socket.socket(reserved.family, socket.SOCK_STREAM)
            try:
                _set_reuse(sock, self.reuse_address, reuse_port=True)
                sock.bind(reserved.getsockname())
            except BaseException:
                sock.close()
                raise
            socks.append(sock)
        for reserved in self.reserved:
            reserved.close()  # the worker has its own; only the supervisor holds these
        return socks

    def close(self) -> None:
        for sock in [*self.shared, *self.reserved]:
            sock.close()
        for path in self.unix_paths:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _set_reuse(sock: socket.socket, reuse_address: bool, *, reuse_port: bool) -> None:
    if reuse_address:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if sock.family == socket.AF_INET6:
        # As asyncio does: an IPv6 socket does not also take the IPv4 port.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)


def _default_reuse_port() -> bool:
    # Only Linux (and Dragonfly) balance connections over SO_REUSEPORT sockets; on
    # macOS and the BSDs the last socket bound would get them all.
    return hasattr(socket, "SO_REUSEPORT") and sys.platform.startswith("linux")


def _bind_tcp(
    listeners: _Listeners,
    hosts: list[str | None],
    port: int,
    *,
    backlog: int,
    reuse_port: bool,
    scheme: str,
) -> None:
    addresses: list[tuple[socket.AddressFamily, Any]] = []
    for host in hosts:
        for family, _, _, _, addr in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            if (family, addr) not in addresses:
                addresses.append((family, addr))
    for address_family, addr in addresses:
        sock = socket.socket(address_family, socket.SOCK_STREAM)
        try:
            _set_reuse(sock, listeners.reuse_address, reuse_port=reuse_port)
            if port == 0 and (listeners.shared or listeners.reserved):
                # Port 0: every address gets the port the OS chose for the first one.
                addr = (addr[0], _bound_port(listeners), *addr[2:])
            sock.bind(addr)
            if not reuse_port:
                sock.listen(backlog)
        except BaseException:
            sock.close()
            raise
        (listeners.reserved if reuse_port else listeners.shared).append(sock)
        bound_host, bound_port = sock.getsockname()[:2]
        listeners.names.append(str(URL.build(scheme=scheme, host=bound_host, port=bound_port)))


def _bound_port(listeners: _Listeners) -> int:
    first = (listeners.reserved or listeners.shared)[0]
    port: int = first.getsockname()[1]
    return port


def _bind_unix(listeners: _Listeners, path: str, *, backlog: int, scheme: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(os.stat(path).st_mode):
            os.unlink(path)  # a stale socket from a previous run
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    listeners.shared.append(sock)
    listeners.unix_paths.append(path)
    listeners.names.append(f"{scheme}://unix:{path}:")


def _as_list(value: Any, kind: type) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, kind) else list(value)


def _bind_all(
    *,
    host: str | Iterable[str] | None,
    port: int | None,
    path: str | Iterable[str] | None,
    sock: socket.socket | Iterable[socket.socket] | None,
    backlog: int,
    reuse_address: bool | None,
    reuse_port: bool | None,
    ssl_context: ssl.SSLContext | None,
) -> _Listeners:
    """Bind what ``run_app`` would listen on, the same defaults included."""
    scheme = "https" if ssl_context is not None else "http"
    listeners = _Listeners(reuse_address=reuse_address is not False)
    try:
        hosts: list[str | None] = _as_list(host, str)
        if host is not None or (path is None and sock is None) or port is not None:
            if port is None:
                port = 8443 if ssl_context is not None else 8080
            use_reuse_port = _default_reuse_port() if reuse_port is None else reuse_port
            _bind_tcp(
                listeners,
                hosts or [None],
                port,
                backlog=backlog,
                reuse_port=use_reuse_port,
                scheme=scheme,
            )
        for one_path in _as_list(path, str):
            _bind_unix(listeners, one_path, backlog=backlog, scheme=scheme)
        for one_sock in _as_list(sock, socket.socket):
            listeners.shared.append(one_sock)
            name = one_sock.getsockname()
            if isinstance(name, tuple):
                listeners.names.append(str(URL.build(scheme=scheme, host=name[0], port=name[1])))
            else:
                listeners.names.append(f"{scheme}://unix:{name}:")
    except BaseException:
        listeners.close()
        raise
    return listeners


@dataclass
class _Slot:
    """One worker position: the process in it and its crash history."""

    index: int
    pid: int | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


class _Supervisor:
    """Forks the workers, restarts them, stops them; runs in the calling process."""

    def __init__(
        self,
        start_worker: Callable[[list[socket.socket]], None],
        workers: int,
        listeners: _Listeners,
        shutdown_timeout: float,
    ) -> None:
        self._start_worker = start_worker
        self._slots = [_Slot(index) for index in range(workers)]
        self._listeners = listeners
        self._shutdown_timeout = shutdown_timeout
        self._stop_requests = 0
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    # -- signals: recorded by tiny handlers, acted upon by the main loop ----------------

    def _on_signal(self, signum: int, frame: object) -> None:
        if signum in (signal.SIGINT, signal.SIGTERM):
            self._stop_requests += 1

    def _wait(self, timeout: float) -> None:
        """Sleep until a signal arrives (the wakeup fd) or ``timeout`` passes."""
        with contextlib.suppress(InterruptedError):
            select.select([self._wake_r], [], [], max(0.0, timeout))
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 512):
                pass

    def run(self) -> None:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _SIGNALS}
        previous_fd = signal.set_wakeup_fd(self._wake_w)
        try:
            now = time.monotonic()
            for slot in self._slots:
                slot.restart_at = now
            self._supervise()
            self._stop_all()
        finally:
            self._kill_all(signal.SIGKILL)
            signal.set_wakeup_fd(previous_fd)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _supervise(self) -> None:
        while not self._stop_requests:
            self._reap()
            now = time.monotonic()
            for slot in self._slots:
                if slot.pid is None and slot.restart_at is not None and slot.restart_at <= now:
                    self._spawn(slot)
            due = [s.restart_at for s in self._slots if s.pid is None and s.restart_at]
            self._wait(min([1.0, *(t - time.monotonic() for t in due)]))

    # -- worker processes ------------------------------------------------------------------

    def _spawn(self, slot: _Slot) -> None:
        # Block our signals across fork() so the child cannot run the supervisor's
        # handlers before it installed its own.
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                self._worker_main(old_mask)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        slot.pid, slot.started, slot.restart_at = pid, time.monotonic(), None

    def _worker_main(self, old_mask: Iterable[int]) -> NoReturn:
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for sig in _SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            os.close(self._wake_r)
            os.close(self._wake_w)
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
            os.setpgid(0, 0)  # a terminal's Ctrl+C goes to the supervisor only
            _watch_parent(os.getppid())
            self._start_worker(self._listeners.for_worker())
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            for slot in self._slots:
                if slot.pid == pid:
                    self._worker_exited(slot, os.waitstatus_to_exitcode(status))

    def _worker_exited(self, slot: _Slot, code: int) -> None:
        slot.pid = None
        if self._stop_requests:
            return
        now = time.monotonic()
        if now - slot.started >= _STABLE_AFTER:
            slot.failures = 0
        slot.failures += 1
        delay = min(_MAX_BACKOFF, _FIRST_BACKOFF * 2 ** (slot.failures - 1))
        slot.restart_at = now + delay
        how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        logger.warning("Worker %d %s; restarting it in %.1f s", slot.index, how, delay)

    def _kill_all(self, sig: int) -> None:
        for slot in self._slots:
            if slot.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(slot.pid, sig)
        if sig == signal.SIGKILL:
            for slot in self._slots:
                if slot.pid is not None:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(slot.pid, 0)
                    slot.pid = None

    def _stop_all(self) -> None:
        """Graceful shutdown: SIGTERM, wait, and SIGKILL whatever is left."""
        self._kill_all(signal.SIGTERM)
        stops = self._stop_requests
        deadline = time.monotonic() + self._shutdown_timeout + _KILL_GRACE
        while any(slot.pid is not None for slot in self._slots):
            self._reap()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop_requests > stops:
                logger.warning("Workers did not stop in time (or a second signal): killing")
                return  # run() sends SIGKILL
            self._wait(min(0.5, remaining))


def _watch_parent(parent: int) -> None:
    """In a worker: shut down gracefully if the supervisor disappears."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        with contextlib.suppress(ProcessLookupError):
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="heron-parent-watch", daemon=True).start()


def _check_arguments(workers: Any, loop: Any) -> None:
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if loop is not None:
        raise ValueError("run_app(workers=N) starts one event loop per process; drop loop=")
    if not hasattr(os, "fork"):  # pragma: no cover - Windows
        raise RuntimeError("run_app(workers=N) needs os.fork(); use one process per core")


def run_workers(
    app: Any,
    workers: int,
    *,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | Iterable[str] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    shutdown_timeout: float = 60.0,
    ssl_context: ssl.SSLContext | None = None,
    print: Callable[..., None] | None = print,
    backlog: int = 128,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    loop: Any = None,
    **run_app_kwargs: Any,
) -> None:
    """Serve ``app`` with ``workers`` processes until SIGINT/SIGTERM (see the module doc).

    Takes :func:`~heron.web.run_app`'s arguments; the other keyword arguments
    (``keepalive_timeout``, ``access_log``, ``use_uvloop``, ...) go to ``run_app`` in
    each worker. Workers always handle SIGINT/SIGTERM (that is how they are stopped).
    """
    _check_arguments(workers, loop)
    run_app_kwargs.pop("handle_signals", None)
    listeners = _bind_all(
        host=host,
        port=port,
        path=path,
        sock=sock,
        backlog=backlog,
        reuse_address=reuse_address,
        reuse_port=reuse_port,
        ssl_context=ssl_context,
    )

    def start_worker(socks: list[socket.socket]) -> None:
        from .run_app import run_app

        run_app(
            app,
            sock=socks,
            shutdown_timeout=shutdown_timeout,
            ssl_context=ssl_context,
            print=None,
            backlog=backlog,
            handle_signals=True,
            **run_app_kwargs,
        )

    try:
        if print is not None:
            names = ", ".join(sorted(listeners.names))
            print(
                f"======== Running on {names} with {workers} worker processes ========\n"
                "(Press CTRL+C to quit)"
            )
        _Supervisor(start_worker, workers, listeners, shutdown_timeout).run()
    finally:
        listeners.close()
        if inspect.iscoroutine(app):
            app.close()  # each worker awaited its own copy
