"""heron.errors (0.x exception names) and the top-level old error names."""

from __future__ import annotations

import asyncio

import pytest

import heron
from heron import http
from heron.http import HttpRequestParser


@pytest.mark.parametrize(
    ("name", "modern"),
    [
        ("HttpProcessingError", http.HttpProcessingError),
        ("BadHttpMessage", http.BadHttpMessage),
        ("HttpBadRequest", http.BadHttpMessage),
        ("BadStatusLine", http.BadStatusLine),
        ("LineTooLong", http.LineTooLong),
        ("InvalidHeader", http.InvalidHeader),
        ("ClientError", heron.ClientError),
        ("ClientDisconnectedError", heron.ClientConnectionResetError),
        ("ServerDisconnectedError", heron.ServerDisconnectedError),
        ("DisconnectedError", heron.ClientConnectionError),
        ("ClientTimeoutError", heron.ServerTimeoutError),
        ("ProxyConnectionError", heron.ClientProxyConnectionError),
        ("HttpProxyError", heron.ClientHttpProxyError),
        ("FingerprintMismatch", heron.ServerFingerprintMismatch),
        ("WSServerHandshakeError", heron.WSServerHandshakeError),
    ],
)
def test_old_names_are_the_modern_classes(name: str, modern: type) -> None:
    import heron.errors

    with pytest.warns(DeprecationWarning, match=modern.__name__):
        assert getattr(heron.errors, name) is modern


def test_thin_subclasses_and_hierarchy() -> None:
    from heron import errors

    with pytest.warns(DeprecationWarning, match="HTTPMethodNotAllowed"):
        exc = errors.HttpMethodNotAllowed(headers=[("Allow", "GET")])
    assert exc.code == 405 and exc.message == "Method Not Allowed"
    assert exc.headers == [("Allow", "GET")]
    with pytest.warns(DeprecationWarning, match="CLOSED"):
        ws_err = errors.WSClientDisconnectedError
    assert issubclass(ws_err, ConnectionResetError)
    with pytest.warns(DeprecationWarning):
        assert issubclass(errors.ServerDisconnectedError, errors.DisconnectedError)
    with pytest.warns(DeprecationWarning):
        assert issubclass(errors.ClientTimeoutError, asyncio.TimeoutError)
    with pytest.raises(AttributeError):
        errors.NoSuchError  # noqa: B018


def test_http_processing_error_0x_signature() -> None:
    exc = http.HttpProcessingError(code=500, message="oops", headers={"X": "1"})
    assert (exc.code, exc.message, exc.headers) == (500, "oops", {"X": "1"})
    assert http.BadHttpMessage("bad").code == 400


def test_parser_errors_caught_by_old_names() -> None:
    from heron import errors

    with pytest.warns(DeprecationWarning):
        old_bad_request, old_line_too_long = errors.HttpBadRequest, errors.LineTooLong
    with pytest.raises(old_bad_request):
        HttpRequestParser().feed_data(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    with pytest.raises(old_line_too_long):
        HttpRequestParser(max_line_size=10).feed_data(b"GET /" + b"a" * 20 + b" HTTP/1.1\r\n\r\n")


def test_top_level_old_names() -> None:
    with pytest.warns(DeprecationWarning, match="heron.ClientProxyConnectionError"):
        assert heron.ProxyConnectionError is heron.ClientProxyConnectionError
    with pytest.warns(DeprecationWarning, match="heron.http.HttpProcessingError"):
        assert heron.HttpProcessingError is http.HttpProcessingError
    with pytest.raises(AttributeError):
        heron.does_not_exist  # noqa: B018
