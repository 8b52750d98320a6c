"""Smoke test of the benchmark harness (``bench/``): it measures, parses and reports.

Not a timed test: it asserts only that a run produces numbers and a table, never how
fast anything is. One ~1 s wrk run against the floor server and one pair of 1 s runs
of the S3 flatness row (heron with 1 route, then 1,000 routes); skipped without wrk.
The WebSocket floor is driven by the S6 load generator for a few hundred echoes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.loadgen import parse_wrk, write_script, wrk_command, wrk_script  # noqa: E402
from bench.procs import Server, run_loadgen  # noqa: E402
from bench.scenarios import (  # noqa: E402
    Settings,
    _ws_run,
    parse_importtime_line,
    run_http,
    s3_flat_case,
)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_wrk_against_floor_server_gives_a_rate_and_p99() -> None:
    server = Server("floor", [sys.executable, "-m", "bench.servers.floor", "--body", "text"])
    server.start(timeout=10)
    script = write_script(wrk_script())
    try:
        url = f"http://127.0.0.1:{server.port}/"
        sample = parse_wrk(run_loadgen(wrk_command(url, 4, 1, script), timeout=15))
    finally:
        Path(script).unlink()
        server.stop()
    assert sample.count > 0
    assert sample.errors == 0
    assert sample.rate > 0 and sample.p99_ms > 0
    assert server.peak_rss > 0


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_websocket_floor_echoes_for_the_s6_load_generator(loop: str) -> None:
    server = Server("floor", [sys.executable, "-m", "bench.servers.floor_ws", "--loop", loop])
    server.start(timeout=10)
    try:
        one = _ws_run(server.port, 1, 300, 0.0)
        many = _ws_run(server.port, 8, 50, 0.0)
    finally:
        server.stop()
    assert one.count == 300 and one.rate > 0
    assert many.count == 8 * 50


def test_the_floor_against_aiohttp_is_tabled_for_rows_with_a_floor() -> None:
    ws = report.Row("S6/64", "S6 WebSocket echo", "asyncio", "msg/s", reference="floor")
    ws.side("heron").values = [120.0, 130.0, 110.0]
    ws.side("aiohttp").values = [100.0, 100.0, 100.0]
    ws.side("floor").values = [170.0, 180.0, 150.0]
    c1 = report.Row("C1", "C1 client", "asyncio", "req/s", reference="httpx")
    c1.side("heron").values = [3.0]
    c1.side("aiohttp").values = [1.0]
    c1.side("httpx").values = [0.1]
    lines = report.ceilings_table([ws, c1]).splitlines()
    assert lines[2] == "| S6 WebSocket echo | asyncio | 1.70x | 1.20x | 0.72x |"
    assert len(lines) == 3  # the client row has no floor
    assert report.ceilings_table([c1]) == ""
    document = report.markdown([ws], report.evaluate([ws]), "quick", 1.0, load="0.10")
    assert "## The floor against aiohttp" in document and "1.70x" in document


def test_ratios_pair_runs_in_order_and_targets_are_judged() -> None:
    row = report.Row("S1", "S1 plaintext", "uvloop", "req/s", reference="floor")
    row.side("heron").values = [300.0, 330.0, 90.0]
    row.side("aiohttp").values = [100.0, 100.0, 100.0]
    row.side("floor").values = [500.0, 600.0, 600.0]
    assert row.ratio("aiohttp") == pytest.approx(3.0)  # median of 3.0, 3.3, 0.9
    checks = {c.what: c.met for c in report.evaluate([row])}
    assert checks == {"S1 uvloop: heron / aiohttp": True, "S1 uvloop: heron / floor": True}
    table = report.table([row])
    assert "3.00x" in table and "floor: 600" in table


def test_s3_flatness_is_judged_on_its_own_interleaved_pairs() -> None:
    # The heron-vs-aiohttp rows ran minutes apart: their heron medians (0.1x) must not count.
    separate = [report.Row(f"S3/{n}", f"{n}", "uvloop", "req/s") for n in (1, 1000)]
    for row, rate in zip(separate, (100.0, 10.0), strict=True):
        row.side("heron").values = [rate]
        row.side("aiohttp").values = [rate / 2]
    flat = report.Row(
        report.S3_FLAT, "S3 1000 vs 1 route", "uvloop", "req/s", reference=report.ONE_ROUTE
    )
    flat.side(report.ONE_ROUTE).values = [100.0, 40.0, 100.0]
    flat.side("heron").values = [95.0, 40.0, 50.0]  # pairs 0.95, 1.0, 0.5; medians 50/100
    checks = {c.what: c.value for c in report.evaluate([*separate, flat])}
    flatness = [v for what, v in checks.items() if "1000 routes / heron 1 route" in what]
    assert flatness == [pytest.approx(0.95)]
    cells = [c.strip() for c in report.table([flat]).splitlines()[-1].split("|")]
    # label, loop, unit, heron, aiohttp (none), reference, heron/aiohttp (none), heron/ref
    assert cells[1:9] == [
        "S3 1000 vs 1 route",
        "uvloop",
        "req/s",
        "50",
        "",
        "heron, 1 route: 100",
        "",
        "0.95x",
    ]


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_s3_flatness_row_runs_both_route_counts_in_turn() -> None:
    messages: list[str] = []  # one progress line per timed run, in run order
    quick = Settings(duration=1.0, warmup=0.0, reps=1, conns=4)
    row = run_http(s3_flat_case(), "asyncio", quick, messages.append)
    assert [m.split(" #")[0].strip() for m in messages] == [
        f"S3/flat asyncio {report.ONE_ROUTE}",
        "S3/flat asyncio heron",
    ]
    for name in (report.ONE_ROUTE, "heron"):
        side = row.side(name)
        assert side.error is None and side.errors == 0
        assert len(side.values) == 1 and side.values[0] > 0
    (check,) = report.evaluate([row])
    assert check.value is not None and check.value > 0


def test_failed_side_is_reported_not_raised() -> None:
    row = report.Row("S4", "S4 POST echo", "asyncio", "req/s")
    row.side("heron").error = "ImportError: no web.Application"
    row.side("aiohttp").values = [10.0]
    assert "n/a (error: ImportError" in report.table([row])
    assert [c.met for c in report.evaluate([row])] == [None]


def test_import_time_lines_are_parsed_with_their_nesting() -> None:
    assert parse_importtime_line("import time:       120 |        450 | heron") == (450, "heron")
    assert parse_importtime_line("import time:        10 |         10 |   yarl") == (10, "  yarl")
    assert parse_importtime_line("import time: self [us] | cumulative | imported package") is None
