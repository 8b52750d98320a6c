"""Incremental HTTP/1.1 request and response parsers on top of llhttp (``httptools``).

Bytes go in through ``feed_data``; a list of events comes out: a head
(``RawRequestMessage`` / ``RawResponseMessage``), zero or more non-empty body
``bytes``, ``EndOfMessage(trailers)`` and, when the connection switches protocol,
``Upgrade(tail)``. Any malformed input raises a :class:`BadHttpMessage` subclass
whose ``code`` is the status to answer with and whose ``events`` are those the failing
feed completed before the error (earlier pipelined requests, a head before a bad
body); the parser then stays failed.

llhttp in its default (strict) mode already rejects: bare LF and bare CR, obs-fold,
control characters and NUL in names and values, spaces before the colon,
``Content-Length`` together with ``Transfer-Encoding``, duplicate or non-decimal
``Content-Length``, request ``Transfer-Encoding`` whose final coding is not
``chunked``, ``chunked`` applied twice, bad chunk sizes and extensions, a missing
CRLF after chunk data, unknown methods and invalid bytes in the request target.
This module adds, cheaply and only once per message head: the size limits (which
llhttp does not have), HTTP version policy, codings before ``chunked`` (501),
``Transfer-Encoding`` in HTTP/1.0, fragments and ill-formed request targets,
duplicate ``Host``, status code range and reason phrase characters, and the
message framing rules llhttp cannot know (responses to HEAD and CONNECT).

Upgrades. A request carrying ``Upgrade`` with ``Connection: upgrade``, and any
CONNECT request, ends with ``Upgrade(tail)`` after its ``EndOfMessage``; the head
has ``upgrade=True``. The parser then parses nothing more until the server either
hands ``tail`` to the new protocol, or declines the upgrade by answering normally,
calling :meth:`HttpRequestParser.continue_after_upgrade` and feeding ``tail`` again.
A ``Content-Length`` body of an upgrade request is delivered before
``EndOfMessage``; a chunked upgrade request is rejected (400) because its end
cannot be located without parsing past it.
"""

from __future__ import annotations

import re
from typing import Final, TypeAlias

import httptools
from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

from ..hdrs import METH_CONNECT, METH_HEAD, METH_OPTIONS
from ._parser_base import (
    _CONTENT_ENCODING,
    _CONTENT_LENGTH,
    _END,
    _LENGTH,
    _OWS,
    _TRANSFER_ENCODING,
    _UNTIL_CLOSE,
    _VERSIONS,
    DEFAULT_MAX_DECOMPRESSED_SIZE,
    END_OF_CHUNK,
    EndOfChunk,
    _parse_version,
    _ParserBase,
    _ParserError,
    _translate,
    _UpgradeSignal,
)
from ._response_fast import LazyResponseHead, parse_whole
from .errors import (
    BadHttpMessage,
    BadStatusLine,
    ContentLengthError,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
    PayloadTooLarge,
)
from .models import (
    EndOfMessage,
    HttpVersion,
    HttpVersion11,
    RawRequestMessage,
    RawResponseMessage,
    Upgrade,
)

__all__ = (
    "DEFAULT_MAX_DECOMPRESSED_SIZE",
    "END_OF_CHUNK",
    "EndOfChunk",
    "Event",
    "HttpRequestParser",
    "HttpResponseParser",
    "RequestEvent",
    "ResponseEvent",
)

RequestEvent: TypeAlias = RawRequestMessage | bytes | EndOfMessage | Upgrade | EndOfChunk
ResponseEvent: TypeAlias = RawResponseMessage | bytes | EndOfMessage | Upgrade | EndOfChunk
Event: TypeAlias = RequestEvent | ResponseEvent

