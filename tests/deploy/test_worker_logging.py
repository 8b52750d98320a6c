"""gunicorn-style access-log formats (the worker's GunicornAccessLogger), in process."""

from __future__ import annotations

import base64
import logging
import os

import httpx
import pytest

from heron import web

pytest.importorskip("gunicorn")

from heron.worker import GUNICORN_DEFAULT_LOG_FORMAT, GunicornAccessLogger


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello", headers={"X-Out": "o"})


async def served_line(log_format: str, caplog: pytest.LogCaptureFixture, **kwargs) -> str:
    app = web.Application()
    app.router.add_get("/path", hello)
    logger = logging.getLogger("test.gunicorn.access")
    runner_kwargs = {
        "access_log": logger,
        "access_log_class": GunicornAccessLogger,
        "access_log_format": log_format,
    }
    caplog.set_level(logging.INFO, logger=logger.name)
    app_runner = web.AppRunner(app, **runner_kwargs)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    port = app_runner.addresses[0][1]
    try:
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/path?q=1", **kwargs)
    finally:
        await app_runner.cleanup()
    return caplog.records[-1].getMessage()


async def test_gunicorn_default_format(caplog: pytest.LogCaptureFixture) -> None:
    auth = "Basic " + base64.b64encode(b"alice:secret").decode()
    line = await served_line(
        GUNICORN_DEFAULT_LOG_FORMAT,
        caplog,
        headers={"User-Agent": "ua/1", "Referer": "http://r/", "Authorization": auth},
    )
    prefix, _, rest = line.partition(" [")
    assert prefix == "127.0.0.1 - alice"
    assert rest.split("] ", 1)[1] == '"GET /path?q=1 HTTP/1.1" 200 5 "http://r/" "ua/1"'


async def test_every_gunicorn_atom(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HERON_TEST_VAR", "envval")
    log_format = (
        "%(h)s|%(l)s|%(u)s|%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(B)s|%(b)s|%(f)s|%(a)s|"
        "%(p)s|%({x-in}i)s|%({x-out}o)s|%({heron_test_var}e)s|%(nonsense)s|%(T)s|%(M)s"
    )
    line = await served_line(log_format, caplog, headers={"X-In": "i", "User-Agent": "ua"})
    fields = line.split("|")
    assert fields[:-2] == [
        *("127.0.0.1", "-", "-", "GET", "/path", "q=1", "HTTP/1.1", "200", "5", "5", "-"),
        *("ua", f"<{os.getpid()}>", "i", "o", "envval", "-"),
    ]
    assert fields[-2] == "0" and fields[-1].isdigit()
