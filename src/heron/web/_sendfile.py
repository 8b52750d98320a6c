"""Zero-copy sending of a file range straight into a connection's socket, on any loop.

``loop.sendfile`` is native only on asyncio's selector loops; uvloop's transports fall
back to reading chunks and writing them. This module calls :func:`os.sendfile` on the
socket itself instead, which works the same under both loops, with these rules:

* only for a plain (not TLS) non-blocking stream socket: :func:`socket_fd` says which;
* only while the transport's own write buffer is empty, so the kernel receives the
  bytes in order (the transport writes what it buffered before we write anything);
* the socket's fd is used only right after checking, with no ``await`` in between,
  that the transport is not closing: then the fd still names this connection's socket
  (never a recycled fd number of a newer connection);
* when the kernel's send buffer is full (``EAGAIN``), one chunk is copied through the
  transport instead, with the write-buffer limits set to zero for the duration: the
  transport then waits for writability on its own fd (nobody else polls it), pauses
  the protocol, and resumes it only once that chunk has fully left. Memory per
  connection stays bounded by one chunk, a slow reader gets every byte, and a lost
  connection wakes the waiting writer with :class:`ConnectionResetError` through the
  protocol's ordinary ``drain()``.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ..writer import AbstractStreamWriter

__all__ = ("send_range", "socket_fd")

_HAS_SENDFILE: Final = hasattr(os, "sendfile")
_FULL: Final = -1  # the kernel's send buffer is full
_BUFFERED: Final = -2  # the transport still holds bytes that must go first
_UNSUPPORTED: Final = -3  # this file or socket cannot sendfile

ReadChunk = Callable[[int, int], Awaitable[bytes]]


def socket_fd(transport: asyncio.BaseTransport | None) -> int:
    """The fd to ``sendfile`` into for ``transport``, or -1 when bytes must go through it.

    -1 for TLS (the kernel would send plaintext), for transports without a socket, for
    datagram sockets and for a blocking socket (a full send buffer would block the loop).
    """
    if not _HAS_SENDFILE or transport is None:
        return -1
    if transport.get_extra_info("sslcontext") is not None:
        return -1
    if transport.get_extra_info("ssl_object") is not None:
        return -1
    sock = transport.get_extra_info("socket")
    if sock is None:
        return -1
    try:
        fd = sock.fileno()
        if fd < 0 or sock.type != socket.SOCK_STREAM or os.get_blocking(fd):
            return -1
    except (AttributeError, OSError, ValueError):
        return -1
    return int(fd)


def _file_shrank() -> ConnectionResetError:
    # Content-Length is already on the wire: the only honest answer is to cut the
    # connection, so the client sees a short body instead of a wrong one.
    return ConnectionResetError("The file shrank while being sent")


async def send_range(
    writer: AbstractStreamWriter,
    transport: asyncio.WriteTransport,
    sock_fd: int,
    file_fd: int,
    offset: int,
    count: int,
    read_chunk: ReadChunk,
    chunk_size: int,
) -> None:
    """Send ``writer``'s held head, then ``count`` bytes of ``file_fd`` from ``offset``.

    Bytes sent by the kernel are added to ``writer.output_size`` (and taken off
    ``writer.length``); chunks that take the copying way go through ``writer.write``.
    """
    limits: tuple[int, int] | None = None  # the transport's own (high, low), when changed
    zero_copy = True
    # (TCP_CORK around head and first sendfile, to send them in one packet, was
    # measured: it costs more kernel time per response than it saves.)
    try:
        await writer.drain()  # the held head must precede the file bytes
        while count > 0:
            if transport.is_closing():
                raise ConnectionResetError("Cannot write to closing transport")
            if zero_copy:
                if transport.get_write_buffer_size() == 0:
                    sent = _sendfile(sock_fd, file_fd, offset, count)
                else:
                    sent = _BUFFERED  # something (a head) is buffered: it leaves first
                if sent > 0:
                    writer.output_size += sent
                    if writer.length is not None:
                        writer.length -= sent
                    offset += sent
                    count -= sent
                    continue
                if sent == 0:
                    raise _file_shrank()
                if sent == _UNSUPPORTED:
                    zero_copy = False  # the rest goes through the transport, normal limits
                    if limits is not None:
                        transport.set_write_buffer_limits(high=limits[0], low=limits[1])
                        limits = None
                elif limits is None:
                    # From now on the protocol is paused while anything is buffered and
                    # resumed only once the buffer is empty: the moment to sendfile again.
                    low, high = transport.get_write_buffer_limits()
                    limits = (high, low)
                    transport.set_write_buffer_limits(high=0, low=0)
                if sent == _BUFFERED:
                    await writer.drain()  # copy nothing, just wait
                    if transport.get_write_buffer_size():
                        await asyncio.sleep(0)  # never spin on a transport that did not pause
                    continue
            chunk = await read_chunk(offset, min(chunk_size, count))
            if not chunk:
                raise _file_shrank()
            await writer.write(chunk)  # with zero limits: returns once it has all left
            offset += len(chunk)
            count -= len(chunk)
    finally:
        if limits is not None and not transport.is_closing():
            transport.set_write_buffer_limits(high=limits[0], low=limits[1])


def _sendfile(sock_fd: int, file_fd: int, offset: int, count: int) -> int:
    """Bytes the kernel took (0: end of file), or ``_FULL`` / ``_UNSUPPORTED``."""
    try:
        return os.sendfile(sock_fd, file_fd, offset, count)
    except BlockingIOError:
        return _FULL
    except ConnectionError as exc:  # EPIPE, ECONNRESET: the peer left
        raise ConnectionResetError("Connection lost") from exc
    except OSError:
        return _UNSUPPORTED  # e.g. EINVAL from a file system without sendfile support
