"""Writing multipart bodies: :class:`MultipartWriter`, a payload made of payloads.

Each part is a :class:`~heron.payload.Payload` with its own headers. A part whose
headers carry Content-Encoding (gzip, deflate) or Content-Transfer-Encoding (base64,
quoted-printable) is encoded while it is written, chunk by chunk. Parts get no
Content-Length of their own (RFC 7578 section 4.8 and what form parsers expect); the
writer's own :attr:`~MultipartWriter.size` is known whenever every part's size is.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from multidict import CIMultiDict

from . import hdrs
from ._multipart_codecs import PartEncoder
from .contentdisposition import content_disposition_header
from .helpers import _split_params, is_token
from .payload import JsonPayload, Payload, StringPayload, get_payload, register_payload
from .writer import AbstractStreamWriter

__all__ = ("MultipartWriter", "parse_content_type", "validate_boundary")

_BCHARS_NOSPACE = frozenset(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"
)
_MAX_BOUNDARY = 70


def validate_boundary(boundary: str, *, strict: bool = True) -> None:
    """Raise ValueError unless ``boundary`` is a usable multipart boundary.

    ``strict`` applies RFC 2046's grammar (1 to 70 of ``bchars``, not ending in a
    space) for boundaries we generate or are given to write; readers only insist on
    1 to 70 printable ASCII characters, which is what real senders need.
    """
    if not isinstance(boundary, str):
        raise TypeError(f"boundary must be str, got {type(boundary).__name__}")
    if not 0 < len(boundary) <= _MAX_BOUNDARY:
        raise ValueError(f"boundary must be 1 to {_MAX_BOUNDARY} characters: {boundary!r}")
    if strict:
        if boundary.endswith(" ") or not all(c in _BCHARS_NOSPACE or c == " " for c in boundary):
            raise ValueError(f"boundary has characters RFC 2046 does not allow: {boundary!r}")
    elif not all(" " <= c <= "~" for c in boundary):
        raise ValueError(f"invalid boundary: {boundary!r}")


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        out: list[str] = []
        chars = iter(value[1:-1])
        for ch in chars:
            out.append(next(chars, "") if ch == "\\" else ch)
        return "".join(out)
    return value


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Type into a lower-cased ``type/subtype`` and its parameters."""
    pieces = _split_params(value)
    mimetype = pieces[0].strip().lower()
    params: dict[str, str] = {}
    for piece in pieces[1:]:
        key, sep, val = piece.partition("=")
        key = key.strip().lower()
        if sep and key and key not in params:
            params[key] = _unquote(val.strip())
    return mimetype, params


def _serialize_headers(headers: Mapping[str, str]) -> bytes:
    lines = []
    for name, value in headers.items():
        if any(c in value for c in "\r\n\x00") or any(c in name for c in "\r\n\x00:"):
            raise ValueError(f"invalid character in multipart part header {name!r}")
        lines.append(f"{name}: {value}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")


def _encoder_for(payload: Payload) -> PartEncoder:
    return PartEncoder(
        payload.headers.get(hdrs.CONTENT_ENCODING),
        payload.headers.get(hdrs.CONTENT_TRANSFER_ENCODING),
    )


class _EncodingWriter(AbstractStreamWriter):
    """Passes a part's bytes through its encoder on their way to the real writer."""

    def __init__(self, inner: AbstractStreamWriter, encoder: PartEncoder) -> None:
        self._inner = inner
        self._encoder = encoder

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        data = self._encoder.feed(bytes(chunk))
        if data:
            await self._inner.write(data)

    async def write_eof(self, chunk: bytes = b"") -> None:
        if chunk:
            await self.write(chunk)

    async def drain(self) -> None:
        await self._inner.drain()

    def enable_compression(self, encoding: str = "deflate") -> None:
        raise RuntimeError("a multipart part is encoded by its own headers")

    def enable_chunking(self) -> None:
        raise RuntimeError("a multipart part cannot be chunked")

    async def write_headers(self, head: bytes) -> None:
        raise RuntimeError("a multipart part has no HTTP head")

    async def finish(self) -> None:
        data = self._encoder.flush()
        if data:
            await self._inner.write(data)


