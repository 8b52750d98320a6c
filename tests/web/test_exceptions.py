"""HTTP exceptions: the tree, status codes, bodies, and raising/returning from handlers."""

from __future__ import annotations

import pytest
from server_helpers import serve

from heron import web

STATUSES = {
    web.HTTPOk: 200,
    web.HTTPCreated: 201,
    web.HTTPAccepted: 202,
    web.HTTPNonAuthoritativeInformation: 203,
    web.HTTPNoContent: 204,
    web.HTTPResetContent: 205,
    web.HTTPPartialContent: 206,
    web.HTTPNotModified: 304,
    web.HTTPBadRequest: 400,
    web.HTTPUnauthorized: 401,
    web.HTTPPaymentRequired: 402,
    web.HTTPForbidden: 403,
    web.HTTPNotFound: 404,
    web.HTTPNotAcceptable: 406,
    web.HTTPProxyAuthenticationRequired: 407,
    web.HTTPRequestTimeout: 408,
    web.HTTPConflict: 409,
    web.HTTPGone: 410,
    web.HTTPLengthRequired: 411,
    web.HTTPPreconditionFailed: 412,
    web.HTTPRequestEntityTooLarge: 413,
    web.HTTPRequestURITooLong: 414,
    web.HTTPUnsupportedMediaType: 415,
    web.HTTPRequestRangeNotSatisfiable: 416,
    web.HTTPExpectationFailed: 417,
    web.HTTPMisdirectedRequest: 421,
    web.HTTPUnprocessableEntity: 422,
    web.HTTPFailedDependency: 424,
    web.HTTPUpgradeRequired: 426,
    web.HTTPPreconditionRequired: 428,
    web.HTTPTooManyRequests: 429,
    web.HTTPRequestHeaderFieldsTooLarge: 431,
    web.HTTPUnavailableForLegalReasons: 451,
    web.HTTPInternalServerError: 500,
    web.HTTPNotImplemented: 501,
    web.HTTPBadGateway: 502,
    web.HTTPServiceUnavailable: 503,
    web.HTTPGatewayTimeout: 504,
    web.HTTPVersionNotSupported: 505,
    web.HTTPVariantAlsoNegotiates: 506,
    web.HTTPInsufficientStorage: 507,
    web.HTTPNotExtended: 510,
    web.HTTPNetworkAuthenticationRequired: 511,
}

REDIRECTS = {
    web.HTTPMultipleChoices: 300,
    web.HTTPMovedPermanently: 301,
    web.HTTPFound: 302,
    web.HTTPSeeOther: 303,
    web.HTTPUseProxy: 305,
    web.HTTPTemporaryRedirect: 307,
    web.HTTPPermanentRedirect: 308,
}


def test_hierarchy() -> None:  # B-159
    assert issubclass(web.HTTPNotFound, web.HTTPClientError)
    assert issubclass(web.HTTPClientError, web.HTTPError)
    assert issubclass(web.HTTPServerError, web.HTTPError)
    assert issubclass(web.HTTPError, web.HTTPException)
    assert issubclass(web.HTTPException, web.Response)
    assert issubclass(web.HTTPException, Exception)
    assert issubclass(web.HTTPFound, web.HTTPMove)
    assert issubclass(web.HTTPMove, web.HTTPRedirection)
    assert issubclass(web.HTTPNotModified, web.HTTPRedirection)
    assert not issubclass(web.HTTPNotModified, web.HTTPMove)
    assert issubclass(web.HTTPOk, web.HTTPSuccessful)


@pytest.mark.parametrize(("cls", "status"), STATUSES.items(), ids=lambda v: str(v))
def test_status_codes(cls: type[web.HTTPException], status: int) -> None:  # B-160
    exc = cls()
    assert exc.status == status == cls.status_code
    assert exc.reason
    assert str(exc) == exc.reason


@pytest.mark.parametrize(("cls", "status"), REDIRECTS.items(), ids=lambda v: str(v))
def test_redirects_carry_location(cls: type[web.HTTPMove], status: int) -> None:
    exc = cls("/there")
    assert exc.status == status
    assert exc.headers["Location"] == "/there"
    assert str(exc.location) == "/there"


def test_redirect_needs_location() -> None:
    with pytest.raises(ValueError):
        web.HTTPFound("")


def test_redirect_location_with_newline_is_refused() -> None:
    with pytest.raises(ValueError):
        web.HTTPFound("/a\r\nSet-Cookie: x=1")


def test_default_body() -> None:  # B-161
    exc = web.HTTPNotFound()
    assert exc.text == "404: Not Found"
    assert exc.content_type == "text/plain"


@pytest.mark.parametrize("cls", [web.HTTPNoContent, web.HTTPResetContent, web.HTTPNotModified])
def test_no_body_statuses(cls: type[web.HTTPException]) -> None:  # B-162
    assert cls().body is None


def test_custom_text_reason_and_headers() -> None:  # B-163
    exc = web.HTTPForbidden(reason="Nope", text="go away", headers={"X-Why": "because"})
    assert exc.reason == "Nope"
    assert exc.text == "go away"
    assert exc.headers["X-Why"] == "because"


def test_method_not_allowed() -> None:
    exc = web.HTTPMethodNotAllowed("put", ["GET", "post"])
    assert exc.status == 405
    assert exc.method == "PUT"
    assert exc.allowed_methods == {"GET", "POST"}
    assert exc.headers["Allow"] == "GET,POST"


def test_entity_too_large_text() -> None:
    exc = web.HTTPRequestEntityTooLarge(max_size=10, actual_size=20)
    assert exc.status == 413
    assert "10" in (exc.text or "") and "20" in (exc.text or "")


def test_unavailable_for_legal_reasons_link() -> None:
    exc = web.HTTPUnavailableForLegalReasons("https://example.org/why")
    assert exc.headers["Link"] == '<https://example.org/why>; rel="blocked-by"'


def test_exceptions_raise_and_compare_by_identity() -> None:
    a, b = web.HTTPNotFound(), web.HTTPNotFound()
    assert a != b
    assert a == a
    with pytest.raises(web.HTTPClientError) as info:
        raise a
    assert info.value is a
    assert "HTTPNotFound" in repr(a)


@pytest.mark.parametrize("mode", ["raise", "return"])
async def test_raise_or_return_give_the_same_response(mode: str) -> None:  # B-158
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        exc = web.HTTPFound("/redirect", headers={"X-Extra": "1"})
        if mode == "raise":
            raise exc
        return exc

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = await conn.response()
        assert reply.status == 302
        assert reply.headers["Location"] == "/redirect"
        assert reply.headers["X-Extra"] == "1"
        assert reply.body == b"302: Found"
        # The connection stays usable after an HTTP exception.
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).status == 302
        await conn.close()


async def test_not_modified_sends_no_body() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        raise web.HTTPNotModified()

    async with serve(handler) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        first = await conn.response()
        assert first.status == 304
        assert "Content-Length" not in first.headers
        assert (await conn.response()).status == 304
        await conn.close()
