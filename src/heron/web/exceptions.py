"""HTTP exceptions: responses that can be raised (or returned) from a handler.

As in aiohttp 3.x, every :class:`HTTPException` is also a :class:`~heron.web.Response`:
``raise web.HTTPNotFound()`` and ``return web.HTTPNotFound()`` both answer 404 with the
body ``404: Not Found``. The tree mirrors the status classes::

    HTTPException
      HTTPSuccessful (2xx)      HTTPOk, HTTPCreated, ...
      HTTPRedirection (3xx)     HTTPMove (with a location): HTTPFound, ...; HTTPNotModified
      HTTPError
        HTTPClientError (4xx)   HTTPBadRequest, HTTPNotFound, HTTPMethodNotAllowed, ...
        HTTPServerError (5xx)   HTTPInternalServerError, ...
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yarl import URL

from .. import hdrs
from ..typedefs import LooseHeaders, StrOrURL
from .response import Response

__all__ = (
    "HTTPAccepted",
    "HTTPBadGateway",
    "HTTPBadRequest",
    "HTTPClientError",
    "HTTPConflict",
    "HTTPCreated",
    "HTTPError",
    "HTTPException",
    "HTTPExpectationFailed",
    "HTTPFailedDependency",
    "HTTPForbidden",
    "HTTPFound",
    "HTTPGatewayTimeout",
    "HTTPGone",
    "HTTPInsufficientStorage",
    "HTTPInternalServerError",
    "HTTPLengthRequired",
    "HTTPMethodNotAllowed",
    "HTTPMisdirectedRequest",
    "HTTPMove",
    "HTTPMovedPermanently",
    "HTTPMultipleChoices",
    "HTTPNetworkAuthenticationRequired",
    "HTTPNoContent",
    "HTTPNonAuthoritativeInformation",
    "HTTPNotAcceptable",
    "HTTPNotExtended",
    "HTTPNotFound",
    "HTTPNotImplemented",
    "HTTPNotModified",
    "HTTPOk",
    "HTTPPartialContent",
    "HTTPPaymentRequired",
    "HTTPPermanentRedirect",
    "HTTPPreconditionFailed",
    "HTTPPreconditionRequired",
    "HTTPProxyAuthenticationRequired",
    "HTTPRedirection",
    "HTTPRequestEntityTooLarge",
    "HTTPRequestHeaderFieldsTooLarge",
    "HTTPRequestRangeNotSatisfiable",
    "HTTPRequestTimeout",
    "HTTPRequestURITooLong",
    "HTTPResetContent",
    "HTTPSeeOther",
    "HTTPServerError",
    "HTTPServiceUnavailable",
    "HTTPSuccessful",
    "HTTPTemporaryRedirect",
    "HTTPTooManyRequests",
    "HTTPUnauthorized",
    "HTTPUnavailableForLegalReasons",
    "HTTPUnprocessableEntity",
    "HTTPUnsupportedMediaType",
    "HTTPUpgradeRequired",
    "HTTPUseProxy",
    "HTTPVariantAlsoNegotiates",
    "HTTPVersionNotSupported",
)


class HTTPException(Response, Exception):
    """Base of every HTTP exception; a :class:`Response` with a fixed status.

    Without ``body`` or ``text`` the body is ``"<status>: <reason>"`` as plain text
    (no body at all for 204, 205 and 304). ``headers`` are added to the response.
    """

    status_code = -1
    empty_body = False

    __http_exception__ = True

    def __init_subclass__(
        cls, *, status_code: int | None = None, empty_body: bool | None = None, **kwargs: Any
    ) -> None:
        # The status tree below is a table: ``class HTTPOk(HTTPSuccessful, status_code=200)``.
        # A subclass that names neither keeps its parent's values.
        super().__init_subclass__(**kwargs)
        if status_code is not None:
            cls.status_code = status_code
        if empty_body is not None:
            cls.empty_body = empty_body

    def __init__(
        self,
        *,
        headers: LooseHeaders | None = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        Response.__init__(
            self,
            status=self.status_code,
            headers=headers,
            reason=reason,
            body=body,
            text=text,
            content_type=content_type,
        )
        Exception.__init__(self, self.reason)
        if self._body is None and not self.empty_body:
            self.text = f"{self.status}: {self.reason}"

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.status} {self.reason}>"

    # Exceptions compare and hash by identity, like the Response they are.
    __hash__ = Response.__hash__
    __eq__ = Response.__eq__


class HTTPError(HTTPException):
    """Base of 4xx and 5xx exceptions."""


class HTTPRedirection(HTTPException):
    """Base of 3xx exceptions."""


class HTTPSuccessful(HTTPException):
    """Base of 2xx exceptions."""


class HTTPOk(HTTPSuccessful, status_code=200): ...


class HTTPCreated(HTTPSuccessful, status_code=201): ...


class HTTPAccepted(HTTPSuccessful, status_code=202): ...


class HTTPNonAuthoritativeInformation(HTTPSuccessful, status_code=203): ...


class HTTPNoContent(HTTPSuccessful, status_code=204, empty_body=True): ...


class HTTPResetContent(HTTPSuccessful, status_code=205, empty_body=True): ...


class HTTPPartialContent(HTTPSuccessful, status_code=206): ...


# -- 3xx redirection ------------------------------------------------------------


class HTTPMove(HTTPRedirection):
    """A redirect: ``location`` becomes the Location header."""

    def __init__(
        self,
        location: StrOrURL,
        *,
        headers: LooseHeaders | None = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        if not location:
            raise ValueError("HTTP redirects need a location to redirect to.")
        loc = str(location)
        if "\r" in loc or "\n" in loc:
            raise ValueError("Redirect location cannot contain CR or LF")
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self._headers[hdrs.LOCATION] = loc
        self.location: URL = URL(loc)


class HTTPMultipleChoices(HTTPMove, status_code=300): ...


class HTTPMovedPermanently(HTTPMove, status_code=301): ...


class HTTPFound(HTTPMove, status_code=302): ...


class HTTPSeeOther(HTTPMove, status_code=303): ...


class HTTPNotModified(HTTPRedirection, status_code=304, empty_body=True): ...


class HTTPUseProxy(HTTPMove, status_code=305): ...


class HTTPTemporaryRedirect(HTTPMove, status_code=307): ...


class HTTPPermanentRedirect(HTTPMove, status_code=308): ...


# -- 4xx client error ------------------------------------------------------------


class HTTPClientError(HTTPError):
    """Base of 4xx exceptions."""


class HTTPBadRequest(HTTPClientError, status_code=400): ...


class HTTPUnauthorized(HTTPClientError, status_code=401): ...


class HTTPPaymentRequired(HTTPClientError, status_code=402): ...


class HTTPForbidden(HTTPClientError, status_code=403): ...


class HTTPNotFound(HTTPClientError, status_code=404): ...


class HTTPMethodNotAllowed(HTTPClientError, status_code=405):
    """405: carries the attempted ``method`` and ``allowed_methods`` (the Allow header)."""

    def __init__(
        self,
        method: str,
        allowed_methods: Iterable[str],
        *,
        headers: LooseHeaders | None = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        allowed = {m.upper() for m in allowed_methods}
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self._headers[hdrs.ALLOW] = ",".join(sorted(allowed))
        self.allowed_methods: set[str] = allowed
        self.method = method.upper()


class HTTPNotAcceptable(HTTPClientError, status_code=406): ...


class HTTPProxyAuthenticationRequired(HTTPClientError, status_code=407): ...


class HTTPRequestTimeout(HTTPClientError, status_code=408): ...


class HTTPConflict(HTTPClientError, status_code=409): ...


class HTTPGone(HTTPClientError, status_code=410): ...


class HTTPLengthRequired(HTTPClientError, status_code=411): ...


class HTTPPreconditionFailed(HTTPClientError, status_code=412): ...


class HTTPRequestEntityTooLarge(HTTPClientError, status_code=413):
    """413; with ``max_size`` and ``actual_size`` the body says what the limit was."""

    def __init__(
        self, max_size: float | None = None, actual_size: float | None = None, **kwargs: Any
    ) -> None:
        if max_size is not None and kwargs.get("text") is None and kwargs.get("body") is None:
            kwargs["text"] = (
                f"Maximum request body size {max_size} exceeded, actual body size {actual_size}"
            )
        super().__init__(**kwargs)
        self.max_size = max_size
        self.actual_size = actual_size


class HTTPRequestURITooLong(HTTPClientError, status_code=414): ...


class HTTPUnsupportedMediaType(HTTPClientError, status_code=415): ...


class HTTPRequestRangeNotSatisfiable(HTTPClientError, status_code=416): ...


class HTTPExpectationFailed(HTTPClientError, status_code=417): ...


class HTTPMisdirectedRequest(HTTPClientError, status_code=421): ...


class HTTPUnprocessableEntity(HTTPClientError, status_code=422): ...


class HTTPFailedDependency(HTTPClientError, status_code=424): ...


class HTTPUpgradeRequired(HTTPClientError, status_code=426): ...


class HTTPPreconditionRequired(HTTPClientError, status_code=428): ...


class HTTPTooManyRequests(HTTPClientError, status_code=429): ...


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError, status_code=431): ...


class HTTPUnavailableForLegalReasons(HTTPClientError, status_code=451):
    """451; ``link`` (optional) points at the authority that demands the block."""

    def __init__(
        self,
        link: StrOrURL | None = None,
        *,
        headers: LooseHeaders | None = None,
        reason: str | None = None,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
    ) -> None:
        super().__init__(
            headers=headers, reason=reason, body=body, text=text, content_type=content_type
        )
        self.link: URL | None = None
        if link:
            text_link = str(link)
            if "\r" in text_link or "\n" in text_link:
                raise ValueError("Link cannot contain CR or LF")
            self.link = URL(text_link)
            self._headers[hdrs.LINK] = f'<{text_link}>; rel="blocked-by"'


# -- 5xx server error ------------------------------------------------------------


class HTTPServerError(HTTPError):
    """Base of 5xx exceptions."""


class HTTPInternalServerError(HTTPServerError, status_code=500): ...


class HTTPNotImplemented(HTTPServerError, status_code=501): ...


class HTTPBadGateway(HTTPServerError, status_code=502): ...


class HTTPServiceUnavailable(HTTPServerError, status_code=503): ...


class HTTPGatewayTimeout(HTTPServerError, status_code=504): ...


class HTTPVersionNotSupported(HTTPServerError, status_code=505): ...


class HTTPVariantAlsoNegotiates(HTTPServerError, status_code=506): ...


class HTTPInsufficientStorage(HTTPServerError, status_code=507): ...


class HTTPNotExtended(HTTPServerError, status_code=510): ...


class HTTPNetworkAuthenticationRequired(HTTPServerError, status_code=511): ...
