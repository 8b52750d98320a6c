"""``FileResponse``: send a file, with conditional requests, ranges and ``sendfile``.

What it does, in order (RFC 9110 §13.2.2 for the preconditions):

1. picks the representation: a pre-compressed sibling (``name.br``, ``name.gz``) when
   the client accepts that coding and the file exists, else the file itself;
2. evaluates ``If-Match`` / ``If-Unmodified-Since`` (412) and ``If-None-Match`` /
   ``If-Modified-Since`` (304);
3. applies ``Range`` for GET, honouring ``If-Range``: one range gives 206 with
   ``Content-Range``; several give a ``multipart/byteranges`` body; none satisfiable
   gives 416; a malformed header is ignored (the whole file is sent), as RFC 9110 says;
4. sends the bytes with ``os.sendfile`` into the socket (zero copy, on asyncio and
   uvloop alike: ``_sendfile.py``) when the connection is plain TCP and the body is not
   being compressed, else in ``chunk_size`` reads from a thread.

``AIOHTTP_NOSENDFILE=1`` or ``HERON_NOSENDFILE=1`` in the environment turn ``sendfile``
off. File-system work runs in the default executor so the loop never blocks on a slow
disk; the one exception is a file that :class:`~heron.web.StaticResource` served a
moment ago (its metadata is in the kernel's caches), which is opened inline because a
thread hand-off costs more than the ``open`` itself.
"""

from __future__ import annotations

import asyncio
import errno
import mimetypes
import os
import re
import secrets
import stat
import time
from collections.abc import Callable, Sequence
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from .. import hdrs
from ..typedefs import LooseHeaders
from ._sendfile import send_range, socket_fd
from .response import StreamResponse

if TYPE_CHECKING:
    from ..writer import AbstractStreamWriter
    from .request import BaseRequest

__all__ = ("FileResponse",)

_MAX_RANGES: Final = 16  # more parts than this: send the whole file instead
_ETAG_RE: Final = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
_RANGE_SPEC_RE: Final = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")
# Content types for files that are themselves compressed archives (``x.tar.gz``): the
# coding is the file's format, not a transfer coding the client should undo.
_ARCHIVE_TYPES: Final = {
    "gzip": "application/gzip",
    "br": "application/x-brotli",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
}
# Pre-compressed siblings, in order of preference.
_SIBLINGS: Final = (("br", ".br"), ("gzip", ".gz"))
# O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not a
# regular file); it changes nothing for reading a regular file.
_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

# Errors of a path that names no file we can send (a symlink loop, a name too long).
_NOT_FOUND_ERRNOS: Final = frozenset((errno.ELOOP, errno.ENAMETOOLONG))

# (fd, stat, served coding, has a pre-compressed sibling)
_Opened = tuple[int, os.stat_result, str | None, bool]


@lru_cache(maxsize=256)
def _http_date(mtime: float) -> str:
    # Cached: formatting a date costs more than everything else in the head.
    return formatdate(mtime, usegmt=True)


@lru_cache(maxsize=256)
def _guess_type(name: str, coding: str | None) -> str:
    ctype, file_coding = mimetypes.guess_type(name)
    if file_coding and coding is None:
        ctype = _ARCHIVE_TYPES.get(file_coding, "application/octet-stream")
    return ctype or "application/octet-stream"


def _open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading if it is a regular file; FileNotFoundError otherwise."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):  # a directory, FIFO or device: not ours to send
        os.close(fd)
        raise FileNotFoundError(path)
    return fd, st


async def _open_in_thread(open_: Callable[[str], _Opened], accept: str) -> _Opened:
    """``open_(accept)`` in the loop's thread pool, closing the fd if nobody takes it.

    The result is a bare fd, which nothing closes when collected: if the awaiting task is
    cancelled while the thread is still opening, the fd is closed when the thread ends.
    """
    future = asyncio.get_running_loop().run_in_executor(None, open_, accept)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_close_unclaimed)
        raise


def _close_unclaimed(future: asyncio.Future[_Opened]) -> None:
    if not future.cancelled() and future.exception() is None:
        os.close(future.result()[0])


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _sendfile_disabled() -> bool:
    return any(os.environ.get(name) for name in ("AIOHTTP_NOSENDFILE", "HERON_NOSENDFILE"))