_METHODS: dict[bytes, str] = {}
# RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
_BAD_REASON: Final = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_HOST: Final = istr("Host")  # an istr key: looked up without case-folding
_new_tuple: Final = tuple.__new__
# Request URLs of recent origin-form targets, by target (bounded; cleared when full).
_ORIGIN_URLS: dict[str, URL] = {}
_ORIGIN_URLS_MAX: Final = 512
# The same, by the raw target bytes: decoded target and URL (bounded likewise).
_ORIGIN_TARGETS: dict[bytes, tuple[str, URL]] = {}
# Checked HTTP/1.1 request heads by their raw fields: the header multidict (shared:
# a proxy nobody can change), the framing (none or Content-Length) and the declared
# length. Clients repeat the same fields request after request, and decoding them
# into a multidict is the costliest step of parsing a head (~12k instructions for 3
# fields vs ~1k for the lookup). Only heads without Transfer-Encoding,
# Content-Encoding and secrets, at most _HEADS_BYTES long, are kept; cleared when full.
_CheckedHead = tuple[CIMultiDictProxy[str], int, int]
_HEADS: dict[tuple[tuple[bytes, bytes], ...], _CheckedHead] = {}
# One connection's head with secrets: its raw fields and what _HEADS would hold.
OwnFields = tuple[tuple[tuple[bytes, bytes], ...], _CheckedHead]
_HEADS_MAX: Final = 256
_HEADS_BYTES: Final = 2048
# Heads with these fields are never kept in _HEADS: a process-wide table must not hold
# a secret after the connection that sent it is gone. The parser's ``own_fields``
# keeps the last one for the connection that sent it instead.
SECRET_FIELD_NAMES: Final = ("Authorization", "Cookie", "Proxy-Authorization")
_SECRET_FIELDS: Final = tuple(istr(name) for name in SECRET_FIELD_NAMES)


