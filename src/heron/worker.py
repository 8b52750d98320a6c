"""gunicorn worker classes: serve a heron application under gunicorn's process manager.

::

    gunicorn mymodule:app --bind 127.0.0.1:8080 --workers 4 \\
        --worker-class heron.worker.GunicornWebWorker

``mymodule:app`` may be an :class:`~heron.web.Application`, an app factory (a
coroutine function, or a plain function taking no arguments, returning an
Application), a low-level :class:`~heron.web.Server`, or a plain WSGI callable (a
Flask app, served through :class:`~heron.web.wsgi.WSGIHandler`).

gunicorn's settings are honoured: ``bind`` (gunicorn's listening sockets are served
with :class:`~heron.web.SockSite`), ``workers``, ``timeout`` (the worker notifies the
arbiter at least every second, also while shutting down), ``graceful_timeout`` (95 %
of it becomes the runner's ``shutdown_timeout``, so the worker finishes before the
arbiter kills it), ``max_requests`` and ``max_requests_jitter`` (the worker exits
gracefully after that many requests and gunicorn starts a fresh one), ``keepalive``
(``keepalive_timeout``), ``accesslog``/``access_log_format`` (see
:class:`GunicornAccessLogger`) and the SSL settings (``certfile``, ``keyfile``,
``ca_certs``, ``cert_reqs``, ``ciphers`` and gunicorn's ``ssl_context`` hook).

Signals, as gunicorn defines them for workers: SIGTERM is a graceful shutdown (stop
accepting, let requests in progress finish within the graceful timeout); SIGINT and
SIGQUIT a quick one (requests in progress are cancelled at once, then the
application's cleanup runs); SIGUSR1 reopens the log files; SIGABRT (sent by the
arbiter to a worker that stopped notifying) exits at once with status 1; SIGWINCH is
ignored.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import inspect
import os
import signal
import ssl
import sys
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any, ClassVar, Final

from gunicorn.workers import base  # type: ignore[import-untyped]

from . import hdrs
from .web.app import Application
from .web.log import AbstractAccessLogger, AccessLogger
from .web.request import BaseRequest
from .web.response import StreamResponse
from .web.runner import AppRunner, BaseRunner, ServerRunner, SockSite
from .web.server import Server
from .web.wsgi import wsgi_app

__all__ = ("GunicornAccessLogger", "GunicornUVLoopWebWorker", "GunicornWebWorker")

WORKER_BOOT_ERROR: Final = 3  # gunicorn's arbiter halts on this exit status

GUNICORN_DEFAULT_LOG_FORMAT: Final = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class GunicornWebWorker(base.Worker):  # type: ignore[misc]
    """A gunicorn worker running one heron application on an asyncio event loop."""

    DEFAULT_AIOHTTP_LOG_FORMAT: ClassVar[str] = AccessLogger.LOG_FORMAT
    DEFAULT_GUNICORN_LOG_FORMAT: ClassVar[str] = GUNICORN_DEFAULT_LOG_FORMAT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.alive: bool = True
        self.exit_code = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._quick = False
        self._serving = False
        self._wakeup: asyncio.Event | None = None

    # -- process life ------------------------------------------------------------------

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """The worker's event loop (a plain asyncio loop here)."""
        return asyncio.new_event_loop()

    def init_process(self) -> None:
        """Create the event loop, then let gunicorn load the app and call :meth:`run`."""
        self.loop = self.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def run(self) -> None:
        """Serve until told to stop, then exit the process with :attr:`exit_code`."""
        loop = self.loop
        assert loop is not None
        try:
            loop.run_until_complete(self._serve())
        except Exception:
            self.log.exception("heron worker failed")
            # An app that cannot start (on_startup failed) is a boot error: gunicorn
            # then stops instead of re-forking it in a tight loop.
            self.exit_code = 1 if self._serving else WORKER_BOOT_ERROR
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
        sys.exit(self.exit_code)

    async def _serve(self) -> None:
        self._wakeup = asyncio.Event()
        self._install_loop_signals()
        notifier = asyncio.create_task(self._keep_notifying())
        try:
            runner = await self._make_runner()
            await runner.setup()
            try:
                ssl_context = make_ssl_context(self.cfg) if self.cfg.is_ssl else None
                for sock in self.sockets:
                    # gunicorn wraps its sockets; asyncio needs the real one.
                    raw = getattr(sock, "sock", sock)
                    site = SockSite(runner, raw, ssl_context=ssl_context, backlog=self.cfg.backlog)
                    await site.start()
                self._serving = True
                if runner.server is not None and self.max_requests < sys.maxsize:
                    self._count_requests(runner.server)
                await self._wait_for_stop(runner.server)
            finally:
                if self._quick and runner.server is not None:
                    await _cancel_requests(runner)
                await runner.cleanup()
        finally:
            notifier.cancel()

    def _count_requests(self, server: Server) -> None:
        """Stop right after the ``max_requests``-th request, not at the next poll."""
        handler = server.request_handler

        async def counting_handler(request: BaseRequest) -> StreamResponse:
            try:
                return await handler(request)
            finally:
                if self.alive and server.requests_count >= self.max_requests:
                    self.alive = False
                    self.log.info("Max requests, shutting down: %s", self)
                    self._wake()

        server.request_handler = counting_handler

    async def _keep_notifying(self) -> None:
        """Tell the arbiter we are alive, also during a long graceful shutdown."""
        interval = min(1.0, self.timeout / 2) if self.timeout else 1.0
        while True:
            self.notify()
            await asyncio.sleep(interval)

    async def _wait_for_stop(self, server: Server | None) -> None:
        assert self._wakeup is not None
        while self.alive:
            if server is not None and server.requests_count >= self.max_requests:
                self.alive = False
                self.log.info("Max requests, shutting down: %s", self)
            elif self.ppid != os.getppid():
                self.alive = False
                self.log.info("Parent changed, shutting down: %s", self)
            else:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), 1.0)
                except TimeoutError:
                    pass

    # -- the application ---------------------------------------------------------------

    async def _make_runner(self) -> BaseRunner:
        target = await _resolve_app(self.wsgi, multiprocess=self.cfg.workers > 1)
        if isinstance(target, Server):
            return ServerRunner(target, shutdown_timeout=self._shutdown_timeout())
        access_log = self.log.access_log if _access_log_enabled(self) else None
        log_format = self.cfg.access_log_format
        log_class: type[AbstractAccessLogger] = AccessLogger
        if "%(" in log_format:
            log_class = GunicornAccessLogger
        return AppRunner(
            target,
            logger=self.log.error_log,
            keepalive_timeout=self.cfg.keepalive,
            access_log=access_log,
            access_log_class=log_class,
            access_log_format=log_format,
            shutdown_timeout=self._shutdown_timeout(),
        )

    def _shutdown_timeout(self) -> float:
        # Finish a little before gunicorn's graceful timeout, after which it kills us.
        return float(self.cfg.graceful_timeout) / 100 * 95

    # -- signals -------------------------------------------------------------------------

    def _signal_handlers(self) -> dict[int, Callable[[int, FrameType | None], None]]:
        return {
            signal.SIGQUIT: self.handle_quit,
            signal.SIGTERM: self.handle_exit,
            signal.SIGINT: self.handle_quit,
            signal.SIGWINCH: self.handle_winch,
            signal.SIGUSR1: self.handle_usr1,
            signal.SIGABRT: self.handle_abort,
        }

    def init_signals(self) -> None:
        """Until the loop runs (the app is still loading): handlers that record the request.

        Signal handlers registered on a loop that is not running yet may not fire
        (uvloop only listens while it runs), so plain handlers cover the start-up and
        :meth:`_install_loop_signals` takes over once the loop runs.
        """
        for sig in self.SIGNALS:
            signal.signal(sig, signal.SIG_DFL)
        for sig, handler in self._signal_handlers().items():
            signal.signal(sig, handler)
        signal.siginterrupt(signal.SIGTERM, False)
        signal.siginterrupt(signal.SIGUSR1, False)

    def _install_loop_signals(self) -> None:
        """Handle the signals on the running loop, never in the middle of a callback."""
        loop = asyncio.get_running_loop()
        for sig, handler in self._signal_handlers().items():
            loop.add_signal_handler(sig, handler, sig, None)

    def _wake(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """SIGTERM: graceful shutdown."""
        self.alive = False
        self._wake()

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        """SIGINT/SIGQUIT: quick shutdown (requests in progress are cancelled)."""
        self.alive = False
        self._quick = True
        self.cfg.worker_int(self)
        self._wake()

    def handle_abort(self, sig: int, frame: FrameType | None) -> None:
        """SIGABRT: the arbiter gave up on us; exit now with status 1."""
        self.alive = False
        self.exit_code = 1
        self.cfg.worker_abort(self)
        sys.exit(1)


class GunicornUVLoopWebWorker(GunicornWebWorker):
    """:class:`GunicornWebWorker` on a uvloop event loop (``pip install uvloop``)."""

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """A uvloop event loop."""
        import uvloop

        loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        return loop


async def _cancel_requests(runner: BaseRunner) -> None:
    """Quick shutdown: stop listening and cancel requests in progress right away."""
    for site in list(runner.sites):
        await site.stop()
    server = runner.server
    if server is not None:
        server.pre_shutdown()
        await server.shutdown(0.0)


def _access_log_enabled(worker: GunicornWebWorker) -> bool:
    enabled = getattr(worker.log, "access_log_enabled", None)
    if isinstance(enabled, bool):
        return enabled
    return bool(worker.cfg.accesslog)


async def _resolve_app(target: Any, *, multiprocess: bool) -> Application | Server:
    """What gunicorn loaded (``self.wsgi``) as something a runner can serve."""
    if isinstance(target, (Application, Server)):
        return target
    if inspect.isawaitable(target):
        return await _resolve_app(await target, multiprocess=multiprocess)
    if callable(target):
        if _takes_no_arguments(target):
            # An app factory: ``async def create_app()`` or ``def create_app()``.
            return await _resolve_app(target(), multiprocess=multiprocess)
        # Anything else callable is taken for a WSGI application (environ, start_response).
        return wsgi_app(target, multiprocess=multiprocess)
    raise TypeError(
        "heron's gunicorn worker needs an Application, an app factory, a Server or a "
        f"WSGI callable, got {target!r}"
    )


def _takes_no_arguments(func: Any) -> bool:
    try:
        inspect.signature(func).bind()
    except TypeError:
        return False
    except ValueError:  # no signature (a builtin): not a factory we know how to call
        return False
    return True


def make_ssl_context(cfg: Any) -> ssl.SSLContext:
    """An SSL context from gunicorn's settings (through its ``ssl_context`` hook, if any).

    Uses ``certfile``/``keyfile``, ``ca_certs`` (to verify client certificates),
    ``cert_reqs`` (``ssl.CERT_NONE``/``OPTIONAL``/``REQUIRED``) and ``ciphers``.
    """

    def default_ssl_context_factory() -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=cfg.ca_certs)
        context.load_cert_chain(cfg.certfile, cfg.keyfile)
        context.verify_mode = ssl.VerifyMode(cfg.cert_reqs)
        if cfg.ciphers:
            context.set_ciphers(cfg.ciphers)
        return context

    if "ssl_context" in getattr(cfg, "settings", {}):  # gunicorn >= 21
        context = cfg.ssl_context(cfg, default_ssl_context_factory)
        if not isinstance(context, ssl.SSLContext):
            raise TypeError(f"gunicorn's ssl_context hook returned {context!r}")
        return context
    return default_ssl_context_factory()


