"""Smoke test of the benchmark harness (``bench/``): it measures, parses and reports.

Not a timed test: it asserts only that a run produces numbers and a table, never how
fast anything is. One ~1 s wrk run against the floor server; skipped without wrk.
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
from bench.scenarios import parse_importtime_line  # noqa: E402


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