class HttpRequestParser(_ParserBase):
    """Server-side parser: feed request bytes, get request events.

    ``max_line_size`` bounds the request line (414), ``max_field_size`` one header
    field's name plus value (431), ``max_headers`` the number of fields (431) and
    ``max_body_size`` the body (413, unlimited when ``None``). With
    ``auto_decompress`` a gzip/deflate/br/zstd body is decoded, at most
    ``max_decompressed_size`` bytes of it (413). With ``chunk_ends`` an
    :data:`END_OF_CHUNK` event follows the bytes of each chunk of a chunked body.
    """

    def __init__(
        self,
        *,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_body_size: int | None = None,
        auto_decompress: bool = True,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
        chunk_ends: bool = False,
    ) -> None:
        super().__init__(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            max_body_size=max_body_size,
            auto_decompress=auto_decompress,
            max_decompressed_size=max_decompressed_size,
            chunk_ends=chunk_ends,
        )
        self._url = b""
        self._upgraded = False
        self._upgrade_body_left = 0
        # Between the first byte of a request and its end (see at_rest()).
        self._busy = False
        # After a message that ends the connection or upgrades it the parser is never
        # reused for another connection.
        self._spent = False
        # The connection's own checked head with cookies or credentials (never kept in
        # _HEADS): raw fields -> what _HEADS would hold. Set by the connection that
        # takes the parser, dropped by release() before any other connection can.
        self.own_fields: OwnFields | None = None
        self._c = httptools.HttpRequestParser(self)
        # Any 1.x version is HTTP/1.1-compatible (RFC 9110 §2.5); others are refused
        # with 505 below instead of a generic llhttp error.
        self._c.set_dangerous_leniencies(lenient_version=True, lenient_data_after_close=True)

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[RequestEvent]:
        """Parse ``data`` and return the events it completes, in order."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        if self._upgraded:
            raise RuntimeError("The connection was upgraded; HTTP parsing has stopped")
        events: list[RequestEvent] = []
        self._events = events
        try:
            if self._upgrade_body_left:
                self._after_upgrade(bytes(data))
                return events
            try:
                self._c.feed_data(data)
            except _UpgradeSignal as exc:
                self._after_upgrade(bytes(data[exc.args[0] :]))
            except _ParserError as exc:
                raise _translate(exc) from None
            if self._in_head:
                self._check_pending(len(data))
        except HttpProcessingError as exc:
            raise self._fail(exc) from None
        return events

    def feed_eof(self) -> list[RequestEvent]:
        """Signal that the peer closed; raise if a request was cut short."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        if self._upgrade_body_left:
            raise self._fail(ContentLengthError("Not enough data to satisfy content length"))
        exc = self._eof_error("request")
        if exc is not None:
            raise self._fail(exc)
        return []

    def at_rest(self) -> bool:
        """True between two requests of a kept-alive connection: no byte of a next
        request consumed, nothing failed or upgraded. Such a parser can serve any
        other connection (the server pools them while connections are idle)."""
        return not (self._busy or self._spent or self._failed is not None)

    def release(self) -> bool:
        """If :meth:`at_rest`, drop what the last feed left behind and return True:
        the parser may then be pooled and used for any other connection."""
        if self._busy or self._spent or self._failed is not None:
            return False
        self._events = []
        self._pending = 0
        self._touched = False
        self.own_fields = None
        return True

    def continue_after_upgrade(self) -> None:
        """Resume HTTP/1.1 parsing after the server declined an upgrade.

        Feed the ``tail`` of the :class:`Upgrade` event again afterwards: it holds
        the next request, if the client sent one.
        """
        if not self._upgraded:
            raise RuntimeError("No upgrade to decline")
        self._upgraded = False

    # -- callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        # The first byte of a request (even one that fires no other callback yet,
        # like "GE"): the parser is no longer at rest.
        self._busy = True

    def on_url(self, url: bytes) -> None:
        # The method before the URL is bounded by llhttp's list of methods.
        self._touched = self._in_head = True
        url = self._url + url if self._url else url
        if len(url) > self.max_line_size:
            raise LineTooLong("request line", self.max_line_size, len(url), code=414)
        self._url = url

    def on_headers_complete(self) -> None:
        c = self._c
        raw_method = c.get_method()
        method = _METHODS.get(raw_method)
        if method is None:
            method = _METHODS.setdefault(raw_method, raw_method.decode("ascii"))
        version = _VERSIONS.get(c.get_http_version()) or _parse_version(c.get_http_version())
        self._in_head = False
        self._in_body = True
        raw_headers = tuple(self._raw)
        known_head = _HEADS.get(raw_headers)
        if known_head is None:
            own = self.own_fields
            if own is not None and own[0] == raw_headers:
                known_head = own[1]
        if known_head is not None and version is HttpVersion11:
            # A head seen before: decoded and checked then (see _HEADS).
            headers, framing, length = known_head
            if framing:
                self._framing = framing
                if self.max_body_size is not None and length > self.max_body_size:
                    raise PayloadTooLarge(f"Body of {length} bytes exceeds {self.max_body_size}")
            chunked = False
            compression = None
        else:
            headers, chunked, compression = self._new_head(raw_headers, version)
        raw_url = self._url
        self._url = b""
        known = _ORIGIN_TARGETS.get(raw_url)
        if known is not None and method != METH_CONNECT:
            target, url = known  # a recent origin-form target, checked already
        else:
            target = raw_url.decode("ascii")
            url = _build_url(method, target)
            if target[0] == "/":
                if len(_ORIGIN_TARGETS) >= _ORIGIN_URLS_MAX:
                    _ORIGIN_TARGETS.clear()
                _ORIGIN_TARGETS[raw_url] = (target, url)
        upgrade = c.should_upgrade()
        keep_alive = c.should_keep_alive()
        if upgrade or not keep_alive:
            # llhttp stops after this message (or parses it leniently as "after
            # close"): this parser is not fit for another connection.
            self._spent = True
        if upgrade and method != METH_CONNECT and self._framing:
            if chunked:
                raise BadHttpMessage("Upgrade request with a chunked body is not supported")
            self._upgrade_body_left = int(headers[_CONTENT_LENGTH])
        # tuple.__new__ skips the named tuple's Python-level __new__ (same object).
        message = (
            method,
            target,
            version,
            headers,
            raw_headers,
            not keep_alive,
            compression,
            upgrade,
            chunked,
            url,
        )
        self._events.append(_new_tuple(RawRequestMessage, message))

    def _new_head(
        self, raw_headers: tuple[tuple[bytes, bytes], ...], version: HttpVersion
    ) -> tuple[CIMultiDictProxy[str], bool, str | None]:
        """Decode and check a head not in _HEADS; return headers, chunked, compression."""
        headers = CIMultiDictProxy(
            CIMultiDict(
                [
                    (n.decode("latin-1"), v.rstrip(_OWS).decode("utf-8", "surrogateescape"))
                    for n, v in raw_headers
                ]
            )
        )
        # Most requests have no body: then framing and codings need no checks.
        framed = (
            _TRANSFER_ENCODING in headers
            or _CONTENT_LENGTH in headers
            or _CONTENT_ENCODING in headers
        )
        chunked = self._framing_of(headers, version, True) if framed else False
        if len(raw_headers) > 1 and len(headers.getall(_HOST, ())) > 1:
            raise InvalidHeader("Host", "Duplicate Host header")
        compression = self._setup_body(headers) if framed else None
        framing = self._framing
        if (
            version is HttpVersion11
            and framing <= _LENGTH
            and _CONTENT_ENCODING not in headers
            and sum([len(n) + len(v) for n, v in raw_headers]) <= _HEADS_BYTES
        ):
            length = int(headers[_CONTENT_LENGTH]) if framing else 0
            if any([name in headers for name in _SECRET_FIELDS]):
                self.own_fields = (raw_headers, (headers, framing, length))
            else:
                if len(_HEADS) >= _HEADS_MAX:
                    _HEADS.clear()
                _HEADS[raw_headers] = (headers, framing, length)
        return headers, chunked, compression

    def on_message_complete(self) -> None:
        if self._upgrade_body_left:
            return  # llhttp skipped the body of an upgrade request; _after_upgrade reads it
        if self._decomp is None and self._trailers is None:
            # _end_message() and _reset() for the common message, unrolled.
            self._events.append(_END)
            self._raw = []
            self._in_head = self._in_body = False
            self._framing = 0
            self._body_size = 0
        else:
            self._end_message()
        self._busy = False

    def _after_upgrade(self, tail: bytes) -> None:
        left = self._upgrade_body_left
        if left:
            chunk, tail = tail[:left], tail[left:]
            self._upgrade_body_left = left = left - len(chunk)
            if chunk:
                self.on_body(chunk)
            if left:
                return
            self._end_message()
        self._upgraded = True
        self._events.append(Upgrade(tail))


