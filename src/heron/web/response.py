"""Server responses: :class:`StreamResponse`, :class:`Response` and :func:`json_response`.

A response is a small state machine. Before :meth:`StreamResponse.prepare` its status,
headers and cookies may change freely; ``prepare()`` serialises the head (held back by
the writer so that a small response leaves in one ``transport.write``) and freezes them;
``write()`` sends body bytes; ``write_eof()`` ends the message, after which nothing may
be written any more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, MutableMapping
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any, Final

from multidict import CIMultiDict
from multidict import getversion as _getversion

from .. import hdrs
from ..http.models import HttpVersion10, HttpVersion11
from ..http.reasons import _REASONS, reason_phrase
from ..http.serializer import serialize_response_head
from ..typedefs import DEFAULT_JSON_ENCODER, JSONEncoder, LooseHeaders
from ..writer import StreamWriter
from ._response_compression import CompressionMixin, ContentCoding
from ._response_cookies import CookieMixin
from ._response_headers import (
    SERVER_SOFTWARE,
    ContentHeadersMixin,
    _date_and_server,
    _FrozenHeaders,
    _parse_lines,
)
from ._response_headers import (
    _http_date as _http_date,  # re-exported: _protocol_errors imports it from here
)
from ._response_json import STD_DUMPS, fast_dumps

if TYPE_CHECKING:
    from ..payload import Payload
    from ..writer import AbstractStreamWriter
    from .request import BaseRequest

__all__ = ("SERVER_SOFTWARE", "ContentCoding", "Response", "StreamResponse", "json_response")


_EMPTY_BODY_STATUSES: Final = frozenset({204, 304})


# Plain ``str`` names: they format faster than ``istr`` when the head is built.
_TEXT_HEADERS: Final = (("Content-Type", "text/plain; charset=utf-8"),)
_JSON_HEADERS: Final = (("Content-Type", "application/json; charset=utf-8"),)
# Never changed, only copied: copy() is half the cost of building from pairs.
_TEXT_PROTO: Final = CIMultiDict(_TEXT_HEADERS)
_JSON_PROTO: Final = CIMultiDict(_JSON_HEADERS)
_new_response = object.__new__

# Heads of plain responses (Response._begin), keyed by all they depend on (the Date
# line too: old seconds are never hit again); cleared when full.
_HEADS: dict[tuple[Any, ...], tuple[bytes, str]] = {}
_OCTET_LINE: Final = "Content-Type: application/octet-stream\r\n"
_HEADS_MAX: Final = 256
# multidict's version stamp (changes with every mutation); typed for any multidict.
getversion: Final[Callable[[CIMultiDict[str]], int]] = _getversion  # type: ignore[assignment]


class StreamResponse(ContentHeadersMixin, CookieMixin, CompressionMixin, MutableMapping[str, Any]):
    """A response whose body is written piece by piece.

    ``await prepare(request)`` sends the status line and headers; ``await write(data)``
    sends body bytes; ``await write_eof()`` finishes. Without a ``content_length`` the
    body is sent chunked on HTTP/1.1 and delimited by closing the connection on
    HTTP/1.0. The response also stores arbitrary per-response data (``resp['k'] = v``).

    Content headers, cookies and compression are written in their own small modules
    (``_response_headers``, ``_response_cookies``, ``_response_compression``) as mixins.
    """

    _length_check = True
    # Defaults on the class: an instance only stores what changes (cheaper to create).
    _keep_alive: bool | None = None
    _chunked = False
    _compression = False
    _compression_force: ContentCoding | None = None
    _cookies: SimpleCookie | None = None
    _req: BaseRequest | None = None
    _payload_writer: AbstractStreamWriter | None = None
    _eof_sent = False
    _headers_sent = False
    _must_be_empty_body = False
    _body_length = 0
    _head_length = 0
    _state: dict[str, Any] | None = None
    # Header lines added at prepare() (Date, Server, ...), serialised without being
    # stored; merged into ``headers`` only if someone looks at them afterwards.
    _added_lines = ""

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: LooseHeaders | None = None,
    ) -> None:
        if headers is None:
            self._headers: CIMultiDict[str] = CIMultiDict()
        elif type(headers) is CIMultiDict:
            self._headers = headers
        else:
            self._headers = CIMultiDict(headers)
        self._init_status(status, reason)

    def _init_status(self, status: int, reason: str | None) -> None:
        if reason is None and type(status) is int and 100 <= status <= 999:
            self._status = status
            self._reason = _REASONS.get(status, "")
        else:
            self.set_status(status, reason)

    # -- status ------------------------------------------------------------------

    @property
    def prepared(self) -> bool:
        """True once ``prepare()`` was called (the head is on its way)."""
        return self._eof_sent or self._payload_writer is not None

    @property
    def started(self) -> bool:
        """Deprecated 0.x name of :attr:`prepared`."""
        from ..legacy._deprecation import warn_deprecated

        warn_deprecated("StreamResponse.started", "StreamResponse.prepared")
        return self.prepared

    def start(self, request: BaseRequest) -> asyncio.Task[AbstractStreamWriter | None]:
        """Deprecated 0.x ``start()``: ``prepare()`` in a task, without ``on_response_prepare``."""
        from ..legacy.web import start_response

        return start_response(self, request)

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task serving the request this response answers, if prepared."""
        return self._req.task if self._req is not None else None

    @property
    def status(self) -> int:
        """The status code (200 by default)."""
        return self._status

    @property
    def reason(self) -> str:
        """The reason phrase."""
        return self._reason

    def set_status(self, status: int, reason: str | None = None) -> None:
        """Change the status; the reason phrase follows it unless ``reason`` is given."""
        if self.prepared:
            raise RuntimeError("Cannot change the response status after prepare()")
        status = int(status)
        if not 100 <= status <= 999:
            raise ValueError(f"Invalid status code {status!r}")
        if reason is None:
            reason = reason_phrase(status)
        elif "\r" in reason or "\n" in reason:
            raise ValueError("Reason cannot contain CR or LF")
        self._status = status
        self._reason = reason

    # -- connection ----------------------------------------------------------------

    @property
    def keep_alive(self) -> bool | None:
        """Whether the connection stays open after this response (None: as the request)."""
        return self._keep_alive

    def force_close(self) -> None:
        """Close the connection after this response (irreversible)."""
        self._keep_alive = False

    @property
    def body_length(self) -> int:
        """Body bytes sent (after compression and framing), known after ``write_eof()``."""
        return self._body_length

    @property
    def output_length(self) -> int:
        """Bytes sent in total, head included."""
        return self._body_length + self._head_length

    @property
    def chunked(self) -> bool:
        """True once chunked transfer coding was enabled."""
        return self._chunked

    def enable_chunked_encoding(self, chunk_size: int | None = None) -> None:
        """Send the body with chunked transfer coding (HTTP/1.1 only); irreversible."""
        if chunk_size is not None:
            raise TypeError("chunk_size is no longer supported; each write() is one chunk")
        if hdrs.CONTENT_LENGTH in self._headers:
            raise RuntimeError("You can't enable chunked encoding when a content length is set")
        self._chunked = True

    # -- headers -------------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDict[str]:
        """Outgoing headers; read-only (RuntimeError on change) after ``prepare()``."""
        if self._headers_sent and type(self._headers) is not _FrozenHeaders:
            headers = self._headers
            if self._added_lines:
                headers.extend(_parse_lines(self._added_lines))
            self._headers = _FrozenHeaders(headers)
        return self._headers

    def _check_not_prepared(self) -> None:
        if self.prepared:
            raise RuntimeError("Cannot change a response after prepare()")

    # -- sending -------------------------------------------------------------------

    async def prepare(self, request: BaseRequest) -> AbstractStreamWriter | None:
        """Send the status line and headers (once); return the body writer.

        Fires the application's ``on_response_prepare`` signal first, so receivers may
        still change headers. Returns None if the response was already finished.
        """
        if self._eof_sent:
            return None
        if self._payload_writer is not None:
            return self._payload_writer
        hook = request._prepare_flag
        if hook is None:
            hook = request._has_prepare_hook()
        if hook:
            await request._prepare_hook(self)
        status = self._status
        self._must_be_empty_body = (
            request._method == hdrs.METH_HEAD or status in _EMPTY_BODY_STATUSES or status < 200
        )
        writer = request._payload_writer
        if status != 101 and type(writer) is StreamWriter and writer._on_headers_sent is None:
            # The common case without the _start coroutine: the head is held back.
            writer.hold_headers(self._begin(request))
            if self._must_be_empty_body:
                writer.length = 0  # HEAD, 204, 304: nothing written may reach the wire
            return writer
        return await self._start(request)

    def _begin(self, request: BaseRequest) -> bytes:
        """Complete and freeze the headers; return the serialised head."""
        self._req = request
        writer = request._payload_writer
        added = self._added_lines = self._prepare_headers(request, writer)
        head = serialize_response_head(
            request._version, self._status, self._reason, self._headers, added
        )
        self._headers_sent = True
        request._head_sent = True
        self._payload_writer = writer
        self._head_length = len(head)
        return head

    async def _start(self, request: BaseRequest) -> AbstractStreamWriter:
        head = self._begin(request)
        writer = request._payload_writer
        if type(writer) is not StreamWriter or not writer.hold_headers(head):
            await writer.write_headers(head)
        if self._status == 101:
            # Switching protocols: the peer must see the head before the new protocol
            # starts, so it is not held back for a body that will never come.
            await writer.drain()
        if self._must_be_empty_body:
            # HEAD, 204, 304: whatever the handler writes must not reach the wire.
            writer.length = 0
        return writer

    def _prepare_headers(self, request: BaseRequest, writer: AbstractStreamWriter) -> str:
        """Complete the headers; return the header lines to add (CRLF-terminated).

        Fields the server adds by itself (Date, Server, Content-Length of a whole
        body, Connection) are returned as trusted lines instead of being stored, so
        the common response never copies them through the multidict.
        """
        headers = self._headers
        version = request._version
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = request.keep_alive
            protocol = request._protocol
            if keep_alive and protocol is not None and protocol._close_requested:
                keep_alive = False  # the server is shutting down: say so to the client
        if self._cookies:
            for morsel in self._cookies.values():
                headers.add(hdrs.SET_COOKIE, morsel.OutputString())
        if self._compression:
            self._start_compression(request, writer)
        status = self._status
        empty_status = status < 200 or status in _EMPTY_BODY_STATUSES
        added = self._frame_body(request, writer, empty_status)
        if added is None:
            keep_alive = False
            added = ""
        if empty_status:
            # RFC 9110 §8.6: no Content-Length (nor a body) on 1xx, 204 and 304.
            if hdrs.CONTENT_LENGTH in headers:
                del headers[hdrs.CONTENT_LENGTH]
            if hdrs.TRANSFER_ENCODING in headers:
                del headers[hdrs.TRANSFER_ENCODING]
        elif hdrs.CONTENT_TYPE not in headers:
            headers["Content-Type"] = "application/octet-stream"
        if hdrs.DATE not in headers:
            if hdrs.SERVER not in headers:
                added += _date_and_server()
            else:
                added += f"Date: {_http_date()}\r\n"
        elif hdrs.SERVER not in headers:
            added += f"Server: {SERVER_SOFTWARE}\r\n"
        self._keep_alive = keep_alive
        if hdrs.CONNECTION not in headers:
            if keep_alive:
                if version == HttpVersion10:
                    added += "Connection: keep-alive\r\n"
            elif version == HttpVersion11:
                added += "Connection: close\r\n"
        return added

    def _frame_body(
        self, request: BaseRequest, writer: AbstractStreamWriter, empty_status: bool
    ) -> str | None:
        """Choose the body framing; return lines to add, or None if it must close."""
        headers = self._headers
        version = request._version
        empty = self._must_be_empty_body
        if self._chunked:
            if version != HttpVersion11:
                raise RuntimeError(
                    f"Using chunked encoding is forbidden for HTTP/{version[0]}.{version[1]}"
                )
            headers.pop(hdrs.CONTENT_LENGTH, None)
            if not empty:
                writer.enable_chunking()
                headers[hdrs.TRANSFER_ENCODING] = "chunked"
        elif self._length_check:
            length = self.content_length
            writer.length = length
            if length is None and not empty:
                if version >= HttpVersion11:
                    self._chunked = True
                    writer.enable_chunking()
                    headers[hdrs.TRANSFER_ENCODING] = "chunked"
                else:
                    return None
        return ""

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send a piece of the body (waits while the peer is slow to read)."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be bytes-like, not {type(data).__name__!r}")
        if self._eof_sent:
            raise RuntimeError("Cannot call write() after write_eof()")
        writer = self._payload_writer
        if writer is None:
            raise RuntimeError("Cannot call write() before prepare()")
        await writer.write(data)

    async def drain(self) -> None:
        """Wait until the transport accepts more data (``write()`` already does this)."""
        if self._eof_sent:
            return
        if self._payload_writer is None:
            raise RuntimeError("Response has not been started")
        await self._payload_writer.drain()

    async def write_eof(self, data: bytes = b"") -> None:
        """Finish the body (with ``data`` as its last piece); later writes are refused."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data argument must be bytes-like, not {type(data).__name__!r}")
        if self._eof_sent:
            return
        writer = self._payload_writer
        if writer is None:
            raise RuntimeError("Response has not been started")
        await writer.write_eof(bytes(data))
        self._eof_sent = True
        self._body_length = max(writer.output_size - self._head_length, 0)
        self._req = None

    # -- mapping interface (per-response storage) --------------------------------------

    def _storage(self) -> dict[str, Any]:
        if self._state is None:
            self._state = {}
        return self._state

    def __getitem__(self, key: str) -> Any:
        return self._storage()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._storage()[key] = value

    def __delitem__(self, key: str) -> None:
        del self._storage()[key]

    def __len__(self) -> int:
        return len(self._state) if self._state else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._storage())

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __bool__(self) -> bool:
        # A mapping with no stored keys would otherwise be falsy: a response is an object.
        return True

    def __repr__(self) -> str:
        if self._eof_sent:
            info = "eof"
        elif self.prepared and self._req is not None:
            info = f"{self._req.method} {self._req.path} "
        else:
            info = "not prepared"
        return f"<{type(self).__name__} {self._status} {self._reason} {info}>"


class Response(StreamResponse):
    """A response whose whole body is known up front; sent with a Content-Length.

    ``text=`` gives ``text/plain; charset=utf-8`` unless ``content_type``/``charset``
    say otherwise; ``body=`` gives ``application/octet-stream``. ``body`` may also be
    any object :mod:`heron.payload` knows how to send (a str, a file, an async
    iterable...).
    """

    _length_check = False
    _compressed_body: bytes | None = None
    _zlib_executor_size: int | None = None
    _zlib_executor: Any = None
    _body: bytes | bytearray | Payload | None = None
    # getversion() of the headers as __init__ made them (-1: none) and their Content-Type
    # (None: octet-stream is added); while unchanged, the head can come from _HEADS.
    _plain_version = -1
    _plain_ctype: str | None = None
    # The default status on the class: the common Response() stores none.
    _status = 200
    _reason = "OK"

    def __init__(
        self,
        *,
        body: Any = None,
        status: int = 200,
        reason: str | None = None,
        text: str | None = None,
        headers: LooseHeaders | None = None,
        content_type: str | None = None,
        charset: str | None = None,
        zlib_executor_size: int | None = None,
        zlib_executor: Any = None,
    ) -> None:
        if (
            headers is None
            and charset is None
            and zlib_executor_size is None
            and zlib_executor is None
        ):
            # The common cases (text, or bytes, and nothing else) without the checks.
            if body is None and type(text) is str:
                if content_type is None:
                    headers = self._headers = _TEXT_PROTO.copy()
                    self._plain_ctype = "text/plain; charset=utf-8"
                elif "charset" in content_type:
                    raise ValueError("charset must not be in content_type argument")
                else:
                    ctype = self._plain_ctype = f"{content_type}; charset=utf-8"
                    headers = self._headers = CIMultiDict((("Content-Type", ctype),))
                self._plain_version = getversion(headers)
                self._body = text.encode()  # UTF-8 (the default: a faster call)
                if status != 200 or reason is not None:
                    self._init_status(status, reason)
                return
            if text is None and type(body) is bytes and content_type is None:
                headers = self._headers = CIMultiDict()
                self._plain_version = getversion(headers)
                self._body = body
                if status != 200 or reason is not None:
                    self._init_status(status, reason)
                return
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        if headers is None:
            real_headers: CIMultiDict[str] = CIMultiDict()
        elif type(headers) is CIMultiDict:
            real_headers = headers
        else:
            real_headers = CIMultiDict(headers)
        if content_type is not None and "charset" in content_type:
            raise ValueError("charset must not be in content_type argument")
        has_ctype = hdrs.CONTENT_TYPE in real_headers
        if has_ctype and (content_type is not None or charset is not None):
            raise ValueError(
                "passing both Content-Type header and content_type or charset params is forbidden"
            )
        if text is not None:
            if not isinstance(text, str):
                raise TypeError(f"text argument must be str ({type(text).__name__!r})")
            if not has_ctype:
                ctype = "text/plain" if content_type is None else content_type
                charset = "utf-8" if charset is None else charset
                real_headers["Content-Type"] = f"{ctype}; charset={charset}"
            else:
                charset = _charset_of(real_headers[hdrs.CONTENT_TYPE]) or "utf-8"
            body = text.encode(charset)
        elif not has_ctype and content_type is not None:
            real_headers[hdrs.CONTENT_TYPE] = (
                content_type if charset is None else f"{content_type}; charset={charset}"
            )
        super().__init__(status=status, reason=reason, headers=real_headers)
        if zlib_executor_size is not None:
            self._zlib_executor_size = zlib_executor_size
        if zlib_executor is not None:
            self._zlib_executor = zlib_executor
        if body is not None:
            self.body = body

    @property
    def body(self) -> bytes | bytearray | Payload | None:
        """The body: bytes, a payload object, or None."""
        return self._body

    @body.setter
    def body(self, body: Any) -> None:
        self._check_not_prepared()
        self._compressed_body = None
        if body is None or isinstance(body, (bytes, bytearray)):
            self._body = body
        elif isinstance(body, memoryview):
            self._body = bytes(body)
        else:
            from ..payload import Payload, get_payload

            payload = body if isinstance(body, Payload) else get_payload(body)
            self._body = payload
            headers = self._headers
            if hdrs.CONTENT_TYPE not in headers and payload.content_type:
                headers[hdrs.CONTENT_TYPE] = payload.content_type
            for key, value in payload.headers.items():
                if key not in headers and key != hdrs.CONTENT_LENGTH:
                    headers[key] = value
        # The length follows the body: an explicit Content-Length would now be stale.
        self._headers.pop(hdrs.CONTENT_LENGTH, None)

    @property
    def text(self) -> str | None:
        """The body decoded with the response's charset (UTF-8 when none)."""
        body = self._body
        if body is None:
            return None
        return body.decode(self.charset or "utf-8")

    @text.setter
    def text(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text argument must be str ({type(text).__name__!r})")
        self._check_not_prepared()
        if self.content_type == "application/octet-stream":
            self._set_content_type("text/plain", "utf-8")
        elif self.charset is None:
            self._set_content_type(self.content_type, "utf-8")
        self.body = text.encode(self.charset or "utf-8")

    @property
    def content_length(self) -> int | None:
        """The length of the body that will be sent."""
        if self._chunked:
            return None
        value = self._headers.get(hdrs.CONTENT_LENGTH)
        if value is not None:
            return int(value)
        if self._compressed_body is not None:
            return len(self._compressed_body)
        body = self._body
        if body is None:
            return 0
        if isinstance(body, (bytes, bytearray)):
            return len(body)
        return body.size

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        raise RuntimeError("Content length of a Response is set from its body automatically")

    def _compress_body(self, coding: str, writer: AbstractStreamWriter) -> None:
        body = self._body
        if body is None or not isinstance(body, (bytes, bytearray)) or self._chunked:
            super()._compress_body(coding, writer)
            return
        # A whole body is compressed at once, so its compressed length can be sent.
        from ..http.compression import Compressor

        compressor = Compressor(coding)
        self._compressed_body = compressor.compress(bytes(body)) + compressor.flush()
        self._headers.pop(hdrs.CONTENT_LENGTH, None)

    def _frame_body(
        self, request: BaseRequest, writer: AbstractStreamWriter, empty_status: bool
    ) -> str | None:
        if self._chunked:
            return super()._frame_body(request, writer, empty_status)
        headers = self._headers
        if hdrs.CONTENT_LENGTH in headers:
            writer.length = self.content_length
            return ""
        if empty_status:
            return ""
        length = self.content_length
        if length is not None:
            writer.length = length
            return f"Content-Length: {length}\r\n"
        if request._version >= HttpVersion11:
            # A payload of unknown size: frame it.
            self._chunked = True
            writer.enable_chunking()
            headers[hdrs.TRANSFER_ENCODING] = "chunked"
            return ""
        headers.pop(hdrs.CONNECTION, None)
        headers[hdrs.CONNECTION] = "close"
        return None

    def _begin(self, request: BaseRequest) -> bytes:
        body = self._body
        headers = self._headers
        if (
            getversion(headers) != self._plain_version
            or type(body) is not bytes
            or self._cookies
            or self._compression
            or self._chunked
        ):
            return super()._begin(request)
        # Headers untouched since __init__: the head depends only on this key. A miss
        # builds it the usual way (which validates it) and remembers it.
        keep_alive = self._keep_alive
        if keep_alive is None:
            keep_alive = not request._message.should_close
            protocol = request._protocol
            if keep_alive and protocol is not None and protocol._close_requested:
                keep_alive = False
        ctype = self._plain_ctype
        length = len(body)
        key = (
            request._version,
            self._status,
            self._reason,
            ctype,
            length,
            keep_alive,
            _date_and_server(),
        )
        cached = _HEADS.get(key)
        if cached is None:
            head = super()._begin(request)
            if len(_HEADS) >= _HEADS_MAX:
                _HEADS.clear()
            added = self._added_lines
            if ctype is None and hdrs.CONTENT_TYPE in headers:
                # _prepare_headers stored the default type; a hit leaves it to the
                # lines merged when someone reads ``headers`` (same result, same
                # order, ~500 instructions less than storing it).
                added = _OCTET_LINE + added
            _HEADS[key] = (head, added)
            return head
        head, self._added_lines = cached
        self._keep_alive = keep_alive
        writer = request._payload_writer
        writer.length = length
        self._req = request
        self._headers_sent = True
        request._head_sent = True
        self._payload_writer = writer
        self._head_length = len(head)
        return head

    def _send_now(self, request: BaseRequest) -> bool:
        """``prepare()`` + ``write_eof()`` without coroutines for a plain whole body;
        False: await them (``prepare()`` may be done already). The caller drains."""
        writer = request._payload_writer
        status = self._status
        hook = request._prepare_flag  # None: ask _has_prepare_hook() (last, it is a call)
        if (
            hook
            or self._payload_writer is not None
            or self._eof_sent
            or type(self._body) is not bytes
            or type(writer) is not StreamWriter
            or writer._on_headers_sent is not None
            or status < 200
            or status in _EMPTY_BODY_STATUSES
            or request._method == hdrs.METH_HEAD
            or self._compression
            or (hook is None and request._has_prepare_hook())
        ):
            return False
        head = self._begin(request)
        if not writer.send_whole(head, self._body):
            writer.hold_headers(head)
            return False
        self._eof_sent = True
        sent = writer.output_size - self._head_length
        self._body_length = sent if sent > 0 else 0  # max(), without a call
        self._req = None
        return True

    async def write_eof(self, data: bytes = b"") -> None:
        """Send the body (unless the request or status forbids one) and finish."""
        if self._eof_sent:
            return
        body = self._compressed_body if self._compressed_body is not None else self._body
        writer = self._payload_writer
        if type(body) is bytes and writer is not None and not self._must_be_empty_body:
            # The common case, without coroutines: head and body in one write.
            if type(writer) is StreamWriter and writer.finish(body):
                protocol = writer.protocol
                if protocol._writing_paused or protocol._connection_lost:
                    await protocol.drain()
            else:
                await writer.write_eof(body)
            self._eof_sent = True
            sent = writer.output_size - self._head_length
            self._body_length = sent if sent > 0 else 0  # max(), without a call
            self._req = None
        elif body is None or self._must_be_empty_body:
            await super().write_eof()
        elif isinstance(body, (bytes, bytearray)):
            await super().write_eof(bytes(body))
        else:
            if writer is None:
                raise RuntimeError("Response has not been started")
            await body.write(writer)
            await super().write_eof()


def _charset_of(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            return val.strip().strip('"')
    return None


def json_response(
    data: Any = None,
    *,
    text: str | None = None,
    body: bytes | None = None,
    status: int = 200,
    reason: str | None = None,
    headers: LooseHeaders | None = None,
    content_type: str = "application/json",
    dumps: JSONEncoder = DEFAULT_JSON_ENCODER,
) -> Response:
    """Return a :class:`Response` whose body is ``dumps(data)`` (``application/json``).

    Pass ``text`` or ``body`` instead of ``data`` when the JSON is already encoded.
    """
    if data is not None:
        if text is not None or body is not None:
            raise ValueError("only one of data, text, or body should be specified")
        text = fast_dumps(data) if dumps is STD_DUMPS else dumps(data)
    elif text is None and body is None:
        text = dumps(data)
    if headers is None and body is None and content_type == "application/json":
        # What Response(text=, content_type=) builds, without its 9-keyword call.
        response: Response = _new_response(Response)
        if not isinstance(text, str):
            raise TypeError(f"text argument must be str ({type(text).__name__!r})")
        headers = response._headers = _JSON_PROTO.copy()
        response._plain_ctype = _JSON_HEADERS[0][1]
        response._plain_version = getversion(headers)
        response._body = text.encode()
        if status != 200 or reason is not None:
            response._init_status(status, reason)
        return response
    return Response(
        text=text,
        body=body,
        status=status,
        reason=reason,
        headers=headers,
        content_type=content_type,
    )
