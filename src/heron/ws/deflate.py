"""permessage-deflate (RFC 7692): negotiation and the per-message codec.

Server side: `negotiate_deflate(offers)` picks the first acceptable offer from the client's
`Sec-WebSocket-Extensions` header and returns the agreement with the response header.
Client side: `DeflateOffer` builds the offer, `accept_deflate_response()` checks the
server's answer against it. The agreement, `PerMessageDeflate`, makes the codec for each
direction: `compressor(is_client=...)` and `decompressor(is_client=...)`.

Window bits: RFC 7692 allows 8..15, but zlib refuses an 8-bit window for raw deflate.
A compressor asked for 8 bits uses 9: zlib never emits a distance larger than the window
minus 262 bytes, i.e. at most 250 with 9 bits, which a peer with a 256-byte window
decodes fine. Decompressors always use a 15-bit window: a larger window decodes any
stream made with a smaller one, so a peer that ignores its limit still interoperates.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from .models import WSHandshakeError

__all__ = (
    "DeflateOffer",
    "PerMessageDeflate",
    "WSCompressor",
    "WSDecompressor",
    "accept_deflate_response",
    "negotiate_deflate",
    "parse_extensions",
)

EXTENSION_NAME = "permessage-deflate"
_TAIL = b"\x00\x00\xff\xff"
_ZLIB_MIN_WINDOW_BITS = 9
_WINDOW_BITS_VALUES = {str(bits): bits for bits in range(8, 16)}

_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[^"\\]|\\.)*"'
_NAME_RE = re.compile(rf"[ \t]*({_TOKEN})[ \t]*")
_PARAM_RE = re.compile(rf"[ \t]*({_TOKEN})[ \t]*(?:=[ \t]*({_TOKEN}|{_QUOTED})[ \t]*)?")
_TOKEN_RE = re.compile(_TOKEN)
_UNESCAPE_RE = re.compile(r"\\(.)")

ExtensionParams = list[tuple[str, str | None]]


def parse_extensions(values: str | Iterable[str]) -> list[tuple[str, ExtensionParams]]:
    """Parse `Sec-WebSocket-Extensions` header values (RFC 6455 §9.1).

    Returns `(name, [(param, value-or-None), ...])` per extension, in order, with names
    and parameter names lower-cased and quoted values unquoted. Raises `ValueError` on a
    syntax error.
    """
    if isinstance(values, str):
        values = (values,)
    result: list[tuple[str, ExtensionParams]] = []
    for value in values:
        _parse_extension_list(value, result)
    return result


def _parse_extension_list(value: str, result: list[tuple[str, ExtensionParams]]) -> None:
    pos, end = 0, len(value)
    while pos < end:
        if value[pos] in " \t,":  # empty list elements are allowed by the #rule
            pos += 1
            continue
        match = _NAME_RE.match(value, pos)
        if match is None:
            raise ValueError(f"bad extension name at {pos} in {value!r}")
        name = match.group(1).lower()
        pos = match.end()
        params: ExtensionParams = []
        while pos < end and value[pos] == ";":
            match = _PARAM_RE.match(value, pos + 1)
            if match is None:
                raise ValueError(f"bad extension parameter at {pos} in {value!r}")
            params.append((match.group(1).lower(), _param_value(match.group(2))))
            pos = match.end()
        if pos < end and value[pos] != ",":
            raise ValueError(f"unexpected {value[pos]!r} at {pos} in {value!r}")
        result.append((name, params))


def _param_value(raw: str | None) -> str | None:
    if raw is None or not raw.startswith('"'):
        return raw
    # RFC 6455 §9.1: a quoted value must still be a token once unquoted.
    unquoted = _UNESCAPE_RE.sub(r"\1", raw[1:-1])
    if _TOKEN_RE.fullmatch(unquoted) is None:
        raise ValueError(f"quoted parameter value is not a token: {raw!r}")
    return unquoted


@dataclass(frozen=True, slots=True)
class PerMessageDeflate:
    """The permessage-deflate parameters agreed for one connection."""

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15

    def compressor(
        self, *, is_client: bool, level: int = zlib.Z_DEFAULT_COMPRESSION
    ) -> WSCompressor:
        """Return the compressor for the messages this endpoint sends."""
        if is_client:
            bits, reset = self.client_max_window_bits, self.client_no_context_takeover
        else:
            bits, reset = self.server_max_window_bits, self.server_no_context_takeover
        return WSCompressor(window_bits=bits, no_context_takeover=reset, level=level)

    def decompressor(self, *, is_client: bool) -> WSDecompressor:
        """Return the decompressor for the messages this endpoint receives."""
        del is_client  # the receiving side is lenient: one 15-bit window decodes everything
        return WSDecompressor()


class WSCompressor:
    """Compresses whole messages for the wire (RFC 7692 §7.2.1).

    Each message ends with a sync flush whose trailing `00 00 ff ff` is removed. Without
    context takeover a full flush is used instead, so that the next message never refers
    to this one; this is cheaper than making a new zlib object per message.
    """

    __slots__ = ("_flush_mode", "_zobj")

    def __init__(
        self,
        *,
        window_bits: int = 15,
        no_context_takeover: bool = False,
        level: int = zlib.Z_DEFAULT_COMPRESSION,
    ) -> None:
        if not 8 <= window_bits <= 15:
            raise ValueError(f"window_bits must be 8..15, not {window_bits}")
        bits = max(window_bits, _ZLIB_MIN_WINDOW_BITS)  # see the module docstring
        self._zobj = zlib.compressobj(level, zlib.DEFLATED, -bits)
        self._flush_mode = zlib.Z_FULL_FLUSH if no_context_takeover else zlib.Z_SYNC_FLUSH

    def compress(self, data: bytes) -> bytes:
        """Return the compressed payload of one complete message."""
        out = self._zobj.compress(data) + self._zobj.flush(self._flush_mode)
        if out.endswith(_TAIL):
            out = out[:-4]
        # An empty result would be ambiguous to some peers: RFC 7692 §7.2.3.6 uses 0x00.
        return out or b"\x00"


class WSDecompressor:
    """Decompresses received messages fragment by fragment, with a size limit.

    Call `decompress()` for each fragment's payload and `finish()` once the final
    fragment arrived (it feeds the `00 00 ff ff` tail that the sender removed). Both take
    `max_length`: at most that many bytes are returned (0 = no limit); a caller that gets
    exactly `max_length` bytes knows the message is over its limit.
    """

    __slots__ = ("_zobj",)

    def __init__(self) -> None:
        self._zobj = zlib.decompressobj(-15)

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        """Decompress part of a message. Raises `zlib.error` on corrupt data."""
        if self._zobj.eof:
            # The peer ended its previous message with a final block: start a new stream.
            self._zobj = zlib.decompressobj(-15)
        return self._zobj.decompress(data, max_length)

    def finish(self, max_length: int = 0) -> bytes:
        """End the current message and return any output still held back."""
        if self._zobj.eof:
            return b""  # the message ended with a final block (RFC 7692 §7.2.3.4)
        return self._zobj.decompress(_TAIL, max_length)


@dataclass(frozen=True, slots=True)
class DeflateOffer:
    """A client's permessage-deflate offer.

    `client_max_window_bits=True` sends the parameter without a value (the server may
    choose); an int sends that limit; `False` leaves it out. `server_max_window_bits`
    asks the server for a smaller window.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | bool = True

    def __post_init__(self) -> None:
        for bits in (self.server_max_window_bits, self.client_max_window_bits):
            if not isinstance(bits, bool) and bits is not None and not 8 <= bits <= 15:
                raise ValueError(f"window bits must be 8..15, not {bits}")

    def header(self) -> str:
        """Return the `Sec-WebSocket-Extensions` value of this offer."""
        parts = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.client_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.server_max_window_bits is not None:
            parts.append(f"server_max_window_bits={self.server_max_window_bits}")
        if self.client_max_window_bits is True:
            parts.append("client_max_window_bits")
        elif self.client_max_window_bits is not False:
            parts.append(f"client_max_window_bits={self.client_max_window_bits}")
        return "; ".join(parts)


