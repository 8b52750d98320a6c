"""The byte source shared by a multipart reader and all its parts (internal).

One :class:`PartSource` wraps the body stream of a whole multipart message. The
top-level :class:`~heron.multipart.MultipartReader`, its nested readers and every
:class:`~heron.multipart.BodyPartReader` read through it, so bytes pulled from the
stream past the end of one part are never lost and never pushed back. Memory stays
bounded: a part's data is handed out as soon as it cannot be the start of a delimiter,
and only a delimiter's length of lookahead is kept.
"""

from __future__ import annotations

from typing import Protocol

from .http.errors import BadHttpMessage

__all__ = ("DEFAULT_MAX_DEPTH", "DEFAULT_MAX_HEADERS_SIZE", "DEFAULT_MAX_PARTS", "MultipartError")

DEFAULT_MAX_PARTS = 1000
DEFAULT_MAX_HEADERS_SIZE = 16 * 1024
DEFAULT_MAX_DEPTH = 8
# A delimiter line may carry transport padding (RFC 2046 section 5.1.1); cap it.
_MAX_PADDING = 1024


class MultipartError(BadHttpMessage, ValueError):
    """A multipart body is malformed or breaks a limit (a server answers ``code``)."""

    message = "Malformed multipart body"


class ByteStream(Protocol):
    """What a multipart reader needs from a body stream (``StreamReader`` has it)."""

    async def readany(self) -> bytes: ...


