"""Serve a WSGI application (Flask, Django, ...) on heron's asyncio server.

:class:`WSGIHandler` turns a PEP 3333 callable into a heron handler::

    from heron import web
    from heron.web import WSGIHandler

    app = web.Application()
    app.router.add_route("*", "/legacy/{path_info:.*}", WSGIHandler(flask_app))

or :func:`wsgi_app` wraps it in a whole :class:`~heron.web.Application` that can be
served alone or mounted under a prefix::

    root.add_subapp("/flask", web.wsgi_app(flask_app))

The WSGI callable runs in a thread pool (the loop's default executor unless
``executor=`` is given), so a slow or blocking application never stalls the event
loop. The worker thread talks back to the loop for everything that touches the
connection: ``wsgi.input`` reads the request body from ``request.content`` and every
body chunk the application yields is written as soon as it is produced, with the
thread waiting for the write (that is the back-pressure). ``SCRIPT_NAME`` is the
part of the path before the route's ``{path_info}`` placeholder; ``PATH_INFO`` the
rest, percent-decoded to bytes and carried as latin-1 text as PEP 3333 (and
gunicorn, werkzeug) do.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Final, TypeVar
from urllib.parse import unquote_to_bytes
from wsgiref.types import WSGIApplication, WSGIEnvironment

from .. import hdrs
from .response import StreamResponse

if TYPE_CHECKING:
    from types import TracebackType

    from .app import Application
    from .request import BaseRequest

__all__ = ("WSGIHandler", "WSGIInput", "wsgi_app")

_T = TypeVar("_T")

_ExcInfo = tuple[type[BaseException], BaseException, "TracebackType"] | tuple[None, None, None]

# RFC 9110 §7.6.1 connection-specific fields: the server owns the connection, so a
# WSGI application may not set them (PEP 3333). Like gunicorn, drop them instead of
# failing the request; ``Connection: close`` is honoured by closing after the response.
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)

_PLACEHOLDER: Final = "path_info"


def _latin1(raw: str) -> str:
    """Percent-decode ``raw`` to bytes and carry them as latin-1 text (PEP 3333)."""
    return unquote_to_bytes(raw).decode("latin-1")


def _to_wire(value: str, what: str) -> str:
    """A latin-1 WSGI string as the text heron encodes back to the same bytes."""
    try:
        return value.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise ValueError(f"{what} must be latin-1 text: {value!r}") from None


def _parse_status(status: object) -> tuple[int, str | None]:
    if not isinstance(status, str):
        raise TypeError(f"status must be a str, got {status!r}")
    code = status[:3]
    if len(code) != 3 or not code.isdigit() or status[3:4] not in ("", " "):
        raise ValueError(f"status must look like '200 OK', got {status!r}")
    return int(code), _to_wire(status[4:], "status") or None


class _Exchange:
    """One request's state, shared by the loop (sending) and the worker thread (the app).

    The thread never touches the transport: it hands coroutines to the loop with
    :func:`asyncio.run_coroutine_threadsafe` and waits for them. When the request is
    abandoned (client gone, server shutting down) :meth:`abort` cancels the call the
    thread waits for, so the thread unwinds instead of waiting forever.
    """

    def __init__(self, request: BaseRequest, loop: asyncio.AbstractEventLoop) -> None:
        self.request = request
        self.loop = loop
        self.status: tuple[int, str | None] | None = None
        self.headers: list[tuple[str, str]] = []
        self.close_connection = False
        self.response: StreamResponse | None = None
        self._aborted = False
        self._current: concurrent.futures.Future[Any] | None = None

    def is_aborted(self) -> bool:
        """True once the loop gave up on the request."""
        return self._aborted

    # -- worker thread side --------------------------------------------------------------

    def call(self, coro: Coroutine[Any, Any, _T]) -> _T:
        """Run ``coro`` on the loop and wait for its result (called from the thread)."""
        if self.is_aborted():
            coro.close()
            raise ConnectionResetError("The request was abandoned")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        self._current = future
        if self.is_aborted():  # abort() ran (in the loop's thread) since the check above
            future.cancel()
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise ConnectionResetError("The request was abandoned") from None
        finally:
            self._current = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: _ExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        """PEP 3333 ``start_response``; returns the legacy ``write(data)`` callable."""
        if exc_info is not None and exc_info[1] is not None:
            try:
                if self.response is not None:
                    # Too late to change the status: PEP 3333 says re-raise.
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # break the frame <-> traceback cycle
        elif self.status is not None:
            raise RuntimeError("start_response() was already called (pass exc_info)")
        parsed = _parse_status(status)
        wire_headers: list[tuple[str, str]] = []
        close = False
        for name, value in headers:
            if not isinstance(name, str) or not isinstance(value, str):
                raise TypeError(f"header names and values must be str: {(name, value)!r}")
            lname = name.lower()
            if lname in _HOP_BY_HOP:
                close = close or (lname == "connection" and "close" in value.lower())
                continue
            wire_headers.append((_to_wire(name, "header name"), _to_wire(value, "header value")))
        self.status, self.headers, self.close_connection = parsed, wire_headers, close
        return self.write

    def write(self, data: bytes) -> None:
        """Legacy imperative ``write(data)``: send ``data`` now."""
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"WSGI body data must be bytes, got {type(data).__name__}")
        if data:
            self.call(self._send(bytes(data)))

    def run(self, app: WSGIApplication, environ: WSGIEnvironment) -> list[bytes] | None:
        """Call the app and send what it yields; a list result is returned unsent."""
        result = app(environ, self.start_response)
        try:
            if isinstance(result, (list, tuple)) and self.response is None:
                # The whole body is already here: let the loop send it in one go.
                for chunk in result:
                    if not isinstance(chunk, (bytes, bytearray)):
                        raise TypeError(f"WSGI body data must be bytes, got {type(chunk)}")
                return [bytes(chunk) for chunk in result]
            for chunk in result:
                self.write(chunk)
            return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    # -- loop side -----------------------------------------------------------------------

    def abort(self) -> None:
        """Make the thread's current and future calls into the loop fail."""
        self._aborted = True
        future = self._current
        if future is not None:
            future.cancel()

    async def _prepare(self) -> StreamResponse:
        if self.status is None:
            raise RuntimeError("The WSGI application did not call start_response()")
        code, reason = self.status
        response = StreamResponse(status=code, reason=reason)
        for name, value in self.headers:
            response.headers.add(name, value)
        if self.close_connection:
            response.force_close()
        self.response = response
        await response.prepare(self.request)
        return response

    async def _send(self, data: bytes) -> None:
        response = self.response
        if response is None:
            response = await self._prepare()
        await response.write(data)

    async def finish(self, chunks: list[bytes] | None) -> StreamResponse:
        """Send what is left (a whole list body, or just the end) and return the response."""
        response = self.response
        body = b"".join(chunks) if chunks else b""
        if response is None:
            if (
                chunks is not None
                and self.request.method != hdrs.METH_HEAD
                and not any(name.lower() == "content-length" for name, _ in self.headers)
            ):
                # A whole body without a length: send it with one rather than chunked.
                self.headers.append((hdrs.CONTENT_LENGTH, str(len(body))))
            response = await self._prepare()
        if body:
            await response.write(body)
        await response.write_eof()
        expected = response.content_length
        if expected is not None and response.body_length < expected:
            # The app promised more than it sent: the client must not wait for the rest.
            transport = self.request.transport
            if transport is not None and self.request.method != hdrs.METH_HEAD:
                transport.close()
        return response