class _BadParams(ValueError):
    pass


def _read_params(params: ExtensionParams) -> dict[str, str | None]:
    """Check the parameter names, duplicates and value syntax of one permessage-deflate."""
    seen: dict[str, str | None] = {}
    for key, value in params:
        if key in seen:
            raise _BadParams(f"duplicate parameter {key}")
        if key in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                raise _BadParams(f"{key} takes no value")
        elif key in ("server_max_window_bits", "client_max_window_bits"):
            if value is not None and value not in _WINDOW_BITS_VALUES:
                raise _BadParams(f"bad {key} value {value!r}")
            if value is None and key == "server_max_window_bits":
                raise _BadParams(f"{key} needs a value")
        else:
            raise _BadParams(f"unknown parameter {key}")
        seen[key] = value
    return seen


def _bits(value: str | None) -> int | None:
    return None if value is None else _WINDOW_BITS_VALUES[value]


def negotiate_deflate(
    offers: str | Iterable[str] | None,
    *,
    server_no_context_takeover: bool = False,
    client_no_context_takeover: bool = False,
    server_max_window_bits: int = 15,
    client_max_window_bits: int = 15,
) -> tuple[PerMessageDeflate, str] | None:
    """Server side: accept the first acceptable permessage-deflate offer.

    `offers` are the request's `Sec-WebSocket-Extensions` values. The keyword arguments
    are the server's own wishes: the no-context-takeover flags are always granted (RFC
    7692 §7.1.1), `server_max_window_bits` caps the server's own window and
    `client_max_window_bits` caps the client's when the client announced support for it.
    Returns `(agreement, response_header)`, or `None` when no offer is acceptable (the
    connection then runs uncompressed). Malformed headers decline compression.
    """
    if offers is None:
        return None
    try:
        extensions = parse_extensions(offers)
    except ValueError:
        return None
    for name, params in extensions:
        if name != EXTENSION_NAME:
            continue
        try:
            seen = _read_params(params)
        except _BadParams:
            continue  # RFC 7692 §5: decline this offer, try the next one
        server_reset = server_no_context_takeover or "server_no_context_takeover" in seen
        client_reset = client_no_context_takeover or "client_no_context_takeover" in seen
        parts = [EXTENSION_NAME]
        if server_reset:
            parts.append("server_no_context_takeover")
        if client_reset:
            parts.append("client_no_context_takeover")
        server_bits = server_max_window_bits
        offered = _bits(seen.get("server_max_window_bits"))
        if offered is not None:
            server_bits = min(offered, server_bits)
            parts.append(f"server_max_window_bits={server_bits}")
        client_bits = 15
        if "client_max_window_bits" in seen:
            client_bits = min(_bits(seen["client_max_window_bits"]) or 15, client_max_window_bits)
            if client_bits < 15 or seen["client_max_window_bits"] is not None:
                parts.append(f"client_max_window_bits={client_bits}")
        agreement = PerMessageDeflate(server_reset, client_reset, server_bits, client_bits)
        return agreement, "; ".join(parts)
    return None


