"""The access log: format letters, default format, custom loggers, zero cost when off."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time
from typing import Any

import pytest
from server_helpers import serve

from heron import web


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def access() -> Any:
    logger = logging.getLogger("heron.test.access")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = ListHandler()
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


async def handler(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(text="hello", headers={"X-Out": "out-value"})


async def log_line(access: Any, fmt: str, raw: bytes | None = None) -> str:
    logger, records = access
    async with serve(handler, access_log=logger, access_log_format=fmt) as srv:
        conn = await srv.connect()
        conn.send(
            raw
            or b"GET /path?q=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: ua/1\r\nReferer: http://r/\r\n\r\n"
        )
        await conn.response()
        await conn.close()
    assert len(records.records) == 1
    return records.records[0].getMessage()


async def test_default_format(access: Any) -> None:  # B-232
    line = await log_line(access, web.AccessLogger.LOG_FORMAT)
    pattern = (
        r"127\.0\.0\.1 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "
        r'"GET /path\?q=1 HTTP/1\.1" 200 5 "http://r/" "ua/1"'
    )
    assert re.fullmatch(pattern, line), line


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("%%", "%"),  # B-233
        ("%a", "127.0.0.1"),  # B-234
        ("%P", f"<{os.getpid()}>"),  # B-236
        ("%r", "GET /path?q=1 HTTP/1.1"),  # B-237
        ("%s", "200"),  # B-238
        ("%b", "5"),  # B-239
        ("%{User-Agent}i", "ua/1"),  # B-241
        ("%{X-Out}o", "out-value"),
        ("%{Content-Type}o", "text/plain; charset=utf-8"),
        ("%{HERON_TEST_ENV}e", "env-value"),
        ("%{X-Missing}i", "-"),
        ("%l %u", "- -"),
        ("before %s after", "before 200 after"),
        ("%Z", "%Z"),  # unknown letters stay as they are
    ],
)
async def test_format_letters(
    access: Any, monkeypatch: pytest.MonkeyPatch, fmt: str, expected: str
) -> None:
    monkeypatch.setenv("HERON_TEST_ENV", "env-value")
    if fmt == "%P":
        fmt = "<%P>"
    assert await log_line(access, fmt) == expected


async def test_sizes_and_times(access: Any) -> None:  # B-235, B-239, B-240
    before = time.time()
    line = await log_line(access, "%O|%T|%Tf|%D|%t")
    out, secs, fsecs, micros, started = line.split("|")
    assert int(out) > 5 + 100  # the head counts too
    assert int(secs) == 0
    assert 0 <= float(fsecs) < 1
    assert 0 <= int(micros) < 1_000_000
    stamp = time.mktime(time.strptime(started[1:21], "%d/%b/%Y:%H:%M:%S"))
    assert abs(stamp - before) < 5 or abs(stamp - before - time.timezone) < 5


async def test_record_extras(access: Any) -> None:
    await log_line(access, "%s")
    record = access[1].records[0]
    assert record.remote_address == "127.0.0.1"
    assert record.response_status == 200
    assert record.first_request_line == "GET /path?q=1 HTTP/1.1"


class CountingLogger(web.AbstractAccessLogger):
    calls: list[tuple[str, int, float]] = []

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.calls.append((request.path, response.status, time))


async def test_custom_access_logger(access: Any) -> None:
    logger, _ = access
    CountingLogger.calls = []
    async with serve(handler, access_log=logger, access_log_class=CountingLogger) as srv:
        conn = await srv.connect()
        conn.send(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        await conn.response()
        await conn.response()
        await conn.close()
    assert [(p, s) for p, s, _ in CountingLogger.calls] == [("/a", 200), ("/b", 200)]
    assert all(t >= 0 for _, _, t in CountingLogger.calls)


class ExplodingLogger(web.AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        raise AssertionError("must not be called when disabled")

    @property
    def enabled(self) -> bool:
        return False


async def test_disabled_logger_costs_nothing(access: Any) -> None:  # B-231
    logger, _ = access
    async with serve(handler, access_log=logger, access_log_class=ExplodingLogger) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert (await conn.response()).status == 200
        await conn.close()


async def test_no_access_log(access: Any) -> None:
    _, records = access
    async with serve(handler, access_log=None) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await conn.response()
        await conn.close()
    assert records.records == []


async def test_logger_below_info_is_skipped(access: Any) -> None:
    logger, records = access
    logger.setLevel(logging.WARNING)
    async with serve(handler, access_log=logger) as srv:
        conn = await srv.connect()
        conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        await conn.response()
        await conn.close()
    assert records.records == []


def test_access_logger_names() -> None:
    from heron.web.log import access_logger, server_logger

    assert access_logger.name == "aiohttp.access"
    assert server_logger.name == "aiohttp.server"


@pytest.mark.parametrize(
    ("raw", "request_line", "status"),
    [
        (b"BROKEN\r\n\r\n", "UNKNOWN / HTTP/1.1", 400),
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "UNKNOWN / HTTP/1.1", 414),
        (b"GET /no-host HTTP/1.1\r\n\r\n", "GET /no-host HTTP/1.1", 400),
    ],
    ids=["malformed", "too-long", "missing-host"],
)
async def test_requests_rejected_before_the_handler_are_logged(
    access: Any, raw: bytes, request_line: str, status: int
) -> None:
    logger, records = access
    async with serve(handler, access_log=logger, access_log_format='"%r" %s %b') as srv:
        conn = await srv.connect()
        conn.send(raw)
        reply = await conn.response()
        await conn.close()
    assert reply.status == status
    assert [r.getMessage() for r in records.records] == [
        f'"{request_line}" {status} {len(reply.body)}'
    ]


async def test_disabled_logger_is_not_called_for_rejected_requests(access: Any) -> None:
    logger, _ = access
    async with serve(handler, access_log=logger, access_log_class=ExplodingLogger) as srv:
        conn = await srv.connect()
        conn.send(b"BROKEN\r\n\r\n")
        assert (await conn.response()).status == 400
        await conn.close()


def test_request_time_is_precise_on_uvloop(access: Any) -> None:
    # uvloop's loop.time() has millisecond resolution and advances once per loop
    # iteration, so a fast request timed with it would log 0 microseconds.
    uvloop = pytest.importorskip("uvloop")
    logger, records = access

    async def main() -> None:
        async with serve(handler, access_log=logger, access_log_format="%D") as srv:
            conn = await srv.connect()
            for _ in range(5):
                conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                await conn.response()
            await conn.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
    micros = [int(r.getMessage()) for r in records.records]
    assert len(micros) == 5
    assert all(0 < m < 1_000_000 for m in micros), micros


async def test_head_timeout_408_is_logged(access: Any) -> None:
    # A head that does not complete in time is answered 408, and logged like any
    # request refused before its handler.
    logger, records = access
    async with serve(
        handler, access_log=logger, access_log_format='"%r" %s %b', request_head_timeout=0.2
    ) as srv:
        conn = await srv.connect()
        conn.send(b"GET /slow HTTP/1.1\r\nHost: x\r\n")
        reply = await conn.response(timeout=3)
        assert await conn.closed_by_server()
        await conn.close()
    assert reply.status == 408
    assert reply.headers["Connection"] == "close"
    assert b"not received in time" in reply.body
    assert [r.getMessage() for r in records.records] == [
        f'"UNKNOWN / HTTP/1.1" 408 {len(reply.body)}'
    ]