def _build_url(method: str, target: str) -> URL:
    """Build the request URL from the request target (RFC 9112 §3.2)."""
    if "#" in target:
        raise InvalidURLError(f"Fragment in request target: {target!r}")
    if target[0] == "/":
        if method == METH_CONNECT:
            raise InvalidURLError("CONNECT needs an authority-form target")
        # URLs are immutable: the origin-form ones of recent requests are shared.
        url = _ORIGIN_URLS.get(target)
        if url is None:
            # Building from parts keeps "//host/x" a path, never an authority.
            path, _, query = target.partition("?")
            url = URL.build(path=path, query_string=query, encoded=True)
            if len(_ORIGIN_URLS) >= _ORIGIN_URLS_MAX:
                _ORIGIN_URLS.clear()
            _ORIGIN_URLS[target] = url
        return url
    try:
        if method == METH_CONNECT:
            url = URL.build(authority=target, encoded=True)
            if url.host and url.port is not None and not url.path.strip("/"):
                return url
        elif target == "*":
            if method == METH_OPTIONS:
                return URL.build(path="*", encoded=True)
        else:
            url = URL(target, encoded=True)
            if url.absolute and url.host:
                return url
    except (ValueError, TypeError):
        pass
    raise InvalidURLError(f"Invalid request target: {target!r}")


