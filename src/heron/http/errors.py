"""The error family of the HTTP layer.

Every rejection of a malformed or hostile message is a :class:`BadHttpMessage`
subclass that carries the status a server should answer with, so the server turns
any parser error into a response without a lookup table.
"""

from __future__ import annotations

from typing import Any

__all__ = (
    "BadHttpMessage",
    "BadHttpMethod",
    "BadStatusLine",
    "ContentEncodingError",
    "ContentLengthError",
    "DecompressedSizeError",
    "HttpProcessingError",
    "InvalidHeader",
    "InvalidURLError",
    "LineTooLong",
    "PayloadTooLarge",
    "TooManyHeaders",
    "TransferEncodingError",
    "UnsupportedTransferEncoding",
    "UnsupportedVersion",
)


class HttpProcessingError(Exception):
    """Base of all HTTP processing errors; ``code`` is the status to answer with."""

    code = 0
    message = ""
    headers: object = None  # headers to answer with (0.x and aiohttp 3.x accept headers=)
    # Set by the parsers: the events completed in the failing feed before the error
    # (a valid head before a bad body, good pipelined requests before a bad one).
    events: list[Any]

    def __init__(
        self, message: str = "", *, code: int | None = None, headers: object = None
    ) -> None:
        if code is not None:
            self.code = code
        self.message = message or self.message
        self.headers = headers
        self.events = []
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code}, message={self.message!r}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"


class BadHttpMessage(HttpProcessingError):
    """A message that does not follow HTTP/1.1: answer 400 and close the connection."""

    code = 400
    message = "Bad Request"


class BadStatusLine(BadHttpMessage):
    """The request line or status line is malformed."""

    def __init__(self, line: str = "", message: str = "") -> None:
        self.line = line
        super().__init__(message or f"Bad status line {line!r}")


class BadHttpMethod(BadStatusLine):
    """The method token is not valid."""


class InvalidURLError(BadHttpMessage):
    """The request target cannot be parsed."""


class InvalidHeader(BadHttpMessage):
    """A header name or value is malformed or conflicts with another."""

    def __init__(self, header: str | bytes = "", message: str = "") -> None:
        if isinstance(header, bytes):
            header = header.decode("utf-8", "surrogateescape")
        self.header = header
        super().__init__(message or f"Invalid HTTP header: {header!r}")


class ContentLengthError(BadHttpMessage):
    """The body is shorter than its Content-Length, or the header is invalid."""


class TransferEncodingError(BadHttpMessage):
    """Chunked framing is broken."""


class ContentEncodingError(BadHttpMessage):
    """The body cannot be decoded with its Content-Encoding."""


class LineTooLong(BadHttpMessage):
    """A start line or header field is longer than the configured limit.

    ``code`` is 431 (Request Header Fields Too Large) for a header field and 414
    (URI Too Long) when the request line is too long; pass ``code=414`` for that.
    """

    code = 431

    def __init__(
        self,
        line: str = "",
        limit: int | str = "Unknown",
        actual_size: int | str = "",
        *,
        code: int | None = None,
    ) -> None:
        self.line = line
        self.limit = limit
        self.actual_size = actual_size
        super().__init__(
            f"Got more than {limit} bytes ({actual_size}) when reading {line}.", code=code
        )


class TooManyHeaders(BadHttpMessage):
    """The header section holds more fields than allowed."""

    code = 431


class PayloadTooLarge(BadHttpMessage):
    """The body is larger than allowed."""

    code = 413
    message = "Payload Too Large"


class DecompressedSizeError(PayloadTooLarge):
    """The decoded body would exceed the decompression limit (a decompression bomb)."""


class UnsupportedTransferEncoding(BadHttpMessage):
    """A Transfer-Encoding other than a final ``chunked``."""

    code = 501
    message = "Not Implemented"


class UnsupportedVersion(BadHttpMessage):
    """An HTTP version other than 1.0 or 1.1."""

    code = 505
    message = "HTTP Version Not Supported"