def accept_deflate_response(
    values: str | Iterable[str] | None, offer: DeflateOffer | None
) -> PerMessageDeflate | None:
    """Client side: check the server's `Sec-WebSocket-Extensions` answer against `offer`.

    Returns the agreement, or `None` when the server declined compression. Raises
    `WSHandshakeError` when the answer is malformed, names an extension that was not
    offered, or does not fit the offer (RFC 7692 §7.1).
    """
    if values is None:
        return None
    try:
        extensions = parse_extensions(values)
    except ValueError as exc:
        raise WSHandshakeError(f"invalid Sec-WebSocket-Extensions: {exc}") from None
    if not extensions:
        return None
    if offer is None:
        raise WSHandshakeError("server accepted an extension that was not offered")
    if len(extensions) != 1 or extensions[0][0] != EXTENSION_NAME:
        names = ", ".join(name for name, _ in extensions)
        raise WSHandshakeError(f"server accepted extensions that were not offered: {names}")
    try:
        seen = _read_params(extensions[0][1])
    except _BadParams as exc:
        raise WSHandshakeError(f"invalid permessage-deflate response: {exc}") from None
    return _agreement_from_response(seen, offer)


def _agreement_from_response(seen: dict[str, str | None], offer: DeflateOffer) -> PerMessageDeflate:
    if offer.server_no_context_takeover and "server_no_context_takeover" not in seen:
        raise WSHandshakeError("server ignored server_no_context_takeover")
    server_bits = _bits(seen.get("server_max_window_bits")) or 15
    if offer.server_max_window_bits is not None:
        if "server_max_window_bits" not in seen:
            raise WSHandshakeError("server ignored server_max_window_bits")
        if server_bits > offer.server_max_window_bits:
            raise WSHandshakeError("server_max_window_bits above the offered value")
    client_bits = 15
    if offer.client_max_window_bits is not True and offer.client_max_window_bits is not False:
        client_bits = offer.client_max_window_bits
    if "client_max_window_bits" in seen:
        answered = _bits(seen["client_max_window_bits"])
        if offer.client_max_window_bits is False:
            raise WSHandshakeError("client_max_window_bits was not offered")
        if answered is None:
            raise WSHandshakeError("client_max_window_bits needs a value in a response")
        if answered > client_bits:
            raise WSHandshakeError("client_max_window_bits above the offered value")
        client_bits = answered
    client_reset = offer.client_no_context_takeover or "client_no_context_takeover" in seen
    return PerMessageDeflate(
        server_no_context_takeover="server_no_context_takeover" in seen,
        client_no_context_takeover=client_reset,
        server_max_window_bits=server_bits,
        client_max_window_bits=client_bits,
    )