class GunicornAccessLogger(AbstractAccessLogger):
    """An access logger that understands gunicorn's ``access_log_format``.

    gunicorn formats are ``%(name)s`` templates over a dict of "atoms"; this logger
    offers all of gunicorn's atoms (``h l u t r m U q H s B b f a T M D L p`` and
    ``{header}i``, ``{header}o``, ``{variable}e``), computed lazily, and unknown ones
    print ``-`` as in gunicorn. The line goes to the ``access_log`` logger given to
    the server (gunicorn's ``gunicorn.access`` under the worker).
    """

    __slots__ = ()

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Emit one access-log line (never raises into the server)."""
        try:
            self.logger.info(self.log_format, _Atoms(request, response, time))
        except Exception:
            self.logger.exception("Error in logging")


class _Atoms(Mapping[str, object]):
    """gunicorn's access-log atoms for one request, computed on demand."""

    def __init__(self, request: BaseRequest, response: StreamResponse, elapsed: float) -> None:
        self._request = request
        self._response = response
        self._elapsed = elapsed

    def __getitem__(self, key: str) -> object:
        if key.startswith("{") and len(key) > 3 and key[-2] == "}":
            name, kind = key[1:-2], key[-1]
            if kind == "i":
                return self._request.headers.get(name, "-")
            if kind == "o":
                return self._response.headers.get(name, "-")
            if kind == "e":
                return os.environ.get(name.upper(), os.environ.get(name, "-"))
            return "-"
        atom = _ATOMS.get(key)
        if atom is None:
            return "-"
        return atom(self._request, self._response, self._elapsed)

    def __iter__(self) -> Iterator[str]:
        return iter(_ATOMS)

    def __len__(self) -> int:
        return len(_ATOMS)


