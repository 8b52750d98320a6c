"""0.x ``aiohttp.parsers``: generator-based stream parsers.

A parser is a *generator function* ``parser(out, buf)``: it pulls bytes from the
:class:`ParserBuffer` with ``yield from buf.read(n)`` (``readuntil``, ``wait``, ...),
emits results with ``out.feed_data(item)``, and learns about the end of input from an
:class:`~heron.streams.EofStream` thrown into it. :class:`StreamParser` drives one
parser at a time::

    def lines(out, buf):
        while True:
            out.feed_data((yield from buf.readuntil(b"\\n", limit=1024)))

    stream = StreamParser()
    queue = stream.set_parser(lines)      # a heron.DataQueue
    stream.feed_data(b"a\\nb\\n")
    await queue.read()                    # b"a\\n"

Data flow: transport -> :class:`StreamProtocol`.data_received -> StreamParser.feed_data
-> the parser (``send``) -> DataQueue -> the application (``await out.read()``, which
raises ``EofStream`` at the end). Modern heron parses HTTP and WebSocket sans-IO
(``heron.http``, ``heron.ws``); these are kept for 0.x code that wrote its own parsers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any

from ..http.errors import LineTooLong
from ..streams import (
    ChunksQueue,
    DataQueue,
    EofStream,
    FlowControlChunksQueue,
    FlowControlDataQueue,
)

__all__ = (
    "ChunksParser",
    "ChunksQueue",
    "DataQueue",
    "EofStream",
    "FlowControlChunksQueue",
    "FlowControlDataQueue",
    "LinesParser",
    "ParserBuffer",
    "StreamParser",
    "StreamProtocol",
)

# What buffer methods are: generators yielding None, sent bytes, returning a value.
Wait = Generator[None, bytes, Any]
Parser = Callable[[Any, "ParserBuffer"], Generator[None, bytes, Any]]


class ParserBuffer(bytearray):
    """The bytes a parser has not consumed yet, with generator helpers to wait for more.

    Every ``read``-like method is used as ``data = yield from buf.read(5)``: it returns
    at once when enough is buffered, else yields until the driver sends more bytes.
    ``wait``/``waituntil`` peek without consuming.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._exception: BaseException | None = None

    def exception(self) -> BaseException | None:
        """The error set by :meth:`set_exception`, or None."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """Make every later wait raise ``exc``."""
        self._exception = exc

    def feed_data(self, data: bytes | bytearray) -> None:
        """Append ``data`` (what the driver's ``send()`` also does)."""
        self.extend(data)

    def _more(self) -> Wait:
        if self._exception is not None:
            raise self._exception
        data = yield
        if self._exception is not None:
            raise self._exception
        if data:
            self.extend(data)

    def _take(self, size: int) -> bytes:
        data = bytes(self[:size])
        del self[:size]
        return data

    def read(self, size: int) -> Wait:
        """Consume and return exactly ``size`` bytes."""
        while len(self) < size:
            yield from self._more()
        return self._take(size)

    def readsome(self, size: int | None = None) -> Wait:
        """Consume and return at least one byte, at most ``size`` (all if None)."""
        while not self:
            yield from self._more()
        return self._take(len(self) if size is None else size)

    def _find(self, stop: bytes, limit: int | None) -> Wait:
        """Index just past ``stop``; LineTooLong once more than ``limit`` bytes precede it."""
        start = 0
        while True:
            pos = self.find(stop, start)
            if pos >= 0:
                end = pos + len(stop)
                if limit is not None and end > limit:
                    raise LineTooLong("data", limit)
                return end
            if limit is not None and len(self) > limit:
                raise LineTooLong("data", limit)
            start = max(len(self) - len(stop) + 1, 0)
            yield from self._more()

    def readuntil(self, stop: bytes, limit: int | None = None) -> Wait:
        """Consume and return the bytes up to and including ``stop``."""
        end = yield from self._find(stop, limit)
        return self._take(end)

    def wait(self, size: int) -> Wait:
        """Return the first ``size`` bytes without consuming them."""
        while len(self) < size:
            yield from self._more()
        return bytes(self[:size])

    def waituntil(self, stop: bytes, limit: int | None = None) -> Wait:
        """Return the bytes up to and including ``stop`` without consuming them."""
        end = yield from self._find(stop, limit)
        return bytes(self[:end])

    def skip(self, size: int) -> Wait:
        """Drop ``size`` bytes."""
        while len(self) < size:
            yield from self._more()
        del self[:size]

    def skipuntil(self, stop: bytes) -> Wait:
        """Drop the bytes up to and including ``stop``."""
        end = yield from self._find(stop, None)
        del self[:end]


class StreamParser:
    """Feeds a byte stream to one generator parser at a time (see the module docstring).

    Bytes that arrive while no parser is set wait in the buffer for the next one.
    """

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        buf: ParserBuffer | None = None,
        limit: int = 2**16,
        eof_exc_class: type[BaseException] = RuntimeError,
        **kwargs: Any,
    ) -> None:
        self._loop = loop
        self._limit = limit
        self._eof_exc_class = eof_exc_class
        self._buffer = buf if buf is not None else ParserBuffer()
        self._eof = False
        self._exception: BaseException | None = None
        self._parser: Generator[None, bytes, Any] | None = None
        self._output: Any = None
        self.transport: asyncio.BaseTransport | None = None

    @property
    def output(self) -> Any:
        """The queue of the current parser, or None."""
        return self._output

    @property
    def buffer(self) -> ParserBuffer:
        """The bytes not consumed yet."""
        return self._buffer

    def set_transport(self, transport: asyncio.BaseTransport | None) -> None:
        """Remember the transport (0.x used it for flow control)."""
        self.transport = transport

    def at_eof(self) -> bool:
        """True once the end of input was fed."""
        return self._eof

    def exception(self) -> BaseException | None:
        """The error the stream failed with, or None."""
        return self._exception

    def set_exception(self, exc: BaseException) -> None:
        """Fail the stream: the parser gets ``exc`` thrown in, its queue fails with it."""
        self._exception = exc
        self._buffer.set_exception(exc)
        parser, output = self._parser, self._output
        self._parser = self._output = None
        if parser is not None:
            try:
                parser.throw(exc)
            except BaseException:  # the parser is done either way
                pass
            parser.close()
        if output is not None:
            output.set_exception(exc)

    def feed_data(self, data: bytes | bytearray) -> None:
        """Give ``data`` to the current parser (or keep it for the next one)."""
        if not data:
            return
        if self._parser is None:
            self._buffer.extend(data)
            return
        self._send(bytes(data))

    def _send(self, data: bytes) -> None:
        parser, output = self._parser, self._output
        assert parser is not None
        try:
            parser.send(data)
        except StopIteration:
            self._parser = self._output = None
            output.feed_eof()
        except Exception as exc:
            self._parser = self._output = None
            output.set_exception(exc)

    def feed_eof(self) -> None:
        """End of input: ``EofStream`` is thrown into the parser, its queue ends."""
        self._eof = True
        self._finish_parser()

    def set_parser(self, parser: Parser, output: Any = None) -> Any:
        """Start ``parser(output, buffer)``; return ``output`` (a new DataQueue by default)."""
        if self._parser is not None:
            self.unset_parser()
        if output is None:
            output = DataQueue(loop=self._loop)
        if self._exception is not None:
            output.set_exception(self._exception)
            return output
        gen = parser(output, self._buffer)
        try:
            next(gen)
        except StopIteration:
            output.feed_eof()
            return output
        self._parser, self._output = gen, output
        if self._buffer:
            self._send(b"")  # let it look at what is already buffered
        if self._eof and self._parser is not None:
            self._finish_parser()
        return output

    def unset_parser(self) -> None:
        """Stop the current parser: ``EofStream`` is thrown into it, its queue ends."""
        self._finish_parser()

    def _finish_parser(self) -> None:
        parser, output = self._parser, self._output
        if parser is None:
            return
        self._parser = self._output = None
        try:
            parser.throw(EofStream())
        except (StopIteration, EofStream):
            output.feed_eof()
        except Exception as exc:
            output.set_exception(exc)
        else:
            parser.close()  # it wanted more after the end: there is none
            output.feed_eof()


