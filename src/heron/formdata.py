"""HTML form bodies: :class:`FormData` builds url-encoded or multipart/form-data."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

from multidict import CIMultiDict, MultiDict, MultiDictProxy

from . import hdrs
from .contentdisposition import content_disposition_header
from .multipart_writer import MultipartWriter
from .payload import BytesPayload, Payload, get_payload

__all__ = ("FormData",)

_FORBIDDEN = frozenset("\r\n\x00")


def _guess_filename(obj: Any, default: str) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name and name[0] != "<" and name[-1] != ">":
        return os.path.basename(name)
    return default


def _check_text(what: str, value: str) -> None:
    if _FORBIDDEN.intersection(value):
        raise ValueError(f"{what} must not contain CR, LF or NUL: {value!r}")


class FormData:
    """A form to send as a request body.

    It is ``application/x-www-form-urlencoded`` while it holds only plain name/value
    fields and becomes ``multipart/form-data`` as soon as a field is a file or bytes,
    or has a filename, content type or transfer encoding (or with
    ``default_to_multipart=True``). ``fields`` may be a mapping, a sequence of
    ``(name, value)`` pairs, a multidict, or a file object. Calling the form returns
    the payload to send; a multipart form can be sent only once because its files are
    read to the end.
    """

    def __init__(
        self,
        fields: Any = (),
        quote_fields: bool = True,
        charset: str | None = None,
        *,
        default_to_multipart: bool = False,
    ) -> None:
        self._writer = MultipartWriter("form-data")
        self._fields: list[tuple[dict[str, str], CIMultiDict[str], Any]] = []
        self._is_multipart = default_to_multipart
        self._is_processed = False
        self._quote_fields = quote_fields
        self._charset = charset
        if isinstance(fields, Mapping):
            fields = list(fields.items())
        elif not isinstance(fields, list | tuple):
            fields = (fields,)
        self.add_fields(*fields)

    @property
    def is_multipart(self) -> bool:
        """True if the form will be sent as ``multipart/form-data``."""
        return self._is_multipart

    @property
    def content_type(self) -> str:
        """The Content-Type the form will be sent with."""
        if self._is_multipart:
            return self._writer.headers[hdrs.CONTENT_TYPE]
        if self._charset is None:
            return "application/x-www-form-urlencoded"
        return f"application/x-www-form-urlencoded; charset={self._charset}"

    def add_field(
        self,
        name: str,
        value: Any,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        content_transfer_encoding: str | None = None,
    ) -> None:
        """Add one field; a file object, bytes, ``filename`` or ``content_type`` makes
        the form multipart. A file's name defaults to its basename; bytes default to
        the field's name as filename."""
        if not isinstance(name, str):
            raise TypeError(f"field name must be str, got {type(name).__name__}")
        _check_text("field name", name)
        if isinstance(value, io.IOBase):
            self._is_multipart = True
            if filename is None:
                filename = _guess_filename(value, name)
        elif isinstance(value, bytes | bytearray | memoryview):
            self._is_multipart = True
            if filename is None and content_transfer_encoding is None:
                filename = name
        params = {"name": name}
        if filename is not None:
            if not isinstance(filename, str):
                raise TypeError(f"filename must be str, got {type(filename).__name__}")
            _check_text("filename", filename)
            params["filename"] = filename
            self._is_multipart = True
        headers: CIMultiDict[str] = CIMultiDict()
        if content_type is not None:
            if not isinstance(content_type, str):
                raise TypeError(f"content_type must be str, got {type(content_type).__name__}")
            _check_text("content_type", content_type)
            headers[hdrs.CONTENT_TYPE] = content_type
            self._is_multipart = True
        if content_transfer_encoding is not None:
            if not isinstance(content_transfer_encoding, str):
                raise TypeError("content_transfer_encoding must be str")
            _check_text("content_transfer_encoding", content_transfer_encoding)
            headers[hdrs.CONTENT_TRANSFER_ENCODING] = content_transfer_encoding
            self._is_multipart = True
        self._fields.append((params, headers, value))

    def add_fields(self, *fields: Any) -> None:
        """Add several fields: ``(name, value)`` pairs, mappings, multidicts or files."""
        pending: list[Any] = list(fields)
        while pending:
            rec = pending.pop(0)
            if isinstance(rec, io.IOBase):
                self.add_field(_guess_filename(rec, "unknown"), rec)
            elif isinstance(rec, MultiDict | MultiDictProxy | Mapping):
                pending[0:0] = list(rec.items())
            elif isinstance(rec, list | tuple) and len(rec) == 2:
                self.add_field(rec[0], rec[1])
            else:
                raise TypeError(
                    "Only io.IOBase, multidict and (name, file) pairs are allowed, "
                    f"use .add_field() for passing more complex parameters, got {rec!r}"
                )

    def _gen_form_urlencoded(self) -> Payload:
        pairs: Iterable[tuple[str, Any]] = [(p["name"], value) for p, _, value in self._fields]
        charset = self._charset or "utf-8"
        body = urlencode(list(pairs), doseq=True, encoding=charset).encode("ascii")
        return BytesPayload(body, content_type=self.content_type)

    def _gen_form_data(self) -> MultipartWriter:
        if self._is_processed:
            raise RuntimeError("Form data has been processed already")
        charset = self._charset or "utf-8"
        for params, headers, value in self._fields:
            try:
                # The filename lets the payload guess a Content-Type from its extension.
                extra = {"filename": params["filename"]} if "filename" in params else {}
                payload = get_payload(value, headers=headers, encoding=self._charset, **extra)
            except LookupError:
                raise TypeError(
                    f"Can not serialize value type: {type(value)} headers: {headers} "
                    f"value: {value!r}"
                ) from None
            if hdrs.CONTENT_TYPE in headers:
                payload.headers[hdrs.CONTENT_TYPE] = headers[hdrs.CONTENT_TYPE]
            payload.headers[hdrs.CONTENT_DISPOSITION] = content_disposition_header(
                "form-data", self._quote_fields, charset, params=params
            )
            self._writer.append_payload(payload)
        self._is_processed = True
        return self._writer

    def __call__(self) -> Payload:
        """The body to send: a url-encoded payload or a ``MultipartWriter``."""
        if self._is_multipart:
            return self._gen_form_data()
        return self._gen_form_urlencoded()
