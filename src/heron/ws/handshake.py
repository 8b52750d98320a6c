"""The WebSocket opening handshake (RFC 6455 §4) without I/O, for both sides.

Server: `validate_client_handshake()` checks an upgrade request, `select_protocol()`
chooses the subprotocol, `build_server_response_headers()` makes the 101 headers;
`server_handshake()` does all three plus permessage-deflate negotiation in one call.
Client: `build_client_request_headers()` makes the request headers and
`validate_server_handshake()` checks the answer.

Subprotocol choice: the first protocol *in the client's list* that the server also
supports wins (RFC 6455 §4.2.2 lists the client's protocols "ordered by preference";
aiohttp 3.x and 0.14.1+ behave so: a client offering `a, b` to a server that knows
`b, a` gets `a`).

Version mismatch: answered with 426 Upgrade Required and `Sec-WebSocket-Version: 13, 8, 7`
as RFC 6455 §4.2.2 suggests (aiohttp answers 400; both are allowed, 426 tells a client
precisely what went wrong). Versions 7 and 8 (hybi drafts) frame data as 13 does.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy

from .deflate import DeflateOffer, PerMessageDeflate, accept_deflate_response, negotiate_deflate
from .models import WSHandshakeError

__all__ = (
    "SUPPORTED_VERSIONS",
    "WS_KEY_GUID",
    "ClientHandshake",
    "ServerHandshake",
    "ServerHandshakeResult",
    "build_client_request_headers",
    "build_server_response_headers",
    "generate_key",
    "select_protocol",
    "server_handshake",
    "validate_client_handshake",
    "validate_server_handshake",
    "ws_accept_key",
)

WS_KEY_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
SUPPORTED_VERSIONS = ("13", "8", "7")
_VERSION_HEADER = ("Sec-WebSocket-Version", ", ".join(SUPPORTED_VERSIONS))

Headers = Mapping[str, str]
HeaderList = list[tuple[str, str]]


def ws_accept_key(key: str | bytes) -> str:
    """Return the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2)."""
    if isinstance(key, str):
        key = key.encode("ascii")
    digest = hashlib.sha1(key + WS_KEY_GUID.encode("ascii"), usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def generate_key() -> str:
    """Return a fresh `Sec-WebSocket-Key`: 16 random bytes, base64-encoded."""
    return base64.b64encode(os.urandom(16)).decode("ascii")


def _values(headers: Headers, name: str) -> list[str]:
    """All values of header `name`, whatever mapping type holds them."""
    if isinstance(headers, CIMultiDict | CIMultiDictProxy):
        return headers.getall(name, [])
    # items() of a case-sensitive MultiDict yields every pair, duplicates included.
    lowered = name.lower()
    return [v for k, v in headers.items() if k.lower() == lowered]


def _tokens(values: Iterable[str]) -> list[str]:
    """Split comma-separated header values into stripped, non-empty items."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _has_token(headers: Headers, name: str, token: str) -> bool:
    return token in (item.lower() for item in _tokens(_values(headers, name)))


class ClientHandshake(NamedTuple):
    """What a valid client upgrade request asked for."""

    key: str
    protocols: tuple[str, ...]
    extensions: tuple[str, ...]
    version: int


def validate_client_handshake(method: str, headers: Headers) -> ClientHandshake:
    """Check a client's upgrade request (RFC 6455 §4.2.1).

    Returns the key, offered subprotocols (in the client's order), the raw
    `Sec-WebSocket-Extensions` values and the version. Raises `WSHandshakeError` carrying
    the HTTP status to answer: 405 (with `Allow: GET`) for another method, 400 for a
    missing `Upgrade: websocket`/`Connection: upgrade` or a missing or malformed key, 426
    (with `Sec-WebSocket-Version`) for a missing or unsupported version.
    """
    if method.upper() != "GET":
        raise WSHandshakeError(
            f"WebSocket upgrade needs GET, not {method}", status=405, headers=[("Allow", "GET")]
        )
    if not _has_token(headers, "Upgrade", "websocket"):
        raise WSHandshakeError("no 'Upgrade: websocket' header")
    if not _has_token(headers, "Connection", "upgrade"):
        raise WSHandshakeError("no 'Connection: upgrade' header")
    versions = [v.strip() for v in _values(headers, "Sec-WebSocket-Version")]
    if len(versions) != 1 or versions[0] not in SUPPORTED_VERSIONS:
        raise WSHandshakeError(
            f"unsupported WebSocket version: {', '.join(versions) or 'none'}",
            status=426,
            headers=[_VERSION_HEADER],
        )
    keys = _values(headers, "Sec-WebSocket-Key")
    if len(keys) != 1:
        raise WSHandshakeError("exactly one Sec-WebSocket-Key header is required")
    key = keys[0].strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except binascii.Error:
        raise WSHandshakeError(f"invalid Sec-WebSocket-Key {key!r}") from None
    if len(raw) != 16:
        raise WSHandshakeError(f"Sec-WebSocket-Key {key!r} is not 16 bytes")
    return ClientHandshake(
        key=key,
        protocols=tuple(_tokens(_values(headers, "Sec-WebSocket-Protocol"))),
        extensions=tuple(_values(headers, "Sec-WebSocket-Extensions")),
        version=int(versions[0]),
    )


