"""Incremental WebSocket frame reader (RFC 6455 §5, RFC 7692): bytes in, messages out."""

from __future__ import annotations

import codecs
import zlib
from typing import Final

from ._masking import websocket_mask
from .deflate import PerMessageDeflate, WSDecompressor
from .models import WebSocketError, WSCloseCode, WSMessage, WSMsgType

__all__ = ("DEFAULT_MAX_MSG_SIZE", "WebSocketReader", "is_valid_close_code")

DEFAULT_MAX_MSG_SIZE: Final = 4 * 1024 * 1024

_PROTOCOL_ERROR: Final = WSCloseCode.PROTOCOL_ERROR
_FIN: Final = 0x80
_RSV1: Final = 0x40
_RSVS: Final = 0x70
_MASKED: Final = 0x80
_OP_TEXT: Final = 0x1
_OP_CLOSE: Final = 0x8
_OP_PING: Final = 0x9
_OP_PONG: Final = 0xA
_NO_MESSAGE: Final = -1
# A compressed message may be a little larger than its content (stored blocks add 5 bytes
# per 64 KiB); this slack keeps the raw-size check from refusing incompressible data.
_COMPRESSED_SLACK: Final = 1024

_Utf8Decoder = codecs.getincrementaldecoder("utf-8")


def is_valid_close_code(code: int) -> bool:
    """Whether `code` may appear in a CLOSE frame (RFC 6455 §7.4 and the IANA registry).

    1005, 1006 and 1015 are reserved for local use and never sent; 1004 and 1016-2999 are
    unassigned; 3000-4999 belong to libraries and applications.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


class WebSocketReader:
    """Parses WebSocket frames from a byte stream and assembles messages.

    `is_client` says which side this endpoint is: a server requires masked frames, a
    client refuses them. `max_msg_size` bounds a message's size, after decompression
    (0 disables the limit). `compress` is the permessage-deflate agreement, if any; without
    it a frame with RSV1 set is a protocol error.

    `feed_data(data)` returns the messages completed by `data`: TEXT (`str`), BINARY,
    PING and PONG (`bytes`) and CLOSE (data = close code, 0 when the frame had none;
    extra = reason). Control frames interleaved with a fragmented message come out at
    once. A protocol violation raises `WebSocketError` whose `code` is the close code to
    fail the connection with and whose `messages` are those completed earlier in the same
    call; the reader is then unusable and raises the same error again.
    """

    __slots__ = (
        "_buf",
        "_decoder",
        "_error",
        "_fast_size",
        "_idle",
        "_inflater",
        "_is_client",
        "_max_msg_size",
        "_msg_compressed",
        "_msg_opcode",
        "_msg_parts",
        "_msg_raw_size",
        "_msg_size",
    )

    def __init__(
        self,
        *,
        is_client: bool,
        max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
        compress: PerMessageDeflate | None = None,
    ) -> None:
        self._is_client = is_client
        self._max_msg_size = max_msg_size
        self._inflater: WSDecompressor | None = (
            compress.decompressor(is_client=is_client) if compress is not None else None
        )
        self._buf = bytearray()
        self._error: WebSocketError | None = None
        # The message being assembled from fragments (_msg_opcode == _NO_MESSAGE if none).
        self._msg_opcode = _NO_MESSAGE
        self._msg_compressed = False
        self._msg_parts: list[bytes] | list[str] = []
        self._msg_size = 0
        self._msg_raw_size = 0
        self._decoder: codecs.IncrementalDecoder | None = None
        # `feed_frame`: nothing buffered, no message in progress and no error, and the
        # largest whole frame it takes (header included; max_msg_size still applies).
        self._idle = True
        small = 125 if not max_msg_size else min(125, max_msg_size)
        self._fast_size = small + (2 if is_client else 6)

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf)

    @property
    def in_message(self) -> bool:
        """Whether a fragmented message has started and not yet finished."""
        return self._msg_opcode != _NO_MESSAGE

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[WSMessage]:
        """Consume `data`; return the messages it completes, in order."""
        if self._error is not None:
            raise WebSocketError(self._error.code, self._error.message)
        if not isinstance(data, bytes | bytearray):
            data = bytes(data)
        buf: bytes | bytearray
        if self._buf:
            self._buf += data
            buf = self._buf
        else:
            buf = data
        out: list[WSMessage] = []
        try:
            pos = self._parse(buf, out)
        except WebSocketError as exc:
            exc.messages = out
            self._error = exc
            self._idle = False
            self._buf.clear()
            raise
        if buf is self._buf:
            del self._buf[:pos]
        elif pos < len(buf):
            self._buf += memoryview(buf)[pos:]
        self._idle = not self._buf and self._msg_opcode == _NO_MESSAGE
        return out

    def feed_frame(self, data: bytes | bytearray | memoryview) -> WSMessage | None:
        """The fast path of `feed_data` for the most common input: exactly one whole,
        small (payload under 126 bytes), unfragmented and uncompressed TEXT or BINARY
        frame, with nothing buffered before it. Returns its message, or None (having
        consumed nothing) for anything else: then call `feed_data(data)`.
        """
        # Why a separate method: one call, no list, no loop; every check `_parse` and
        # `_check_header` make is implied by the byte tests below (FIN set, RSV clear,
        # opcode 1 or 2, the mask bit the side requires, length < 126 and <= the limit).
        size = len(data)
        if size > self._fast_size or size < 2 or not self._idle:
            return None
        first = data[0]
        if first != 0x81 and first != 0x82:
            return None
        if self._is_client:
            if size != data[1] + 2:  # unmasked (second byte < 0x80), the whole frame
                return None
            payload = bytes(data[2:])  # (no copy for bytes; a memoryview has no decode())
        else:
            length = size - 6
            if length < 0 or data[1] != 0x80 | length:  # masked, the whole frame
                return None
            # Unmasking with big integers (one XOR, not one per byte): the frame read
            # big-endian ends with the payload; the 4-byte key above it, repeated
            # (_REPEAT_KEY) and shifted (_KEY_SHIFT) to line up with the payload's end.
            value = int.from_bytes(data)
            key = (value >> (length << 3)) & 0xFFFFFFFF
            key = (key * _REPEAT_KEY[length]) >> _KEY_SHIFT[length]
            payload = ((value & _LOW_BITS[length]) ^ key).to_bytes(length)
        if first == 0x82:
            return _new_tuple(WSMessage, (_BINARY, payload, ""))
        try:
            # decode() without an argument is UTF-8, strict, and a little faster.
            return _new_tuple(WSMessage, (_TEXT, payload.decode(), ""))
        except UnicodeDecodeError:
            return None  # feed_data reports it (and fails the reader)

    def _parse(self, buf: bytes | bytearray, out: list[WSMessage]) -> int:
        """Parse every complete frame in `buf`; return the offset of the first incomplete one."""
        size = len(buf)
        pos = 0
        limit = self._max_msg_size
        # A whole small TEXT/BINARY message in one masked frame (what a server mostly
        # receives) skips the general checks: every rule they enforce holds for it.
        fast = not self._is_client and self._msg_opcode == _NO_MESSAGE
        while size - pos >= 2:
            first, second = buf[pos], buf[pos + 1]
            if fast and (first == 0x81 or first == 0x82) and 0x80 <= second < 0xFE:
                length = second & 0x7F
                end = pos + 6 + length
                if end > size:
                    break
                if not limit or length <= limit:
                    payload = websocket_mask(bytes(buf[pos + 2 : pos + 6]), buf[pos + 6 : end])
                    out.append(_data_message(first & 0x0F, payload))
                    pos = end
                    continue
            length = second & 0x7F
            start = pos + 2
            if length == 126:
                if size - start < 2:
                    break
                length = int.from_bytes(buf[start : start + 2], "big")
                start += 2
            elif length == 127:
                if size - start < 8:
                    break
                length = int.from_bytes(buf[start : start + 8], "big")
                start += 8
                if length >> 63:
                    raise WebSocketError(_PROTOCOL_ERROR, "64-bit frame length has its top bit set")
            # Checked before the payload arrives, so a bad or oversized frame is refused early.
            self._check_header(first, second, length)
            if second & _MASKED:
                end = start + 4 + length
                if end > size:
                    break
                payload = websocket_mask(bytes(buf[start : start + 4]), buf[start + 4 : end])
            else:
                end = start + length
                if end > size:
                    break
                payload = bytes(buf[start:end])
            pos = end
            self._handle_frame(first, payload, out)
            fast = not self._is_client and self._msg_opcode == _NO_MESSAGE
        return pos

    def _check_header(self, first: int, second: int, length: int) -> None:
        opcode = first & 0x0F
        rsv = first & _RSVS
        if rsv and (rsv != _RSV1 or self._inflater is None):
            raise WebSocketError(_PROTOCOL_ERROR, f"reserved bits set: {rsv >> 4:#05b}")
        if second & _MASKED:
            if self._is_client:
                raise WebSocketError(_PROTOCOL_ERROR, "a server must not mask its frames")
        elif not self._is_client:
            raise WebSocketError(_PROTOCOL_ERROR, "a client must mask its frames")
        if opcode >= _OP_CLOSE:
            if opcode > _OP_PONG:
                raise WebSocketError(_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
            if not first & _FIN:
                raise WebSocketError(_PROTOCOL_ERROR, "fragmented control frame")
            if length > 125:
                raise WebSocketError(_PROTOCOL_ERROR, "control frame payload over 125 bytes")
            if rsv:
                raise WebSocketError(_PROTOCOL_ERROR, "compressed control frame")
            return
        if opcode == 0:
            if self._msg_opcode == _NO_MESSAGE:
                raise WebSocketError(_PROTOCOL_ERROR, "continuation frame without a message")
            if rsv:
                raise WebSocketError(_PROTOCOL_ERROR, "RSV1 set on a continuation frame")
            raw_size, compressed = self._msg_raw_size, self._msg_compressed
        elif opcode <= 2:
            if self._msg_opcode != _NO_MESSAGE:
                raise WebSocketError(_PROTOCOL_ERROR, "new message before the last one ended")
            raw_size, compressed = 0, bool(rsv)
        else:
            raise WebSocketError(_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")
        limit = self._max_msg_size
        if limit:
            if compressed:
                limit += (limit >> 6) + _COMPRESSED_SLACK
            if raw_size + length > limit:
                raise WebSocketError(
                    WSCloseCode.MESSAGE_TOO_BIG,
                    f"message over {self._max_msg_size} bytes",
                )

    def _handle_frame(self, first: int, payload: bytes, out: list[WSMessage]) -> None:
        opcode = first & 0x0F
        if opcode >= _OP_CLOSE:
            out.append(_control_message(opcode, payload))
            return
        if opcode and first & _FIN:
            # The common case: a whole message in one frame.
            if first & _RSV1:
                self._msg_size = 0
                payload = self._inflate(payload, finish=True)
            out.append(_data_message(opcode, payload))
            return
        if opcode:
            self._start_message(opcode, bool(first & _RSV1))
        self._msg_raw_size += len(payload)
        if self._msg_compressed:
            payload = self._inflate(payload, finish=bool(first & _FIN))
        else:
            self._msg_size += len(payload)
        self._add_part(payload, final=bool(first & _FIN))
        if first & _FIN:
            out.append(self._finish_message())

    def _start_message(self, opcode: int, compressed: bool) -> None:
        self._msg_opcode = opcode
        self._msg_compressed = compressed
        self._msg_parts = []
        self._msg_size = self._msg_raw_size = 0
        self._decoder = _Utf8Decoder() if opcode == _OP_TEXT else None

    def _add_part(self, chunk: bytes, *, final: bool) -> None:
        if self._decoder is None:
            self._msg_parts.append(chunk)  # type: ignore[arg-type]
            return
        try:
            # Decoding each fragment as it arrives fails a bad message early (and once).
            text = self._decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            raise WebSocketError(WSCloseCode.INVALID_TEXT, f"invalid UTF-8 text: {exc}") from None
        self._msg_parts.append(text)  # type: ignore[arg-type]

    def _finish_message(self) -> WSMessage:
        parts = self._msg_parts
        if self._decoder is not None:
            message = WSMessage(WSMsgType.TEXT, "".join(parts), "")  # type: ignore[arg-type]
        else:
            message = WSMessage(WSMsgType.BINARY, b"".join(parts), "")  # type: ignore[arg-type]
        self._msg_opcode = _NO_MESSAGE
        self._msg_parts = []
        self._decoder = None
        return message

    def _inflate(self, data: bytes, *, finish: bool) -> bytes:
        """Decompress one fragment, counting its output against `max_msg_size`."""
        inflater = self._inflater
        assert inflater is not None  # _check_header refuses RSV1 without an agreement
        limit = self._max_msg_size
        remaining = limit - self._msg_size
        try:
            out = inflater.decompress(data, remaining + 1 if limit else 0)
            if finish and (not limit or len(out) <= remaining):
                out += inflater.finish(remaining - len(out) + 1 if limit else 0)
        except zlib.error as exc:
            raise WebSocketError(_PROTOCOL_ERROR, f"invalid compressed data: {exc}") from None
        if limit and len(out) > remaining:
            raise WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG, f"message over {limit} bytes once decompressed"
            )
        self._msg_size += len(out)
        return out


def _data_message(opcode: int, payload: bytes) -> WSMessage:
    # tuple.__new__ skips the named tuple's Python-level __new__ (same object).
    if opcode == _OP_TEXT:
        try:
            return _new_tuple(WSMessage, (_TEXT, payload.decode("utf-8"), ""))
        except UnicodeDecodeError as exc:
            raise WebSocketError(WSCloseCode.INVALID_TEXT, f"invalid UTF-8 text: {exc}") from None
    return _new_tuple(WSMessage, (_BINARY, payload, ""))


_new_tuple: Final = tuple.__new__
# For a payload of n < 126 bytes: the 4-byte key times _REPEAT_KEY[n] is the key
# repeated to the next multiple of 4 bytes; >> _KEY_SHIFT[n] drops the excess.
_REPEAT_KEY: Final = tuple(sum(1 << (32 * i) for i in range((n + 3) // 4)) for n in range(126))
_KEY_SHIFT: Final = tuple(8 * (-n % 4) for n in range(126))
_LOW_BITS: Final = tuple((1 << (8 * n)) - 1 for n in range(126))
_TEXT: Final = WSMsgType.TEXT
_BINARY: Final = WSMsgType.BINARY


def _control_message(opcode: int, payload: bytes) -> WSMessage:
    if opcode == _OP_PING:
        return WSMessage(WSMsgType.PING, payload, "")
    if opcode == _OP_PONG:
        return WSMessage(WSMsgType.PONG, payload, "")
    if not payload:
        # Like aiohttp 3.x: a CLOSE without a status reports code 0 (RFC 6455 calls it 1005).
        return WSMessage(WSMsgType.CLOSE, 0, "")
    if len(payload) == 1:
        raise WebSocketError(_PROTOCOL_ERROR, "close frame with a 1-byte payload")
    code = int.from_bytes(payload[:2], "big")
    if not is_valid_close_code(code):
        raise WebSocketError(_PROTOCOL_ERROR, f"invalid close code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebSocketError(
            WSCloseCode.INVALID_TEXT, f"invalid UTF-8 close reason: {exc}"
        ) from None
    return WSMessage(WSMsgType.CLOSE, code, reason)
