"""TLS for the client: default contexts and certificate pinning (:class:`Fingerprint`)."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import ssl
import warnings
from typing import Any

from .exceptions import ServerFingerprintMismatch

__all__ = ("Fingerprint", "SSLSetting", "ssl_context_for")

# md5 and sha1 digests are refused: both hashes allow practical collisions.
_REFUSED_DIGEST_LENGTHS = {16: "md5", 20: "sha1"}
_SHA256_LENGTH = 32


class Fingerprint:
    """Pin the server certificate to the SHA-256 digest of its DER encoding.

    ``Fingerprint(hashlib.sha256(der).digest())``; MD5 and SHA-1 digests raise
    :class:`ValueError`. A connection whose certificate differs raises
    :class:`~heron.ServerFingerprintMismatch`. Certificate verification is skipped
    when pinning: the pin is stricter than a chain of trust.
    """

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        length = len(fingerprint)
        if length in _REFUSED_DIGEST_LENGTHS:
            raise ValueError("md5 and sha1 are insecure and not supported. Use sha256.")
        if length != _SHA256_LENGTH:
            raise ValueError("fingerprint has invalid length")
        self._fingerprint = bytes(fingerprint)

    @property
    def fingerprint(self) -> bytes:
        """The pinned digest."""
        return self._fingerprint

    def check(self, transport: asyncio.BaseTransport) -> None:
        """Raise :class:`~heron.ServerFingerprintMismatch` unless the peer matches."""
        if transport.get_extra_info("sslcontext") is None:
            return
        sslobj = transport.get_extra_info("ssl_object")
        cert = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
        got = hashlib.sha256(cert or b"").digest()
        if got != self._fingerprint:
            host, port, *_ = transport.get_extra_info("peername") or ("", None)
            raise ServerFingerprintMismatch(self._fingerprint, got, host, port)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fingerprint) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"<Fingerprint {self._fingerprint.hex()}>"


SSLSetting = ssl.SSLContext | bool | Fingerprint
"""What ``ssl=`` accepts: True (verify), False (don't), a context, or a pin."""


@functools.cache
def _verified_context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def ssl_context_for(setting: Any) -> ssl.SSLContext:
    """The context to use for an ``ssl=`` setting (contexts are built once and shared)."""
    if isinstance(setting, ssl.SSLContext):
        return setting
    if setting is False or isinstance(setting, Fingerprint):
        return _unverified_context()
    return _verified_context()


def validate_ssl(setting: Any) -> SSLSetting:
    """Check an ``ssl=`` argument; ``None`` means the default (verify)."""
    if setting is None:
        return True
    if isinstance(setting, ssl.SSLContext | bool | Fingerprint):
        return setting
    raise TypeError(f"ssl should be SSLContext, Fingerprint, or bool, got {setting!r} instead.")


def legacy_request_ssl(
    ssl: Any, verify_ssl: bool | None, fingerprint: bytes | None, ssl_context: Any
) -> Any:
    """Fold the deprecated per-request TLS arguments of ``session.request()`` into ``ssl``."""
    if ssl is True and verify_ssl is None and fingerprint is None and ssl_context is None:
        return True
    ssl = validate_ssl(ssl)
    given = [x for x in (verify_ssl is False or None, fingerprint, ssl_context) if x is not None]
    if not given:
        return ssl
    if len(given) > 1 or ssl is not True:
        raise ValueError(
            "verify_ssl, ssl_context, fingerprint and ssl parameters are mutually exclusive"
        )
    warnings.warn(
        "verify_ssl, ssl_context and fingerprint are deprecated, use ssl=",
        DeprecationWarning,
        stacklevel=4,
    )
    if verify_ssl is False:
        return False
    if fingerprint is not None:
        return Fingerprint(fingerprint)
    return ssl_context