class MultipartWriter(Payload):
    """A ``multipart/<subtype>`` body built from parts; itself a payload.

    ``boundary`` defaults to a random one; a given boundary must follow RFC 2046
    (1 to 70 characters from its set) and is quoted in Content-Type when needed.
    Pass the writer as ``data=`` to a client request or as a response body. Parts are
    added with :meth:`append`, :meth:`append_json`, :meth:`append_form` and
    :meth:`append_payload`; each returns the part's payload so its headers can be
    adjusted (for example with ``set_content_disposition``).
    """

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        if boundary is None:
            boundary = uuid.uuid4().hex
        validate_boundary(boundary)
        if not is_token(subtype):
            raise ValueError(f"invalid multipart subtype: {subtype!r}")
        self._boundary_str = boundary
        self._boundary = boundary.encode("ascii")
        quoted = boundary if is_token(boundary) else f'"{boundary}"'
        ctype = f"multipart/{subtype}; boundary={quoted}"
        super().__init__(None, content_type=ctype)
        self.headers[hdrs.CONTENT_TYPE] = ctype
        self._subtype = subtype
        self._is_form_data = subtype == "form-data"
        self._parts: list[Payload] = []

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def __iter__(self) -> Iterator[Payload]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    @property
    def boundary(self) -> str:
        """The boundary string (without quotes or dashes)."""
        return self._boundary_str

    def append(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part made from ``obj`` (str, bytes, file, payload, nested writer...).

        ``headers`` override the defaults the payload picks for ``obj``.
        """
        if isinstance(obj, Payload):
            if headers:
                obj.headers.update(headers)
            return self.append_payload(obj)
        try:
            payload = get_payload(obj, headers=CIMultiDict(headers or {}))
        except LookupError:
            raise TypeError(f"Cannot create payload from {obj!r}") from None
        return self.append_payload(payload)

    def append_payload(self, payload: Payload) -> Payload:
        """Add an existing payload as a part; returns it."""
        _encoder_for(payload)  # RuntimeError now rather than while sending
        if self._is_form_data and hdrs.CONTENT_DISPOSITION not in payload.headers:
            name = f"section-{len(self._parts)}"
            payload.headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
                "form-data", name=name
            )
        self._parts.append(payload)
        return payload

    def append_json(self, obj: Any, headers: Mapping[str, str] | None = None) -> Payload:
        """Add a part holding ``obj`` serialised as JSON."""
        return self.append_payload(JsonPayload(obj, headers=CIMultiDict(headers or {})))

    def append_form(
        self,
        obj: Sequence[tuple[str, str]] | Mapping[str, str],
        headers: Mapping[str, str] | None = None,
    ) -> Payload:
        """Add a part holding ``obj`` as an ``application/x-www-form-urlencoded`` form."""
        items = list(obj.items()) if isinstance(obj, Mapping) else list(obj)
        data = urlencode(items, doseq=True)
        return self.append_payload(
            StringPayload(
                data,
                headers=CIMultiDict(headers or {}),
                content_type="application/x-www-form-urlencoded",
            )
        )

    @property
    def size(self) -> int | None:
        """Total body size in bytes, or None if a part's size is not known upfront."""
        total = 0
        dash = len(self._boundary) + 2
        for part in self._parts:
            part_size = part.size
            if part_size is None or not _encoder_for(part).is_identity:
                return None
            total += dash + 2 + len(_serialize_headers(part.headers)) + part_size + 2
        return total + dash + 4

    async def write(self, writer: AbstractStreamWriter, close_boundary: bool = True) -> None:
        """Write every part, then (with ``close_boundary``) the close delimiter."""
        opener = b"--" + self._boundary + b"\r\n"
        for part in self._parts:
            encoder = _encoder_for(part)
            await writer.write(opener + _serialize_headers(part.headers))
            if encoder.is_identity:
                await part.write(writer)
            else:
                wrapped = _EncodingWriter(writer, encoder)
                await part.write(wrapped)
                await wrapped.finish()
            await writer.write(b"\r\n")
        if close_boundary:
            await writer.write(b"--" + self._boundary + b"--\r\n")

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (parts that need an encoder are encoded on the way)."""
        pieces: list[str] = []
        for part in self._parts:
            pieces.append(f"--{self._boundary_str}\r\n")
            pieces.append(_serialize_headers(part.headers).decode("utf-8"))
            text = part.decode(encoding, errors)
            encoder = _encoder_for(part)
            if not encoder.is_identity:
                raw = encoder.feed(text.encode(encoding, errors)) + encoder.flush()
                text = raw.decode("latin-1")
            pieces.append(text)
            pieces.append("\r\n")
        pieces.append(f"--{self._boundary_str}--\r\n")
        return "".join(pieces)


def _self_payload(obj: MultipartWriter, *args: Any, **kwargs: Any) -> MultipartWriter:
    return obj


register_payload(_self_payload, MultipartWriter)
