"""Body streams: :class:`StreamReader` and the small queues built beside it.

A :class:`StreamReader` is fed by a protocol (``feed_data``/``feed_eof``/
``set_exception``) and read by the application with aiohttp's API (``read``,
``readany``, ``readline``, ``readexactly``, ``readchunk``, the ``iter_*`` helpers and
``async for line in reader``).

Unread data sits in a deque of the chunks as they arrived plus an offset into the first
one, so reading never re-copies the whole buffer. When more than ``2 * limit`` bytes
wait unread the reader pauses its protocol (the transport stops reading from the socket)
and resumes it once the application brought the buffer down to ``limit`` bytes or less.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import warnings
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

__all__ = (
    "EMPTY_PAYLOAD",
    "AsyncStreamIterator",
    "ChunksQueue",
    "DataQueue",
    "EmptyStreamReader",
    "EofStream",
    "FlowControl",
    "FlowControlChunksQueue",
    "FlowControlDataQueue",
    "FlowControlStreamReader",
    "StreamReader",
)

_T = TypeVar("_T")
_logger = logging.getLogger("heron.streams")

DEFAULT_LIMIT = 2**16


class EofStream(Exception):
    """Raised by :meth:`DataQueue.read` once the queue is empty and finished."""


class FlowControl(Protocol):
    """What a reader needs from its producer to apply back-pressure."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


class AsyncStreamIterator(Generic[_T]):
    """Async iterator that calls ``read_func`` until it returns an empty value."""

    __slots__ = ("_read_func",)

    def __init__(self, read_func: Callable[[], Awaitable[_T]]) -> None:
        self._read_func = read_func

    def __aiter__(self) -> AsyncStreamIterator[_T]:
        return self

    async def __anext__(self) -> _T:
        try:
            rv = await self._read_func()
        except EofStream:
            raise StopAsyncIteration from None
        if not rv:
            raise StopAsyncIteration
        return rv


class _ChunkTupleIterator:
    """Async iterator over :meth:`StreamReader.readchunk` results, ending at EOF."""

    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> _ChunkTupleIterator:
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        rv = await self._stream.readchunk()
        if rv == (b"", False):
            raise StopAsyncIteration
        return rv