def _accepted_codings(header: str) -> set[str]:
    """Codings with a non-zero quality in an Accept-Encoding value."""
    accepted: set[str] = set()
    for item in header.lower().split(","):
        coding, _, params = item.partition(";")
        coding = coding.strip()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding and quality > 0:
            accepted.add(coding)
    if "*" in accepted:
        accepted.update(coding for coding, _ in _SIBLINGS)
    return accepted


def _parse_etags(header: str) -> list[tuple[bool, str]] | None:
    """``[(weak, tag), ...]`` from If-Match / If-None-Match; None means ``*``."""
    if header.strip() == "*":
        return None
    tags: list[tuple[bool, str]] = []
    pos = 0
    while pos < len(header):
        match = _ETAG_RE.match(header, pos)
        if match is None:
            break  # malformed rest: keep what parsed
        tags.append((bool(match.group(1)), match.group(2)))
        pos = match.end()
    return tags


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Satisfiable ``(start, end_exclusive)`` ranges; None if the header is malformed.

    An empty list means "well-formed but nothing satisfiable" (416).
    """
    unit, sep, specs = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[int, int]] = []
    items = specs.split(",")
    if len(items) > _MAX_RANGES:
        return None
    for item in items:
        match = _RANGE_SPEC_RE.fullmatch(item)
        if match is None:
            return None
        first, last = match.group(1), match.group(2)
        if not first:
            if not last:
                return None
            suffix = int(last)  # "-N": the last N bytes
            if suffix > 0 and size > 0:
                ranges.append((max(size - suffix, 0), size))
            continue
        start = int(first)
        end = int(last) + 1 if last else size
        if last and end <= start:
            return None  # "5-2" is invalid syntax
        if start < size:
            ranges.append((start, min(end, size)))
    return ranges


class InlineOpen:
    """Whether the files of one static directory are opened without a thread.

    Yes, until opening took longer than ``SLOW`` seconds several times in a row: then the
    files are not in the kernel's caches (a network file system, a cold disk) and the
    loop must not wait for them; threads are used from then on.
    """

    SLOW: Final = 0.001
    STRIKES: Final = 3

    __slots__ = ("_strikes", "enabled")

    def __init__(self) -> None:
        self.enabled = True
        self._strikes = 0

    def took(self, seconds: float) -> None:
        """Record how long one inline file-system step took."""
        if seconds <= self.SLOW:
            self._strikes = 0
            return
        self._strikes += 1
        if self._strikes >= self.STRIKES:
            self.enabled = False


class FileResponse(StreamResponse):
    """A response sending the file at ``path`` (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        chunk_size: int = 256 * 1024,
        status: int = 200,
        reason: str | None = None,
        headers: LooseHeaders | None = None,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        # A str, not a Path: the path is only joined with suffixes and opened, and
        # Path operations cost microseconds each on every request.
        self._path = os.fspath(path)
        self._chunk_size = chunk_size
        self._served_coding: str | None = None

    # Set by StaticResource for a file it found a moment ago: open it without a thread.
    _inline: InlineOpen | None = None

    # ------------------------------------------------------------ file access

    def _open(self, accept_encoding: str) -> _Opened:
        """Open the best representation: ``(fd, stat, coding, has_sibling)``."""
        accepted = _accepted_codings(accept_encoding) if accept_encoding else ()
        has_sibling = False
        path = self._path
        for coding, suffix in _SIBLINGS:
            if not _is_regular(path + suffix):
                continue
            has_sibling = True
            if coding in accepted:
                try:
                    return (*_open_regular(path + suffix), coding, True)
                except FileNotFoundError:
                    continue  # removed meanwhile: fall back to the next choice
        return (*_open_regular(path), None, has_sibling)

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        """Choose status and headers from the file and the request, then send it all."""
        if self.prepared:
            return await super().prepare(request)
        accept = request.headers.get(hdrs.ACCEPT_ENCODING, "")
        try:
            inline = self._inline
            if inline is not None and inline.enabled:
                started = time.perf_counter()
                fd, st, coding, has_sibling = self._open(accept)
                inline.took(time.perf_counter() - started)
            else:
                fd, st, coding, has_sibling = await _open_in_thread(self._open, accept)
        except PermissionError:
            return await self._send_status(request, 403)
        except (FileNotFoundError, NotADirectoryError, ValueError):  # ValueError: a NUL
            return await self._send_status(request, 404)
        except OSError as exc:
            if exc.errno not in _NOT_FOUND_ERRNOS:
                raise  # EMFILE, EIO...: the server's trouble, a 500
            return await self._send_status(request, 404)
        try:
            return await self._send_file(request, fd, st, coding, has_sibling)
        finally:
            os.close(fd)

    async def _send_status(self, request: BaseRequest, status: int) -> AbstractStreamWriter | None:
        self.set_status(status)
        self.content_length = 0
        writer = await super().prepare(request)
        await self.write_eof()
        return writer

    # -------------------------------------------------------------- decisions

    def _set_entity_headers(self, st: os.stat_result, coding: str | None, vary: bool) -> str:
        headers = self.headers
        etag = f"{st.st_mtime_ns:x}-{st.st_size:x}"
        headers[hdrs.ETAG] = f'"{etag}"'
        headers[hdrs.LAST_MODIFIED] = _http_date(st.st_mtime)
        headers[hdrs.ACCEPT_RANGES] = "bytes"
        if hdrs.CONTENT_TYPE not in headers:
            headers[hdrs.CONTENT_TYPE] = _guess_type(os.path.basename(self._path), coding)
        self._served_coding = coding
        if coding is not None:
            headers[hdrs.CONTENT_ENCODING] = coding
            self._compression = False  # already compressed: never compress twice
        if vary and "accept-encoding" not in headers.get(hdrs.VARY, "").lower():
            headers.add(hdrs.VARY, "Accept-Encoding")
        return etag

    @staticmethod
    def _precondition_status(
        request: BaseRequest, etag: str, mtime: float, method: str
    ) -> int | None:
        """412, 304 or None, per RFC 9110 §13.2.2."""
        headers = request.headers
        mtime = int(mtime)  # HTTP dates have a one-second resolution
        if_match = headers.get(hdrs.IF_MATCH)
        if if_match is not None:
            tags = _parse_etags(if_match)
            if tags is not None and not any(not weak and tag == etag for weak, tag in tags):
                return 412
        else:
            since = _parse_date(headers.get(hdrs.IF_UNMODIFIED_SINCE))
            if since is not None and mtime > since:
                return 412
        if_none_match = headers.get(hdrs.IF_NONE_MATCH)
        safe = method in (hdrs.METH_GET, hdrs.METH_HEAD)
        if if_none_match is not None:
            tags = _parse_etags(if_none_match)
            if tags is None or any(tag == etag for _, tag in tags):
                return 304 if safe else 412
        elif safe:
            since = _parse_date(headers.get(hdrs.IF_MODIFIED_SINCE))
            if since is not None and mtime <= since:
                return 304
        return None

    @staticmethod
    def _range_applies(request: BaseRequest, etag: str, mtime: float) -> bool:
        """False when ``If-Range`` names another version (then send the whole file)."""
        if_range = request.headers.get(hdrs.IF_RANGE)
        if if_range is None:
            return True
        if_range = if_range.strip()
        if if_range.startswith(('"', "W/")):
            return if_range == f'"{etag}"'  # If-Range needs a strong match
        since = _parse_date(if_range)
        return since is not None and int(mtime) == int(since)

    # ---------------------------------------------------------------- sending

    async def _send_file(
        self,
        request: BaseRequest,
        fd: int,
        st: os.stat_result,
        coding: str | None,
        has_sibling: bool,
    ) -> AbstractStreamWriter | None:
        etag = self._set_entity_headers(st, coding, has_sibling)
        method = request.method
        status = self._precondition_status(request, etag, st.st_mtime, method)
        if status is not None:
            if status == 412:
                for name in (hdrs.ETAG, hdrs.LAST_MODIFIED, hdrs.ACCEPT_RANGES):
                    self.headers.pop(name, None)
            self.headers.pop(hdrs.CONTENT_ENCODING, None)
            return await self._send_status(request, status)
        size = st.st_size
        ranges: list[tuple[int, int]] | None = None
        range_header = request.headers.get(hdrs.RANGE)
        if (
            range_header
            and method == hdrs.METH_GET
            and self.status == 200
            and self._range_applies(request, etag, st.st_mtime)
        ):
            ranges = _parse_ranges(range_header, size)
        if ranges is not None and not ranges:
            self.headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
            self.headers.pop(hdrs.CONTENT_ENCODING, None)
            return await self._send_status(request, 416)
        if ranges is None:
            return await self._send_parts(request, fd, [(0, size)], None)
        self.set_status(206)
        if len(ranges) == 1:
            start, end = ranges[0]
            self.headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{end - 1}/{size}"
            return await self._send_parts(request, fd, ranges, None)
        return await self._send_parts(request, fd, ranges, size)

    async def _send_parts(
        self,
        request: BaseRequest,
        fd: int,
        ranges: Sequence[tuple[int, int]],
        multipart_size: int | None,
    ) -> AbstractStreamWriter | None:
        """Send ``ranges`` of ``fd``: plain, or as multipart/byteranges."""
        heads: list[bytes] = []
        tail = b""
        if multipart_size is None:
            self.content_length = sum(end - start for start, end in ranges)
        else:
            boundary = secrets.token_hex(16)
            ctype = self.headers[hdrs.CONTENT_TYPE]
            for start, end in ranges:
                heads.append(
                    f"--{boundary}\r\nContent-Type: {ctype}\r\n"
                    f"Content-Range: bytes {start}-{end - 1}/{multipart_size}\r\n\r\n".encode(
                        "latin-1"
                    )
                )
            tail = f"--{boundary}--\r\n".encode("ascii")
            self.headers[hdrs.CONTENT_TYPE] = f"multipart/byteranges; boundary={boundary}"
            body = sum(end - start + 2 for start, end in ranges)  # each part ends in CRLF
            self.content_length = body + sum(map(len, heads)) + len(tail)
        writer = await super().prepare(request)
        if writer is None:
            return None
        if request.method != hdrs.METH_HEAD:
            sock_fd = self._sendfile_target(request)
            for index, (start, end) in enumerate(ranges):
                if heads:
                    await writer.write(heads[index])
                await self._copy(request, writer, fd, start, end - start, sock_fd)
                if heads:
                    await writer.write(b"\r\n")
            if tail:
                await writer.write(tail)
        await self.write_eof()
        return writer

    def _sendfile_target(self, request: BaseRequest) -> int:
        """The socket fd to ``sendfile`` into, or -1 to copy through the writer."""
        if _sendfile_disabled() or self.chunked:
            return -1
        # _headers, not the headers property: after prepare() that property makes a
        # frozen copy of every header, for one read.
        if self._headers.get(hdrs.CONTENT_ENCODING) != self._served_coding:
            return -1  # the writer compresses: bytes must pass through it
        return socket_fd(request.transport)  # -1 for TLS: the kernel would send plaintext

    async def _copy(
        self,
        request: BaseRequest,
        writer: AbstractStreamWriter,
        fd: int,
        offset: int,
        count: int,
        sock_fd: int,
    ) -> None:
        """Copy ``count`` bytes from ``offset``: zero-copy when possible."""
        loop = asyncio.get_running_loop()

        def read_chunk(at: int, size: int) -> asyncio.Future[bytes]:
            return loop.run_in_executor(None, os.pread, fd, size, at)

        transport = request.transport
        if sock_fd >= 0 and transport is not None and count > 0:
            await send_range(
                writer, transport, sock_fd, fd, offset, count, read_chunk, self._chunk_size
            )
            return
        while count > 0:
            chunk = await read_chunk(offset, min(self._chunk_size, count))
            if not chunk:
                raise ConnectionResetError(f"{self._path} shrank while being sent")
            await writer.write(chunk)
            offset += len(chunk)
            count -= len(chunk)
