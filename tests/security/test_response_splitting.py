"""Handler-supplied CR/LF must never reach the wire: the response becomes a 500."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from server_helpers import fetch, serve

from heron import web

INJECTED = "x\r\nSet-Cookie: evil=1\r\n\r\n<html>"


def _header_value() -> web.StreamResponse:
    return web.Response(text="ok", headers={"X-Echo": INJECTED})


def _header_value_lf_only() -> web.StreamResponse:
    resp = web.Response(text="ok")
    resp.headers["X-Echo"] = "x\nSet-Cookie: evil=1"
    return resp


def _header_name() -> web.StreamResponse:
    return web.Response(text="ok", headers={"X-A\r\nSet-Cookie: evil=1\r\nX-B": "v"})


def _header_value_nul() -> web.StreamResponse:
    return web.Response(text="ok", headers={"X-Echo": "a\x00Set-Cookie: evil=1"})


def _reason() -> web.StreamResponse:
    resp = web.StreamResponse()
    resp.set_status(200, "OK\r\nSet-Cookie: evil=1")
    return resp


def _redirect() -> web.StreamResponse:
    raise web.HTTPFound("/next\r\nSet-Cookie: evil=1")


def _content_type() -> web.StreamResponse:
    resp = web.Response(text="ok")
    resp.headers["Content-Type"] = "text/plain\r\nSet-Cookie: evil=1"
    return resp


CASES: dict[str, Callable[[], web.StreamResponse]] = {
    "header-value": _header_value,
    "header-value-lf": _header_value_lf_only,
    "header-name": _header_name,
    "header-value-nul": _header_value_nul,
    "reason": _reason,
    "redirect-location": _redirect,
    "content-type": _content_type,
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
async def test_cr_lf_from_the_handler_gives_500(
    make: Callable[[], web.StreamResponse], caplog: pytest.LogCaptureFixture
) -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return make()

    caplog.set_level(logging.ERROR, logger="aiohttp.server")
    async with serve(handler) as srv:
        data = await fetch(srv, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 500 ")
    assert b"evil" not in data
    assert data.count(b"HTTP/1.1 ") == 1
    assert caplog.records  # the programming error is logged for the operator


async def test_cookie_value_cannot_split_the_response() -> None:
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        resp = web.Response(text="ok")
        resp.set_cookie("name", "v\r\nX-Evil: 1")
        return resp

    async with serve(handler) as srv:
        data = await fetch(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head = data.partition(b"\r\n\r\n")[0]
    assert b"\r\nX-Evil" not in head  # either refused (500) or quoted into the cookie
    assert head.split(b" ", 2)[1] in (b"200", b"500")


async def test_request_header_echoed_into_a_response_is_safe() -> None:
    # obs-text in a request header survives decoding; echoing it back must not split.
    async def handler(request: web.BaseRequest) -> web.StreamResponse:
        return web.Response(text="ok", headers={"X-Echo": request.headers["X-In"]})

    async with serve(handler) as srv:
        data = await fetch(
            srv, b"GET / HTTP/1.1\r\nHost: x\r\nX-In: caf\xc3\xa9 \xff\r\nConnection: close\r\n\r\n"
        )
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nX-Echo: caf\xc3\xa9 \xff\r\n" in data