class HttpResponseParser(_ParserBase):
    """Client-side parser for one response to a request made with ``method``.

    Interim 1xx responses (other than 101) are skipped. A response to HEAD has no
    body; a 2xx response to CONNECT and a 101 end with ``Upgrade(tail)``. When
    ``read_until_eof`` is false a response without Content-Length or chunked
    framing has an empty body instead of lasting until the connection closes.
    Bytes after the final response are not parsed; :attr:`trailing_data` tells
    the client that some arrived, so the connection must not be reused. Limits and
    ``chunk_ends`` are as for :class:`HttpRequestParser`.
    """

    def __init__(
        self,
        *,
        method: str = "GET",
        read_until_eof: bool = True,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        max_body_size: int | None = None,
        auto_decompress: bool = True,
        max_decompressed_size: int | None = DEFAULT_MAX_DECOMPRESSED_SIZE,
        chunk_ends: bool = False,
    ) -> None:
        super().__init__(
            max_line_size=max_line_size,
            max_field_size=max_field_size,
            max_headers=max_headers,
            max_body_size=max_body_size,
            auto_decompress=auto_decompress,
            max_decompressed_size=max_decompressed_size,
            chunk_ends=chunk_ends,
        )
        self.method = method.upper()
        self.read_until_eof = read_until_eof
        self._reason = b""
        self._interim = False
        self._done = False
        self._trailing = False
        self._tunnel = False
        # llhttp cannot be told the request method, so for HEAD and CONNECT the
        # head is cut out here and only it is fed to llhttp.
        self._head_mode = self.method in (METH_HEAD, METH_CONNECT)
        self._head_buf = b""
        self._c = httptools.HttpResponseParser(self)
        self._c.set_dangerous_leniencies(lenient_version=True)
        self._c_idle = True  # llhttp sits between two messages (see reset())
        # Whether parse_whole may try a read first: never for HEAD and CONNECT, nor
        # with a body limit or decoding to apply (llhttp's callbacks do those).
        self._fast = not self._head_mode and max_body_size is None
        self._fast_head = min(max_line_size, max_field_size)
        # True until llhttp is fed after construction or reset(): feed_whole() alone
        # changes nothing but _done, so reset() then only has to clear that.
        self._unfed = True

    def reset(self, method: str = "GET", read_until_eof: bool = True) -> bool:
        """Expect the next response on the same kept-alive connection.

        Reuses the llhttp parser (cheaper than a new parser, and no reference cycle
        left for the garbage collector per response). Only possible once the final
        response is complete, llhttp saw its end itself (not after a HEAD or
        CONNECT head cut out here) and nothing followed it, no upgrade, no error:
        returns False otherwise, changing nothing; make a new parser then. Limits
        stay as they are. Only for a connection that stays open: after a response
        that asked to close (``should_close``), llhttp refuses further bytes.
        """
        if (
            self._unfed
            and self._done
            and not self._trailing
            and method == self.method
            and read_until_eof == self.read_until_eof
        ):
            # Only feed_whole() ran since the last reset (the usual keep-alive answer):
            # its one change undone, the parser is as reset() would leave it.
            self._done = False
            return True
        if (
            not self._done
            or not self._c_idle
            or self._trailing
            or self._tunnel
            or self._failed is not None
            or self._c.should_upgrade()
        ):
            return False
        method = method.upper()
        self.method = method
        self.read_until_eof = read_until_eof
        self._head_mode = method in (METH_HEAD, METH_CONNECT)
        self._fast = not self._head_mode and self.max_body_size is None
        self._done = self._interim = self._chunk_has_data = self._touched = False
        self._pending = 0
        self._reason = self._head_buf = b""
        self._events = []
        self._reset()
        self._unfed = True
        return True

    @property
    def done(self) -> bool:
        """True once the final response is complete (or the connection upgraded)."""
        return self._done

    @property
    def trailing_data(self) -> bool:
        """True if bytes arrived after the final response (do not reuse the connection)."""
        return self._trailing

    def feed_data(self, data: bytes | bytearray | memoryview) -> list[ResponseEvent]:
        """Parse ``data`` and return the events it completes, in order."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        events: list[ResponseEvent] = []
        self._events = events
        self._unfed = False
        if self._done:
            self._trailing = self._trailing or bool(data)
            return events
        whole = self.feed_whole(data)
        if whole is not None:
            events.append(whole[0].message())
            if whole[1]:
                events.append(whole[1])
            events.append(_END)
            return events
        try:
            if self._head_mode:
                self._feed_heads(bytes(data))
            else:
                self._feed(data)
        except HttpProcessingError as exc:
            raise self._fail(exc) from None
        return events

    def feed_whole(
        self, data: bytes | bytearray | memoryview
    ) -> tuple[LazyResponseHead, bytes] | None:
        """The head and body when ``data`` is one whole plain response, else None.

        The short path of :meth:`feed_data` (which calls it first), for callers that
        want the response without an event list: the response is then complete
        (:attr:`done`), exactly as if its three events had been returned. The head
        has the attributes of :class:`RawResponseMessage` but builds its headers
        only when asked (``head.message()`` is the named tuple). None means nothing
        happened; feed the same bytes to :meth:`feed_data` then.
        """
        if (
            not self._fast
            or not self._c_idle
            or self._done
            or self._failed is not None
            or type(data) is not bytes
        ):
            return None
        # No llhttp callbacks at all (see _response_fast: None means "not sure").
        whole = parse_whole(data, self._fast_head, self.max_headers)
        if whole is not None:
            self._done = True
        return whole

    def _feed(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._c.feed_data(data)
        except _UpgradeSignal as exc:
            self._done = True
            self._events.append(Upgrade(bytes(data[exc.args[0] :])))
        except _ParserError as exc:
            if not self._done:
                raise _translate(exc) from None
            self._trailing = True  # garbage after a complete response
        if self._in_head:
            self._check_pending(len(data))

    def _feed_heads(self, data: bytes) -> None:
        """Feed llhttp one complete head at a time (HEAD and CONNECT responses)."""
        buf = self._head_buf + data if self._head_buf else data
        while self._head_mode and not self._done:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                limit = self.max_line_size + self.max_headers * (self.max_field_size + 4)
                if len(buf) > limit:
                    raise LineTooLong("response head", limit, len(buf), code=431)
                self._head_buf = buf
                return
            self._feed(buf[: end + 4])
            buf = buf[end + 4 :]
        self._head_buf = b""
        if self._tunnel:
            self._events.append(Upgrade(buf))
        elif self._done:
            self._trailing = bool(buf)
        elif buf:
            self._feed(buf)  # a CONNECT refused with a normal response body

    def feed_eof(self) -> list[ResponseEvent]:
        """Signal that the server closed; completes a read-until-close body."""
        if self._failed is not None:
            self._raise_failed(self._failed)
        events: list[ResponseEvent] = []
        self._events = events
        self._unfed = False
        if self._done:
            return events
        if self._in_body and self._framing == _UNTIL_CLOSE:
            try:
                self._finish()
            except HttpProcessingError as exc:
                raise self._fail(exc) from None
            return events
        error = self._eof_error("response")
        if error is not None:
            raise self._fail(error)
        return events

    # -- callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._c_idle = False
        if self._done:
            self._trailing = True
            return
        self._in_head = True
        self._touched = True

    def on_status(self, reason: bytes) -> None:
        self._touched = True
        reason = self._reason + reason if self._reason else reason
        if len(reason) > self.max_line_size:
            raise LineTooLong("status line", self.max_line_size, len(reason), code=400)
        self._reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._done:
            super().on_header(name, value)

    def on_body(self, body: bytes) -> None:
        if self._done:
            self._trailing = True
            return
        super().on_body(body)

    def on_headers_complete(self) -> None:
        if self._done:
            return
        c = self._c
        status = c.get_status_code()
        if not 100 <= status <= 599:
            raise BadStatusLine(message=f"Invalid status code {status}")
        reason = self._reason
        self._reason = b""
        if _BAD_REASON.search(reason):
            raise BadStatusLine(message=f"Invalid reason phrase {reason!r}")
        if status < 200 and status != 101:
            self._interim = True  # skipped; llhttp knows 1xx has no body
            return
        version = _VERSIONS.get(c.get_http_version()) or _parse_version(c.get_http_version())
        headers, raw_headers = self._headers()
        chunked = self._framing_of(headers, version, False)
        upgrade = c.should_upgrade()
        if status == 101 and not upgrade:
            raise BadHttpMessage("101 Switching Protocols without Upgrade")
        should_close = not c.should_keep_alive()
        no_body = self.method == METH_HEAD or status in (204, 304)
        if self.method == METH_CONNECT:
            if 200 <= status < 300:
                upgrade = self._tunnel = no_body = True
            else:
                self._head_mode = False  # an ordinary response: framing as usual
        elif not no_body and not self._framing and status != 101:
            self._framing = _UNTIL_CLOSE
        if no_body:
            self._framing = 0
            should_close = _close_wanted(headers, version)
        elif self._framing == _UNTIL_CLOSE and not self.read_until_eof:
            no_body = True
        compression = self._setup_body(headers)
        self._events.append(
            RawResponseMessage(
                version,
                status,
                reason.decode("utf-8", "surrogateescape"),
                headers,
                raw_headers,
                should_close,
                compression,
                upgrade,
                chunked,
            )
        )
        if no_body:
            self._finish()

    def on_message_complete(self) -> None:
        self._c_idle = True
        if self._done:
            return
        if self._interim:
            self._interim = False
            self._reset()
            return
        self._finish()

    def _finish(self) -> None:
        self._end_message()
        self._done = True


def _close_wanted(headers: CIMultiDictProxy[str], version: HttpVersion) -> bool:
    """Whether the Connection header and version ask to close (RFC 9112 §9.3)."""
    tokens = {t.strip().lower() for v in headers.getall("Connection", ()) for t in v.split(",")}
    if version >= HttpVersion11:
        return "close" in tokens
    return "keep-alive" not in tokens