class StreamReader:
    """A buffered, flow-controlled stream of body bytes.

    ``protocol`` is paused (``pause_reading()``) while more than ``2 * limit`` bytes are
    buffered and resumed (``resume_reading()``) once at most ``limit`` bytes are left.
    ``readline()`` and ``readuntil()`` refuse lines longer than ``2 * limit`` bytes with
    :class:`ValueError`. Only one coroutine may wait for data at a time.
    """

    total_bytes: int = 0
    """Number of bytes fed into the reader so far."""

    # Scalar state starts as class defaults (a reader is made per request body).
    _offset = 0  # bytes of _buffer[0] already consumed
    _size = 0  # unread bytes in the buffer
    _cursor = 0  # bytes consumed so far (position of the next read)
    _eof = False
    _paused = False
    _waiter: asyncio.Future[None] | None = None
    _exception: BaseException | None = None
    # Positions (in total_bytes) where HTTP chunks ended; None until the producer
    # announces chunked framing with begin_http_chunk_receiving().
    _http_chunk_splits: collections.deque[int] | None = None
    # Made on first use: most bodies are read without anyone waiting for EOF.
    _eof_waiters: list[asyncio.Future[None]] | None = None
    _eof_callbacks: list[Callable[[], None]] | None = None
    # The request head whose whole body this reader was built with by whole_reader();
    # lets request.read() trust total_bytes as the declared length (see there).
    _whole_for: object = None

    def __init__(
        self,
        protocol: FlowControl | None = None,
        limit: int = DEFAULT_LIMIT,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if limit <= 0:
            raise ValueError(f"limit must be positive, got {limit!r}")
        self._protocol = protocol
        self._low_water = limit
        self._high_water = limit * 2
        self._loop = loop
        self._buffer: collections.deque[bytes] = collections.deque()

    def __repr__(self) -> str:
        info = [type(self).__name__]
        if self._size:
            info.append(f"{self._size} bytes")
        if self._eof:
            info.append("eof")
        if self._low_water != DEFAULT_LIMIT:
            info.append(f"low={self._low_water} high={self._high_water}")
        if self._waiter is not None:
            info.append(f"w={self._waiter!r}")
        if self._exception is not None:
            info.append(f"e={self._exception!r}")
        return "<{}>".format(" ".join(info))

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """Return ``(low, high)``: resume at or below low, pause above high."""
        return (self._low_water, self._high_water)

    # -- state -----------------------------------------------------------------

    def exception(self) -> BaseException | None:
        """The exception set by the producer, or None."""
        return self._exception

    def at_eof(self) -> bool:
        """True when EOF was fed **and** every buffered byte was read."""
        return self._eof and not self._size

    def is_eof(self) -> bool:
        """True as soon as the producer called :meth:`feed_eof`."""
        return self._eof

    # -- producer side ---------------------------------------------------------

    def set_exception(self, exc: BaseException) -> None:
        """Fail pending and later reads with ``exc``."""
        self._exception = exc
        self._eof_callbacks = None
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_exception(exc)
        eof_waiters, self._eof_waiters = self._eof_waiters, None
        for eof_waiter in eof_waiters or ():
            if not eof_waiter.done():
                eof_waiter.set_exception(exc)

    def on_eof(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when EOF is fed (at once if it already was)."""
        if self._eof:
            self._run_callback(callback)
        elif self._eof_callbacks is None:
            self._eof_callbacks = [callback]
        else:
            self._eof_callbacks.append(callback)

    def feed_eof(self) -> None:
        """Mark the end of the stream; wakes every waiting reader."""
        if self._eof:
            return
        self._eof = True
        self._wake_waiter()
        eof_waiters, self._eof_waiters = self._eof_waiters, None
        for eof_waiter in eof_waiters or ():
            if not eof_waiter.done():
                eof_waiter.set_result(None)
        callbacks, self._eof_callbacks = self._eof_callbacks, None
        for callback in callbacks or ():
            self._run_callback(callback)

    def feed_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the buffer and pause the protocol past the high-water mark."""
        if self._eof:
            raise RuntimeError("feed_data() called after feed_eof()")
        if not data:
            return
        # Copy mutable buffers: producers may reuse them after this call returns.
        chunk = data if type(data) is bytes else bytes(data)
        self._buffer.append(chunk)
        self._size += len(chunk)
        self.total_bytes += len(chunk)
        self._wake_waiter()
        self._maybe_pause()

    def feed_whole(self, data: bytes) -> None:
        """Feed a complete body at once, then EOF: :meth:`feed_data` and :meth:`feed_eof`
        for a body that arrived whole, before anyone could wait for it or register
        an EOF callback (a fresh reader)."""
        if data:
            self._buffer.append(data)
            self._size = self.total_bytes = size = len(data)
            if size > self._high_water:
                self._maybe_pause()
        self._eof = True

    def begin_http_chunk_receiving(self) -> None:
        """Announce that the body uses chunked framing (enables :meth:`readchunk` ends)."""
        if self._http_chunk_splits is None:
            if self.total_bytes:
                raise RuntimeError("begin_http_chunk_receiving() called after data was already fed")
            self._http_chunk_splits = collections.deque()

    def end_http_chunk_receiving(self) -> None:
        """Mark the end of one HTTP chunk at the current position."""
        if self._http_chunk_splits is None:
            raise RuntimeError(
                "end_http_chunk_receiving() called without begin_http_chunk_receiving()"
            )
        pos = self.total_bytes
        splits = self._http_chunk_splits
        # An empty chunk adds no data; one boundary per position is enough.
        if splits and splits[-1] == pos:
            return
        splits.append(pos)
        self._wake_waiter()

    # -- consumer side ----------------------------------------------------------

    async def wait_eof(self) -> None:
        """Wait until the producer feeds EOF (without reading anything)."""
        if self._exception is not None:
            raise self._exception
        if self._eof:
            return
        waiter: asyncio.Future[None] = self._get_loop().create_future()
        if self._eof_waiters is None:
            self._eof_waiters = []
        self._eof_waiters.append(waiter)
        try:
            await waiter
        finally:
            eof_waiters = self._eof_waiters
            if eof_waiters is not None and waiter in eof_waiters:
                eof_waiters.remove(waiter)

    def unread_data(self, data: bytes) -> None:
        """Push ``data`` back at the head of the buffer (deprecated, 0.x era)."""
        warnings.warn(
            "unread_data() is deprecated and will be removed; keep unconsumed data "
            "in the caller instead",
            DeprecationWarning,
            stacklevel=2,
        )
        if not data:
            return
        if self._offset:
            self._buffer[0] = self._buffer[0][self._offset :]
            self._offset = 0
        self._buffer.appendleft(bytes(data))
        self._size += len(data)
        self._cursor -= len(data)
        self._maybe_pause()

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes (all until EOF when ``n < 0``); ``b""`` at EOF."""
        if self._exception is not None:
            raise self._exception
        if n == 0:
            return b""
        if n < 0:
            # Collect chunk references and join once: linear, no repeated copies.
            parts: list[bytes] = []
            while True:
                chunk = await self.readany()
                if not chunk:
                    return b"".join(parts)
                parts.append(chunk)
        while not self._size and not self._eof:
            await self._wait("read")
        return self._take(n)

    async def readany(self) -> bytes:
        """Return the next buffered chunk (waiting if none); ``b""`` at EOF."""
        if self._exception is not None:
            raise self._exception
        while not self._size and not self._eof:
            await self._wait("readany")
        return self._take_first()

    async def readchunk(self) -> tuple[bytes, bool]:
        """Return ``(data, end_of_http_chunk)``.

        With chunked framing ``end_of_http_chunk`` tells whether ``data`` ends exactly
        where an HTTP chunk ended; otherwise it is always False. ``(b"", False)`` means
        EOF.
        """
        while True:
            if self._exception is not None:
                raise self._exception
            splits = self._http_chunk_splits
            while splits:
                pos = splits.popleft()
                if pos == self._cursor:
                    return (b"", True)
                if pos > self._cursor:
                    return (self._take(pos - self._cursor), True)
                # The boundary was already read past by read()/readline(): skip it.
            if self._size:
                return (self._take_first(), False)
            if self._eof:
                return (b"", False)
            await self._wait("readchunk")

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes or raise :class:`asyncio.IncompleteReadError` at EOF."""
        if self._exception is not None:
            raise self._exception
        if n < 0:
            raise ValueError("readexactly() size can not be less than zero")
        # Take data as it comes instead of waiting for all n bytes to be buffered:
        # with n above the high-water mark the producer would stay paused forever.
        parts: list[bytes] = []
        remaining = n
        while remaining:
            if self._size:
                chunk = self._take(remaining)
                parts.append(chunk)
                remaining -= len(chunk)
            elif self._eof:
                raise asyncio.IncompleteReadError(b"".join(parts), n)
            else:
                await self._wait("readexactly")
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def readline(self) -> bytes:
        """Read one ``\\n``-terminated line (the last line may lack it); ``b""`` at EOF."""
        return await self.readuntil(b"\n")

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Read up to and including ``separator``, or what is left at EOF.

        Raises :class:`ValueError` for an empty separator and when the data before the
        separator (separator included) exceeds ``2 * limit`` bytes.
        """
        seplen = len(separator)
        if seplen == 0:
            raise ValueError("Separator should be at least one-byte string")
        if self._exception is not None:
            raise self._exception
        parts: list[bytes] = []
        length = 0
        tail = b""  # the last seplen-1 bytes taken, for separators split across chunks
        while True:
            while self._size:
                end = self._find_in_first(separator, tail)
                chunk = self._take_first() if end == -1 else self._take(end)
                length += len(chunk)
                if length > self._high_water:
                    raise ValueError(
                        f"Line is too long: more than {self._high_water} bytes "
                        f"without {separator!r}"
                    )
                parts.append(chunk)
                if end != -1:
                    return b"".join(parts)
                if seplen > 1:
                    # Slice before joining so a large chunk is not copied.
                    tail = (tail + chunk[-(seplen - 1) :])[-(seplen - 1) :]
            if self._eof:
                return b"".join(parts)
            await self._wait("readuntil")

    def read_nowait(self, n: int | None = -1) -> bytes:
        """Return up to ``n`` buffered bytes (all when ``n < 0`` or None) without waiting."""
        if self._exception is not None:
            raise self._exception
        if self._waiter is not None and not self._waiter.done():
            raise RuntimeError("Called while some coroutine is waiting for incoming data.")
        buffer = self._buffer
        if (n is None or n < 0) and len(buffer) == 1 and not self._offset and not self._paused:
            # The whole body in one piece (the common small body): _take() unrolled.
            chunk = buffer.popleft()
            self._size = 0
            self._cursor += len(chunk)
            return chunk
        return self._take(-1 if n is None else n)

    # -- iteration ---------------------------------------------------------------

    def __aiter__(self) -> AsyncStreamIterator[bytes]:
        """Iterate over lines."""
        return AsyncStreamIterator(self.readline)

    def iter_chunked(self, n: int) -> AsyncStreamIterator[bytes]:
        """Iterate over pieces of at most ``n`` bytes."""
        if n <= 0:
            raise ValueError(f"chunk size must be positive, got {n!r}")
        return AsyncStreamIterator(lambda: self.read(n))

    def iter_any(self) -> AsyncStreamIterator[bytes]:
        """Iterate over data as it arrives."""
        return AsyncStreamIterator(self.readany)

    def iter_chunks(self) -> _ChunkTupleIterator:
        """Iterate over ``(data, end_of_http_chunk)`` tuples (see :meth:`readchunk`)."""
        return _ChunkTupleIterator(self)

    # -- internals ----------------------------------------------------------------

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    async def _wait(self, func_name: str) -> None:
        # Re-checked on every wait: an exception set after a feed woke us (and cleared
        # the waiter) would otherwise leave the reader waiting forever.
        if self._exception is not None:
            raise self._exception
        if self._waiter is not None:
            raise RuntimeError(
                f"{func_name}() called while another coroutine is already waiting for incoming data"
            )
        waiter = self._waiter = self._get_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake_waiter(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _run_callback(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            # A broken callback must not break the producer feeding EOF.
            _logger.exception("Exception in StreamReader eof callback")

    def _maybe_pause(self) -> None:
        if self._size > self._high_water and not self._paused and self._protocol is not None:
            self._paused = True
            self._protocol.pause_reading()

    def _consumed(self, n: int) -> None:
        self._size -= n
        self._cursor += n
        if self._paused and self._size <= self._low_water:
            self._paused = False
            assert self._protocol is not None
            self._protocol.resume_reading()

    def _find_in_first(self, separator: bytes, tail: bytes) -> int:
        """Bytes to take from the buffer head to include ``separator``, or -1."""
        first = self._buffer[0]
        off = self._offset
        if tail:
            # A separator may start in data already taken and end in this chunk.
            window = tail + first[off : off + len(separator) - 1]
            idx = window.find(separator)
            if idx != -1:
                return idx + len(separator) - len(tail)
        idx = first.find(separator, off)
        if idx == -1:
            return -1
        return idx - off + len(separator)

    def _take_first(self) -> bytes:
        """Take the rest of the first buffered chunk (``b""`` if empty)."""
        if not self._buffer:
            return b""
        chunk = self._buffer.popleft()
        if self._offset:
            chunk = chunk[self._offset :]
            self._offset = 0
        self._consumed(len(chunk))
        return chunk

    def _take(self, n: int) -> bytes:
        """Take ``n`` bytes (everything when ``n < 0`` or more than buffered)."""
        if n < 0 or n >= self._size:
            if len(self._buffer) == 1:
                return self._take_first()
            if self._offset:
                self._buffer[0] = self._buffer[0][self._offset :]
                self._offset = 0
            data = b"".join(self._buffer)
            self._buffer.clear()
            self._consumed(len(data))
            return data
        parts: list[bytes] = []
        remaining = n
        while remaining:
            first = self._buffer[0]
            avail = len(first) - self._offset
            if avail <= remaining:
                parts.append(first[self._offset :] if self._offset else first)
                self._buffer.popleft()
                self._offset = 0
                remaining -= avail
            else:
                parts.append(first[self._offset : self._offset + remaining])
                self._offset += remaining
                remaining = 0
        self._consumed(n)
        return parts[0] if len(parts) == 1 else b"".join(parts)


def whole_reader(
    protocol: FlowControl | None,
    limit: int,
    loop: asyncio.AbstractEventLoop | None,
    data: bytes,
    owner: object,
) -> StreamReader:
    """``StreamReader(protocol, limit, loop=loop)`` then ``feed_whole(data)``, for a
    body that arrived with its head; ``owner`` (the head) is remembered in
    ``_whole_for``. Built without the class call: a third cheaper, and it runs for
    nearly every request with a body. Must set what ``__init__`` and ``feed_whole``
    set.
    """
    if limit <= 0 or not data:
        reader = StreamReader(protocol, limit, loop=loop)  # raises for a bad limit
        reader.feed_whole(data)
        return reader
    self = _object_new(StreamReader)
    self._protocol = protocol
    self._low_water = limit
    self._high_water = high = limit * 2
    self._loop = loop
    self._buffer = collections.deque((data,))
    self._size = self.total_bytes = size = len(data)
    self._eof = True
    self._whole_for = owner
    if size > high:
        self._maybe_pause()
    return self


_object_new = object.__new__


#: 0.x name of a reader that pauses its producer; every StreamReader does that now.
FlowControlStreamReader = StreamReader


class EmptyStreamReader(StreamReader):
    """A reader that is at EOF from the start: every read returns ``b""`` at once."""

    def __init__(self) -> None:
        super().__init__(None)
        self._eof = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def feed_data(self, data: bytes | bytearray | memoryview) -> None:
        """Ignore data: an empty body stays empty."""

    def feed_eof(self) -> None:
        """Already at EOF."""

    def set_exception(self, exc: BaseException) -> None:
        """Ignore: the reader is shared and nothing can fail on an empty body."""


#: The body of a message without a body; shared, immutable.
EMPTY_PAYLOAD: StreamReader = EmptyStreamReader()


class DataQueue(Generic[_T]):
    """A queue of items for one reader; :meth:`read` raises :class:`EofStream` at the end."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._eof = False
        self._waiter: asyncio.Future[None] | None = None
        self._exception: BaseException | None = None
        self._buffer: collections.deque[tuple[_T, int]] = collections.deque()
        self._size = 0

    def __len__(self) -> int:
        return len(self._buffer)

    def __repr__(self) -> str:
        state = " eof" if self._eof else ""
        return f"<{type(self).__name__} {len(self._buffer)} items{state}>"

    def is_eof(self) -> bool:
        """True once :meth:`feed_eof` was called."""
        return self._eof

    def at_eof(self) -> bool:
        """True once EOF was fed and every item was read."""
        return self._eof and not self._buffer

    def exception(self) -> BaseException | None:
        """The exception set by the producer, or None."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """Fail the pending and every later :meth:`read` with ``exc``."""
        self._eof = True
        self._exception = exc
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_exception(exc)

    def feed_data(self, data: _T, size: int = 0) -> None:
        """Append one item; ``size`` is its weight for flow control."""
        self._size += size
        self._buffer.append((data, size))
        self._wake()

    def feed_eof(self) -> None:
        """Mark the end of the queue."""
        self._eof = True
        self._wake()

    async def read(self) -> _T:
        """Return the next item, waiting for one; raise :class:`EofStream` at the end."""
        if not self._buffer and not self._eof:
            if self._waiter is not None:
                raise RuntimeError("read() called while another coroutine is waiting")
            loop = self._loop if self._loop is not None else asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        if self._buffer:
            data, size = self._buffer.popleft()
            self._size -= size
            self._after_read()
            return data
        if self._exception is not None:
            raise self._exception
        raise EofStream

    def __aiter__(self) -> AsyncStreamIterator[_T]:
        return AsyncStreamIterator(self.read)

    def _after_read(self) -> None:
        """Hook for flow-controlled subclasses."""

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)


class FlowControlDataQueue(DataQueue[_T]):
    """A :class:`DataQueue` that pauses ``protocol`` while more than ``limit`` is queued.

    Item weights are the ``size`` given to :meth:`feed_data`; reading resumes the
    protocol once the queued weight is at or below ``limit``.
    """

    def __init__(
        self,
        protocol: FlowControl,
        limit: int = DEFAULT_LIMIT,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(loop=loop)
        self._protocol = protocol
        self._limit = limit
        self._paused = False

    def feed_data(self, data: _T, size: int = 0) -> None:
        """Append one item and pause the protocol when the queue is over its limit."""
        super().feed_data(data, size)
        if self._size > self._limit and not self._paused:
            self._paused = True
            self._protocol.pause_reading()

    def _after_read(self) -> None:
        if self._paused and self._size <= self._limit:
            self._paused = False
            self._protocol.resume_reading()


class ChunksQueue(DataQueue[bytes]):
    """0.x queue of binary chunks: :meth:`read` returns ``b""`` at the end."""

    async def read(self) -> bytes:
        """Return the next chunk, or ``b""`` once the queue is finished."""
        try:
            return await super().read()
        except EofStream:
            return b""

    readany = read


class FlowControlChunksQueue(FlowControlDataQueue[bytes], ChunksQueue):
    """0.x flow-controlled :class:`ChunksQueue`: its ``read()``, and the flow control."""