def select_protocol(client_protocols: Iterable[str], server_protocols: Iterable[str]) -> str | None:
    """Return the first of the client's protocols that the server supports, or `None`."""
    known = frozenset(server_protocols)
    for protocol in client_protocols:
        if protocol in known:
            return protocol
    return None


def build_server_response_headers(
    key: str, *, protocol: str | None = None, extensions: str | None = None
) -> HeaderList:
    """Return the headers of the 101 Switching Protocols answer to `key`."""
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "upgrade"),
        ("Sec-WebSocket-Accept", ws_accept_key(key)),
    ]
    if protocol is not None:
        headers.append(("Sec-WebSocket-Protocol", protocol))
    if extensions:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    return headers


class ServerHandshake(NamedTuple):
    """A server's side of an accepted handshake: what to answer and what was agreed."""

    headers: HeaderList
    protocol: str | None
    compress: PerMessageDeflate | None
    request: ClientHandshake


def server_handshake(
    method: str,
    headers: Headers,
    *,
    protocols: Iterable[str] = (),
    compress: bool = True,
    server_no_context_takeover: bool = False,
    client_no_context_takeover: bool = False,
    server_max_window_bits: int = 15,
    client_max_window_bits: int = 15,
) -> ServerHandshake:
    """Validate a request, choose a subprotocol and negotiate compression in one step.

    Raises `WSHandshakeError` as `validate_client_handshake` does. With `compress=False`
    any permessage-deflate offer is declined.
    """
    request = validate_client_handshake(method, headers)
    protocol = select_protocol(request.protocols, protocols)
    agreement: PerMessageDeflate | None = None
    response_extensions: str | None = None
    if compress and request.extensions:
        negotiated = negotiate_deflate(
            request.extensions,
            server_no_context_takeover=server_no_context_takeover,
            client_no_context_takeover=client_no_context_takeover,
            server_max_window_bits=server_max_window_bits,
            client_max_window_bits=client_max_window_bits,
        )
        if negotiated is not None:
            agreement, response_extensions = negotiated
    response = build_server_response_headers(
        request.key, protocol=protocol, extensions=response_extensions
    )
    return ServerHandshake(response, protocol, agreement, request)


def build_client_request_headers(
    key: str,
    *,
    protocols: Iterable[str] = (),
    compress: DeflateOffer | None = None,
    origin: str | None = None,
) -> HeaderList:
    """Return the WebSocket headers of a client's upgrade request (the caller adds Host)."""
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", key),
    ]
    protocols = tuple(protocols)
    if protocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(protocols)))
    if compress is not None:
        headers.append(("Sec-WebSocket-Extensions", compress.header()))
    if origin is not None:
        headers.append(("Origin", origin))
    return headers


class ServerHandshakeResult(NamedTuple):
    """What a client learns from a valid 101 answer."""

    protocol: str | None
    compress: PerMessageDeflate | None


def validate_server_handshake(
    status: int,
    headers: Headers,
    key: str,
    protocols: Iterable[str] = (),
    compress_offer: DeflateOffer | None = None,
) -> ServerHandshakeResult:
    """Check a server's answer to our upgrade request (RFC 6455 §4.1).

    Raises `WSHandshakeError` (with `status` set to the answer's status) when the status
    is not 101, the upgrade headers are missing, `Sec-WebSocket-Accept` does not match
    `key`, the server chose a subprotocol that was not offered, or its extensions answer
    does not fit `compress_offer`.
    """

    def fail(message: str) -> WSHandshakeError:
        return WSHandshakeError(message, status=status)

    if status != 101:
        raise fail(f"invalid response status {status}")
    if not _has_token(headers, "Upgrade", "websocket"):
        raise fail("invalid upgrade header")
    if not _has_token(headers, "Connection", "upgrade"):
        raise fail("invalid connection header")
    accepts = _values(headers, "Sec-WebSocket-Accept")
    if len(accepts) != 1 or accepts[0].strip() != ws_accept_key(key):
        raise fail("invalid Sec-WebSocket-Accept")
    chosen = _tokens(_values(headers, "Sec-WebSocket-Protocol"))
    protocol: str | None = None
    if chosen:
        if len(chosen) != 1 or chosen[0] not in tuple(protocols):
            raise fail(f"server chose a subprotocol that was not offered: {', '.join(chosen)}")
        protocol = chosen[0]
    extensions = _values(headers, "Sec-WebSocket-Extensions")
    try:
        agreement = accept_deflate_response(extensions or None, compress_offer)
    except WSHandshakeError as exc:
        raise fail(exc.message) from None
    return ServerHandshakeResult(protocol, agreement)