class StreamProtocol(asyncio.Protocol):
    """An asyncio protocol whose incoming bytes go to ``self.reader``, a StreamParser."""

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        disconnect_error: type[BaseException] = RuntimeError,
        **kwargs: Any,
    ) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.writer: asyncio.Transport | None = None
        self.reader = StreamParser(loop=loop, eof_exc_class=disconnect_error, **kwargs)

    def is_connected(self) -> bool:
        """True while the connection is open."""
        return self.transport is not None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = self.writer = transport  # type: ignore[assignment]
        self.reader.set_transport(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = self.writer = None
        self.reader.set_transport(None)
        if exc is None:
            self.reader.feed_eof()
        else:
            self.reader.set_exception(exc)

    def data_received(self, data: bytes) -> None:
        self.reader.feed_data(data)

    def eof_received(self) -> None:
        self.reader.feed_eof()


class LinesParser:
    """Parser factory: emits ``\\n``-terminated lines (LineTooLong past ``limit``)."""

    def __init__(self, limit: int = 2**16) -> None:
        self._limit = limit

    def __call__(self, out: Any, buf: ParserBuffer) -> Generator[None, bytes, None]:
        try:
            while True:
                line = yield from buf.readuntil(b"\n", self._limit)
                out.feed_data(line, len(line))
        except EofStream:
            pass


class ChunksParser:
    """Parser factory: emits ``size``-byte chunks; the shorter tail comes at the end."""

    def __init__(self, size: int = 8192) -> None:
        self._size = size

    def __call__(self, out: Any, buf: ParserBuffer) -> Generator[None, bytes, None]:
        try:
            while True:
                chunk = yield from buf.read(self._size)
                out.feed_data(chunk, len(chunk))
        except EofStream:
            if buf:
                tail = bytes(buf)
                del buf[:]
                out.feed_data(tail, len(tail))