class PartSource:
    """A lookahead buffer over a body stream, with the limits of one message."""

    __slots__ = (
        "_buf",
        "_eof",
        "_stream",
        "max_depth",
        "max_headers_size",
        "max_parts",
        "parts",
    )

    def __init__(
        self,
        stream: ByteStream,
        *,
        max_parts: int = DEFAULT_MAX_PARTS,
        max_headers_size: int = DEFAULT_MAX_HEADERS_SIZE,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._eof = False
        self.max_parts = max_parts
        self.max_headers_size = max_headers_size
        self.max_depth = max_depth
        self.parts = 0

    async def _fill(self) -> bool:
        """Pull the next chunk from the stream; False at its end."""
        if self._eof:
            return False
        data = await self._stream.readany()
        if not data:
            self._eof = True
            return False
        self._buf += data
        return True

    async def _fill_or_fail(self, what: str) -> None:
        if not await self._fill():
            raise MultipartError(f"Unexpected end of multipart body {what}")

    def count_part(self) -> None:
        """Account for one more part; raise once the message has too many."""
        self.parts += 1
        if self.parts > self.max_parts:
            raise MultipartError(
                f"Too many parts in multipart body (max {self.max_parts})", code=413
            )

    async def startswith(self, prefix: bytes) -> bool:
        """True if the unread data starts with ``prefix`` (waits for enough bytes)."""
        while len(self._buf) < len(prefix):
            if not await self._fill():
                break
        return self._buf.startswith(prefix)

    async def skip_to(self, delimiter: bytes, *, at_start: bool) -> None:
        """Discard data up to and including ``delimiter`` (``CRLF--boundary``).

        With ``at_start`` the dash-boundary may also open the data without its CRLF
        (the usual first line of a body). A preamble or epilogue of any length is
        skipped in bounded memory.
        """
        if at_start and await self.startswith(delimiter[2:]):
            del self._buf[: len(delimiter) - 2]
            return
        keep = len(delimiter) - 1
        while True:
            idx = self._buf.find(delimiter)
            if idx != -1:
                del self._buf[: idx + len(delimiter)]
                return
            if len(self._buf) > keep:
                del self._buf[: len(self._buf) - keep]
            await self._fill_or_fail("before its boundary")

    async def read_until(self, delimiter: bytes, size: int) -> tuple[bytes, bool]:
        """Return up to ``size`` bytes before ``delimiter``, and whether it was reached.

        When the delimiter is reached it is consumed as well. Never returns bytes that
        could be the beginning of the delimiter.
        """
        dlen = len(delimiter)
        while True:
            buf = self._buf
            idx = buf.find(delimiter, 0, size + dlen)
            if idx != -1 and idx <= size:
                data = bytes(buf[:idx])
                del buf[: idx + dlen]
                return data, True
            safe = min(size, len(buf) - dlen + 1)
            if safe > 0:
                data = bytes(buf[:safe])
                del buf[:safe]
                return data, False
            await self._fill_or_fail("inside a part (missing closing boundary)")

    async def read_line_until(self, delimiter: bytes, limit: int) -> tuple[bytes, bool]:
        """Return one line (with its LF) of part data, stopping at ``delimiter``."""
        dlen = len(delimiter)
        while True:
            buf = self._buf
            idx = buf.find(delimiter, 0, limit + dlen)
            nl = buf.find(b"\n", 0, idx if idx != -1 else max(0, len(buf) - dlen + 1))
            if nl != -1 and nl < limit:
                data = bytes(buf[: nl + 1])
                del buf[: nl + 1]
                return data, False
            if idx != -1 and idx <= limit:
                data = bytes(buf[:idx])
                del buf[: idx + dlen]
                return data, True
            if len(buf) >= limit + dlen:
                raise MultipartError(f"Line in multipart part longer than {limit} bytes")
            await self._fill_or_fail("inside a part (missing closing boundary)")

    async def read_line(self, limit: int, what: str) -> bytes:
        """Return one CRLF- or LF-terminated line without its line ending."""
        while True:
            nl = self._buf.find(b"\n", 0, limit + 1)
            if nl != -1:
                line = bytes(self._buf[:nl])
                del self._buf[: nl + 1]
                return line[:-1] if line.endswith(b"\r") else line
            if len(self._buf) > limit:
                raise MultipartError(f"{what} too long (max {limit} bytes)", code=413)
            await self._fill_or_fail(f"in {what}")

    async def read_delimiter_tail(self) -> bool:
        """Read what follows a delimiter: True for ``--`` (the close delimiter)."""
        if await self.startswith(b"--"):
            del self._buf[:2]
            return True
        if not self._buf:
            raise MultipartError("Unexpected end of multipart body after a boundary")
        line = await self.read_line(_MAX_PADDING, "boundary line")
        if line.strip(b" \t"):
            raise MultipartError(f"Invalid data after multipart boundary: {line[:40]!r}")
        return False

    async def read_headers(self) -> list[tuple[str, str]]:
        """Read a part's header section up to its empty line, within the size limit."""
        budget = self.max_headers_size
        lines: list[bytes] = []
        while True:
            line = await self.read_line(budget, "part header section")
            budget -= len(line) + 2
            if budget < 0:
                raise MultipartError("Multipart part header section too large", code=413)
            if not line:
                break
            if line[:1] in (b" ", b"\t"):
                # obs-fold (RFC 5322 section 2.2.3): unfold into the previous line.
                if not lines:
                    raise MultipartError("Multipart part headers start with a folded line")
                lines[-1] += b" " + line.strip(b" \t")
            else:
                lines.append(line)
        return [_parse_header_line(line) for line in lines]


_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _decode_header_bytes(raw: bytes) -> str:
    # RFC 7578 senders put UTF-8 in names and filenames; fall back to Latin-1, which
    # maps every byte, rather than fail on an old client.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _parse_header_line(line: bytes) -> tuple[str, str]:
    name, sep, value = line.partition(b":")
    if not sep or not name or not all(ch in _TOKEN for ch in name):
        raise MultipartError(f"Invalid multipart part header: {line[:60]!r}")
    if b"\r" in value or b"\x00" in value:
        raise MultipartError(f"Invalid character in multipart part header {name!r}")
    return name.decode("ascii"), _decode_header_bytes(value.strip(b" \t"))
