"""WebSocket frame serialisation (RFC 6455 §5, RFC 7692): messages in, bytes out."""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable

from ._masking import websocket_mask
from .deflate import PerMessageDeflate, WSCompressor
from .models import WSMsgType
from .reader import is_valid_close_code

__all__ = ("WebSocketWriter", "build_close", "build_frame", "close_payload")

# Above this size a frame is returned as header and payload separately, so that a large
# payload is not copied just to put a few header bytes in front of it.
_JOIN_LIMIT = 16 * 1024
_CONTROL_OPCODES = frozenset((WSMsgType.CLOSE, WSMsgType.PING, WSMsgType.PONG))
_DATA_OPCODES = frozenset((WSMsgType.TEXT, WSMsgType.BINARY))
_TEXT_OR_NONE = frozenset((WSMsgType.TEXT, None))

RandomBytes = Callable[[int], bytes]

# The 2-byte header of a final, unmasked TEXT frame with a payload under 126 bytes.
_TEXT_HEADERS = tuple(bytes((0x81, length)) for length in range(126))


def _frame_parts(
    opcode: int,
    payload: bytes,
    *,
    fin: bool,
    mask: bool,
    rsv1: bool,
    random: RandomBytes,
) -> list[bytes]:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = bytes((first, mask_bit | length))
    elif length < 0x10000:
        header = bytes((first, mask_bit | 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((first, mask_bit | 127)) + length.to_bytes(8, "big")
    if mask:
        key = random(4)
        header += key
        payload = websocket_mask(key, payload)
    if length <= _JOIN_LIMIT:
        return [header + payload]
    return [header, payload]


def build_frame(
    opcode: int,
    payload: bytes,
    *,
    fin: bool = True,
    mask: bool = False,
    rsv1: bool = False,
    random: RandomBytes = os.urandom,
) -> bytes:
    """Serialise one frame. `mask=True` (required of clients) draws a key from `random`.

    No validation beyond the opcode range: this is the raw building block (tests use it to
    make invalid frames too). `WebSocketWriter` enforces the protocol rules.
    """
    if not 0 <= opcode <= 0xF:
        raise ValueError(f"opcode must be 0..15, not {opcode}")
    return b"".join(_frame_parts(opcode, payload, fin=fin, mask=mask, rsv1=rsv1, random=random))


def close_payload(code: int | None = 1000, reason: str | bytes = b"") -> bytes:
    """Return the payload of a CLOSE frame: the 2-byte code then the UTF-8 reason.

    `code=None` gives an empty payload (no status; then `reason` must be empty). Raises
    `ValueError` for a code that may not be sent or a reason over 123 bytes.
    """
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    if code is None:
        if reason:
            raise ValueError("a close reason needs a close code")
        return b""
    if not is_valid_close_code(code):
        raise ValueError(f"close code {code} may not be sent")
    if len(reason) > 123:
        raise ValueError("close reason over 123 bytes")
    return code.to_bytes(2, "big") + reason


def build_close(
    code: int | None = 1000,
    reason: str | bytes = b"",
    *,
    mask: bool = False,
    random: RandomBytes = os.urandom,
) -> bytes:
    """Serialise a CLOSE frame (see `close_payload` for the rules)."""
    return build_frame(WSMsgType.CLOSE, close_payload(code, reason), mask=mask, random=random)


class WebSocketWriter:
    """Encodes messages into frames for one side of a connection, without I/O.

    A client masks every frame (`is_client=True`), a server never does. `compress` is the
    permessage-deflate agreement; messages are then compressed unless a call says
    otherwise (or the message is shorter than `compress_threshold` bytes, where deflate
    rarely pays). `max_fragment_size` > 0 splits longer messages into fragments of at most
    that payload size. Every method returns the byte strings to write, in order (suitable
    for `transport.writelines`).
    """

    __slots__ = (
        "_compress_threshold",
        "_compressor",
        "_is_client",
        "_max_fragment",
        "_plain",
        "_random",
    )

    def __init__(
        self,
        *,
        is_client: bool,
        compress: PerMessageDeflate | None = None,
        compress_level: int = zlib.Z_DEFAULT_COMPRESSION,
        compress_threshold: int = 0,
        max_fragment_size: int = 0,
        random: RandomBytes = os.urandom,
    ) -> None:
        self._is_client = is_client
        self._compressor: WSCompressor | None = (
            compress.compressor(is_client=is_client, level=compress_level)
            if compress is not None
            else None
        )
        self._compress_threshold = compress_threshold
        self._max_fragment = max_fragment_size
        self._random = random
        # Every message goes out as one unmasked, uncompressed frame (see `text_headers`).
        self._plain = self._compressor is None and not is_client and not max_fragment_size

    def encode_message(
        self,
        data: str | bytes | bytearray | memoryview,
        opcode: int | None = None,
        *,
        compress: bool | None = None,
    ) -> list[bytes]:
        """Encode one TEXT or BINARY message; `str` data defaults to TEXT, bytes to BINARY.

        `compress=False` sends this message uncompressed even when deflate was agreed;
        `compress=True` without an agreement raises `ValueError`.
        """
        if self._plain and not compress and type(data) is str and opcode in _TEXT_OR_NONE:
            payload = data.encode("utf-8")
            length = len(payload)
            if length < 126:
                return [_TEXT_HEADERS[length] + payload]
            return _frame_parts(1, payload, fin=True, mask=False, rsv1=False, random=self._random)
        if isinstance(data, str):
            payload = data.encode("utf-8")
            opcode = WSMsgType.TEXT if opcode is None else opcode
        else:
            payload = bytes(data)
            opcode = WSMsgType.BINARY if opcode is None else opcode
        if opcode not in _DATA_OPCODES:
            raise ValueError(f"encode_message sends TEXT or BINARY, not opcode {opcode}")
        if compress and self._compressor is None:
            raise ValueError("compression was not negotiated")
        rsv1 = False
        wanted = compress or (compress is None and len(payload) >= self._compress_threshold)
        if self._compressor is not None and wanted:
            payload = self._compressor.compress(payload)
            rsv1 = True
        return self._fragments(opcode, payload, rsv1)

    @property
    def text_headers(self) -> tuple[bytes, ...] | None:
        """For a writer whose every message is one plain frame (unmasked, uncompressed,
        unfragmented: a server's without deflate), the frame header of a TEXT message by
        payload length, for payloads under 126 bytes; None for any other writer.

        The sender's fast path: ``text_headers[len(payload)] + payload`` is the frame
        `encode_message` would build, without a call.
        """
        return _TEXT_HEADERS if self._plain else None

    def _fragments(self, opcode: int, payload: bytes, rsv1: bool) -> list[bytes]:
        mask, random = self._is_client, self._random
        step = self._max_fragment
        if not step or len(payload) <= step:
            return _frame_parts(opcode, payload, fin=True, mask=mask, rsv1=rsv1, random=random)
        frames: list[bytes] = []
        view = memoryview(payload)
        last = len(payload) - step
        for offset in range(0, len(payload), step):
            frames += _frame_parts(
                opcode if offset == 0 else WSMsgType.CONTINUATION,
                bytes(view[offset : offset + step]),
                fin=offset >= last,
                mask=mask,
                rsv1=rsv1 and offset == 0,  # RSV1 marks the message, on its first frame only
                random=random,
            )
        return frames

    def _control(self, opcode: int, payload: str | bytes) -> list[bytes]:
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        if len(payload) > 125:
            raise ValueError("control frame payload over 125 bytes")
        return _frame_parts(
            opcode, bytes(payload), fin=True, mask=self._is_client, rsv1=False, random=self._random
        )

    def ping(self, message: str | bytes = b"") -> list[bytes]:
        """Encode a PING; a `str` payload is sent UTF-8 encoded."""
        return self._control(WSMsgType.PING, message)

    def pong(self, message: str | bytes = b"") -> list[bytes]:
        """Encode a PONG; a `str` payload is sent UTF-8 encoded."""
        return self._control(WSMsgType.PONG, message)

    def close(self, code: int | None = 1000, message: str | bytes = b"") -> list[bytes]:
        """Encode a CLOSE frame with `code` and reason `message` (see `close_payload`)."""
        return self._control(WSMsgType.CLOSE, close_payload(code, message))
