"""Error replies of a server connection: rejected requests, failed handlers, ``Expect``.

None of this runs for a request that is answered normally. A request refused before
any handler sees it (a parse error, HTTP/1.1 without ``Host``) is queued as a
:class:`~heron.web._protocol_state.Rejected` item behind the good requests parsed
before it and answered in its turn; the connection then closes. A handler that
raises gets a 500 (the traceback in the body only in debug mode), an
:class:`~heron.web.HTTPException` is the response itself, and a body that turned out
malformed while the handler read it is answered with the parser's status.
"""

from __future__ import annotations

import html
import traceback

from .. import hdrs
from ..http.errors import HttpProcessingError
from ..http.models import HttpVersion11, RawRequestMessage
from ..http.reasons import reason_phrase
from ._protocol_state import ConnectionState
from .exceptions import HTTPException, HTTPExpectationFailed
from .request import BaseRequest
from .response import Response, StreamResponse

__all__ = ("ErrorReplies", "error_text")


class ErrorReplies(ConnectionState):
    """Rejecting requests and answering failures (mixed into the request handler)."""

    __slots__ = ()

    def _on_parse_error(self, exc: HttpProcessingError) -> None:
        if self._payload is not None:
            # The request whose body broke is queued or being handled: its handler sees
            # the error when it reads the body (or the server does when it skips the
            # rest), and the connection closes after its response. Requests queued
            # before it are still answered normally.
            self._parse_failed = True
            self.pause_reading()
            self._payload.set_exception(exc)
            self._payload = None
        else:
            self._reject(exc, None)

    def _check_expect(self, request: BaseRequest, message: RawRequestMessage) -> Response | None:
        """Handle ``Expect``: note a 100-continue, refuse anything else with 417."""
        expect = message.headers.get(hdrs.EXPECT)
        if expect is None or message.version < HttpVersion11:
            return None  # RFC 9110 §10.1.1: ignore Expect in HTTP/1.0
        if expect.strip().lower() == "100-continue":
            if request.body_exists:
                # Sent lazily, when the handler first touches the body.
                request._expect_continue = True
            return None
        exc = HTTPExpectationFailed(text=f"Unknown Expect: {expect}")
        exc.force_close()
        return exc

    def _handler_failed(self, request: BaseRequest, exc: Exception) -> StreamResponse | None:
        """The response for what the handler raised (None: too late to answer)."""
        if isinstance(exc, HTTPException):
            return None if request._head_sent else exc
        if isinstance(exc, HttpProcessingError):
            # The body turned out malformed while the handler read it.
            if request._head_sent:
                return None
            return self._error_response(exc.code or 400, exc.message)
        if isinstance(exc, ConnectionError) and not self.connected:
            raise exc  # the client left: no response, no log
        if request._head_sent:
            # A response is half sent; the peer sees it cut short.
            self.logger.exception("Error handling request", exc_info=exc)
            return None
        return self.handle_error(request, 500, exc)

    def _handler_returned(self, request: BaseRequest, resp: object) -> StreamResponse:
        err = TypeError(f"Web handler returned {type(resp).__name__!r}, not a response")
        return self.handle_error(request, 500, err)

    async def _send_failed(
        self, request: BaseRequest, resp: StreamResponse, exc: Exception
    ) -> bool:
        """Sending ``resp`` raised: answer 500 if nothing was sent yet.

        A lost client (``ConnectionError``) is re-raised: nothing to answer or log.
        Returns False: the connection closes.
        """
        if isinstance(exc, ConnectionError):
            raise exc
        if resp.prepared:
            # The head is gone already: all we can do is cut the message short.
            self.logger.exception("Error sending response", exc_info=exc)
            return False
        err = self.handle_error(request, 500, exc)
        await err.prepare(request)
        await err.write_eof()
        return False

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> StreamResponse:
        """Log a handler failure and build the error response (the connection closes).

        The traceback appears in the body (HTML-escaped) only in debug mode.
        """
        if exc is not None:
            self.logger.exception("Error handling request", exc_info=exc)
        title = f"{status} {reason_phrase(status)}"
        if self._debug and exc is not None:
            tb = html.escape("".join(traceback.format_exception(exc)))
            body = (
                f"<html><head><title>{title}</title></head><body>"
                f"<h1>{title}</h1><h2>Traceback:</h2><pre>{tb}</pre></body></html>"
            )
            resp = Response(status=status, text=body, content_type="text/html")
        else:
            text = message or "The server could not complete the request."
            resp = Response(status=status, text=f"{title}\n\n{text}\n")
        resp.force_close()
        return resp

    def _error_response(self, status: int, detail: str) -> Response:
        resp = Response(status=status, text=error_text(status, detail))
        resp.force_close()
        return resp


def error_text(status: int, detail: str) -> str:
    """The short plain-text body of an error reply (one line, bounded)."""
    detail = detail.replace("\r", " ").replace("\n", " ")
    if len(detail) > 200:
        detail = detail[:200] + "..."
    return f"{status} {reason_phrase(status)}: {detail}\n" if detail else f"{status}\n"