def _version(request: BaseRequest) -> str:
    return f"HTTP/{request.version[0]}.{request.version[1]}"


def _user(request: BaseRequest) -> str:
    auth = request.headers.get(hdrs.AUTHORIZATION, "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "basic":
        return "-"
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "-"
    return decoded.partition(":")[0] or "-"


def _now_clf() -> str:
    return datetime.datetime.now().astimezone().strftime("[%d/%b/%Y:%H:%M:%S %z]")


def _query(request: BaseRequest) -> str:
    return request.rel_url.raw_query_string


_Atom = Callable[[BaseRequest, StreamResponse, float], object]

_ATOMS: Final[dict[str, _Atom]] = {
    "h": lambda req, resp, t: req.remote or "-",
    "l": lambda req, resp, t: "-",
    "u": lambda req, resp, t: _user(req),
    "t": lambda req, resp, t: _now_clf(),
    "r": lambda req, resp, t: f"{req.method} {req.raw_path} {_version(req)}",
    "s": lambda req, resp, t: resp.status,
    "m": lambda req, resp, t: req.method,
    "U": lambda req, resp, t: req.path,
    "q": lambda req, resp, t: _query(req),
    "H": lambda req, resp, t: _version(req),
    "b": lambda req, resp, t: str(resp.body_length) if resp.body_length else "-",
    "B": lambda req, resp, t: resp.body_length,
    "f": lambda req, resp, t: req.headers.get(hdrs.REFERER, "-"),
    "a": lambda req, resp, t: req.headers.get(hdrs.USER_AGENT, "-"),
    "T": lambda req, resp, t: int(t),
    "M": lambda req, resp, t: int(t * 1000),
    "D": lambda req, resp, t: int(t * 1_000_000),
    "L": lambda req, resp, t: f"{t:.6f}",
    "p": lambda req, resp, t: f"<{os.getpid()}>",
}