class WSGIInput(io.RawIOBase):
    """``wsgi.input``: a blocking file over the request body, read from the worker thread.

    Reads ``request.content`` on the event loop, one chunk at a time, as the
    application asks for data; nothing is buffered ahead of the application.
    """

    def __init__(self, exchange: _Exchange) -> None:
        super().__init__()
        self._exchange = exchange
        self._buffer = bytearray()
        self._eof = False

    def readable(self) -> bool:
        """Always True."""
        return True

    async def _next_chunk(self) -> bytes:
        # ``request.content`` is touched only now, so 100-continue goes out only
        # when the application really reads the body.
        return await self._exchange.request.content.readany()

    def _fill(self) -> None:
        chunk = self._exchange.call(self._next_chunk())
        if chunk:
            self._buffer += chunk
        else:
            self._eof = True

    def _take(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Read ``size`` bytes (fewer only at the end of the body); all if negative."""
        if size is None or size < 0:
            while not self._eof:
                self._fill()
            return self._take(len(self._buffer))
        while len(self._buffer) < size and not self._eof:
            self._fill()
        return self._take(size)

    def readinto(self, buffer: Any) -> int:
        """Read into a writable buffer; return the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line (with its ``\\n``), at most ``size`` bytes if given."""
        limit = -1 if size is None else size
        start = 0
        while True:
            end = self._buffer.find(b"\n", start)
            if end >= 0:
                length = end + 1
                break
            if self._eof or 0 <= limit <= len(self._buffer):
                length = len(self._buffer)
                break
            start = len(self._buffer)
            self._fill()
        return self._take(length if limit < 0 else min(length, limit))

    def readlines(self, hint: int = -1) -> list[bytes]:
        """Read lines until the end (or until ``hint`` bytes were read)."""
        lines: list[bytes] = []
        total = 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> WSGIInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class WSGIHandler:
    """A heron request handler that serves a PEP 3333 WSGI application.

    ``executor``: where the WSGI callable runs (the loop's default thread pool when
    None; one thread is busy for as long as a response streams). ``url_scheme``:
    ``wsgi.url_scheme`` (default: ``request.scheme``). ``multiprocess``: the
    ``wsgi.multiprocess`` flag (set it when running several worker processes).
    ``read_body_first``: read the whole body (limited by the app's
    ``client_max_size``) before calling the application and give it a seekable
    ``io.BytesIO`` as ``wsgi.input`` (the seeds' ``readpayload=True``). ``errors``:
    the ``wsgi.errors`` stream (``sys.stderr``).

    Add it on a route whose last placeholder is ``{path_info:.*}`` so that
    ``SCRIPT_NAME`` and ``PATH_INFO`` are split at the mount point; without the
    placeholder ``SCRIPT_NAME`` is empty and ``PATH_INFO`` the whole path.
    """

    def __init__(
        self,
        wsgi_app: WSGIApplication,
        *,
        executor: concurrent.futures.Executor | None = None,
        url_scheme: str | None = None,
        multiprocess: bool = False,
        read_body_first: bool = False,
        errors: Any = None,
    ) -> None:
        if not callable(wsgi_app):
            raise TypeError(f"wsgi_app must be a WSGI callable, got {wsgi_app!r}")
        self.wsgi_app = wsgi_app
        self._executor = executor
        self._url_scheme = url_scheme
        self._multiprocess = multiprocess
        self._read_body_first = read_body_first
        self._errors = errors

    async def __call__(self, request: BaseRequest) -> StreamResponse:
        """Serve one request: build the environ, run the app in a thread, stream back."""
        loop = asyncio.get_running_loop()
        exchange = _Exchange(request, loop)
        wsgi_input: io.RawIOBase | io.BytesIO
        content_length: str | None = None
        if self._read_body_first:
            body = await request.read()
            wsgi_input, content_length = io.BytesIO(body), str(len(body))
        else:
            wsgi_input = WSGIInput(exchange)
        environ = self.build_environ(request, wsgi_input)
        if content_length is not None:
            environ["CONTENT_LENGTH"] = content_length
        try:
            chunks = await loop.run_in_executor(
                self._executor, exchange.run, self.wsgi_app, environ
            )
        except BaseException:
            exchange.abort()
            raise
        return await exchange.finish(chunks)

    def build_environ(self, request: BaseRequest, wsgi_input: Any) -> WSGIEnvironment:
        """The PEP 3333 environ for ``request`` (``wsgi.input`` set to ``wsgi_input``)."""
        rel = request.rel_url
        script_name, path_info = _split_path(request, rel.raw_path)
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": script_name,
            "PATH_INFO": path_info,
            "QUERY_STRING": rel.raw_query_string,
            "RAW_URI": request.raw_path,
            "SERVER_PROTOCOL": f"HTTP/{request.version[0]}.{request.version[1]}",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self._url_scheme or request.scheme,
            "wsgi.input": wsgi_input,
            "wsgi.errors": self._errors if self._errors is not None else sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": self._multiprocess,
            "wsgi.run_once": False,
            # The body ends where the stream ends (chunked bodies too): werkzeug reads
            # a body without Content-Length only when told so.
            "wsgi.input_terminated": True,
            "heron.request": request,
        }
        environ["SERVER_NAME"], environ["SERVER_PORT"] = _server_address(request)
        peer = request.get_extra_info("peername")
        if isinstance(peer, (tuple, list)) and len(peer) >= 2:
            environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = str(peer[0]), str(peer[1])
        else:
            environ["REMOTE_ADDR"] = request.remote or ""
        _add_headers(environ, request.raw_headers)
        return environ


def _split_path(request: BaseRequest, raw_path: str) -> tuple[str, str]:
    """(SCRIPT_NAME, PATH_INFO): split where the route's ``{path_info}`` tail begins."""
    match_info = getattr(request, "match_info", None)
    tail = match_info.get(_PLACEHOLDER) if match_info is not None else None
    path = request.path
    if not isinstance(tail, str) or not path.endswith(tail):
        return "", _latin1(raw_path)
    prefix = path[: len(path) - len(tail)].rstrip("/")
    if not prefix:
        return "", _latin1(raw_path)
    # The prefix is the route's literal part: count its segments in the raw path so
    # that escapes in the tail (``%2F``, ``%20``) are decoded from what the client sent.
    cut = 0
    for _ in range(prefix.count("/")):
        cut = raw_path.find("/", cut + 1)
        if cut < 0:
            return _latin1(raw_path), ""
    return _latin1(raw_path[:cut]), _latin1(raw_path[cut:])


def _server_address(request: BaseRequest) -> tuple[str, str]:
    sockname = request.get_extra_info("sockname")
    if isinstance(sockname, (tuple, list)) and len(sockname) >= 2:
        return str(sockname[0]), str(sockname[1])
    # No TCP socket (a Unix socket): fall back to the Host header.
    host = request.host or "localhost"
    if host.startswith("["):  # an IPv6 literal, [::1]:8080
        end = host.find("]")
        name, rest = host[1:end], host[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.partition(":")
    return name, port or ("443" if request.secure else "80")


def _add_headers(environ: WSGIEnvironment, raw_headers: Iterable[tuple[bytes, bytes]]) -> None:
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").upper()
        if "_" in name:
            # ``X_Forwarded_For`` would land on the same key as ``X-Forwarded-For``:
            # drop it so a client cannot spoof what a proxy set (gunicorn does too).
            continue
        key = name.replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        value = raw_value.decode("latin-1")
        if key in environ:
            separator = "; " if key == "HTTP_COOKIE" else ","
            value = environ[key] + separator + value
        environ[key] = value


def wsgi_app(wsgi_callable: WSGIApplication, **kwargs: Any) -> Application:
    """An :class:`~heron.web.Application` that serves ``wsgi_callable`` for every path.

    Serve it alone (``web.run_app(web.wsgi_app(flask_app))``) or mount it:
    ``root.add_subapp("/flask", web.wsgi_app(flask_app))`` gives the WSGI app
    ``SCRIPT_NAME="/flask"``. Keyword arguments go to :class:`WSGIHandler`.
    """
    from .app import Application

    app = Application()
    app.router.add_route("*", "/{path_info:.*}", WSGIHandler(wsgi_callable, **kwargs))
    return app
