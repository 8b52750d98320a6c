"""``python -m bench``: run the scenarios of issue 4, print the table, write RESULTS.md.

Examples::

    python -m bench                          # everything, both loops (~15 min)
    python -m bench --quick --only S1,S2     # a fast look while iterating
    python -m bench --only S3 --loop uvloop --reps 5
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import report, scenarios
from bench.loadgen import wrk_available
from bench.report import Row
from bench.scenarios import (
    Settings,
    http_cases,
    run_client,
    run_http,
    run_imports,
    run_memory,
    run_ws,
)

GROUPS = ("S1", "S2", "S3", "S4", "S5", "S6", "C1", "C64", "M1", "I1")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short runs, small counts, 1 rep")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(GROUPS)}")
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "both"), default="both")
    parser.add_argument("--reps", type=int, help="repetitions per side (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per timed HTTP run")
    parser.add_argument(
        "--output",
        type=Path,
        help="write the Markdown report here "
        "(default: bench/RESULTS.md after a full run of everything)",
    )
    parser.add_argument(
        "--heron-as",
        metavar="PACKAGE",
        help="self-test of the harness: run the heron side with this package (e.g. aiohttp)",
    )
    parser.add_argument("--no-write", action="store_true", help="never write a report file")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings for the chosen mode and overrides."""
    s = Settings.quick_settings() if args.quick else Settings()
    if args.reps:
        s.reps = args.reps
    if args.duration:
        s.duration = args.duration
    if args.loop != "both":
        s.loops = (args.loop,)
    return s


def selected(args: argparse.Namespace) -> list[str]:
    """The scenario groups to run, in the canonical order."""
    if not args.only:
        return list(GROUPS)
    wanted = {x.strip().upper() for x in args.only.split(",") if x.strip()}
    unknown = wanted - set(GROUPS)
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(sorted(unknown))}; pick from {GROUPS}")
    return [g for g in GROUPS if g in wanted]


def _log(start: float) -> Callable[[str], None]:
    def progress(message: str) -> None:
        sys.stderr.write(f"[{time.monotonic() - start:6.0f}s] {message}\n")
        sys.stderr.flush()

    return progress


def run_all(groups: list[str], s: Settings, progress: Callable[[str], None]) -> list[Row]:
    """Run the selected groups; every failure ends up as "n/a" in a row, never as a crash."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-static-") as static_root:
        Path(static_root, "1mib.bin").write_bytes(os.urandom(report.MIB))
        cases = http_cases(static_root)
        for group in groups:
            progress(f"{group} ...")
            if group in cases:
                for case in cases[group]:
                    for loop in s.loops:
                        if not wrk_available():
                            row = Row(case.scenario, case.label, loop, "req/s")
                            for name in ("heron", "aiohttp"):
                                row.side(name).error = "wrk not installed (apt-get install wrk)"
                            rows.append(row)
                            continue
                        rows.append(run_http(case, loop, s, progress))
            elif group == "S6":
                rows.extend(run_ws(v, loop, s, progress) for v in ("1x", "64") for loop in s.loops)
            elif group in ("C1", "C64"):
                conc = 1 if group == "C1" else 64
                rows.extend(run_client(conc, loop, s, progress) for loop in s.loops)
            elif group == "M1":
                rows.extend(run_memory(loop, s, progress) for loop in s.loops)
            elif group == "I1":
                rows.extend(run_imports(s, progress))
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run, print, and write the report; exit status 0 even when targets are missed."""
    args = parse_args(argv)
    s = settings_from(args)
    if args.heron_as:
        scenarios.IMPLEMENTATION["heron"] = args.heron_as
    groups = selected(args)
    start = time.monotonic()
    load_before = report.load_average()
    progress = _log(start)
    progress(f"bench: {', '.join(groups)} on {', '.join(s.loops)}; {s.describe()}")
    if args.heron_as:
        progress(f"SELF-TEST: the heron side runs {args.heron_as}, not heron")
    rows = run_all(groups, s, progress)
    checks = report.evaluate(rows)
    elapsed = time.monotonic() - start
    print()
    print(report.table(rows))
    print()
    print(report.targets_table(checks))
    output = args.output
    complete = groups == list(GROUPS) and len(s.loops) == 2 and not args.heron_as
    if output is None and not args.quick and complete:
        output = RESULTS
    if output is not None and not args.no_write:
        load = f"{load_before} at start, {report.load_average()} at end"
        output.write_text(report.markdown(rows, checks, s.describe(), elapsed, load))
        print(f"\nwrote {output}")
    else:
        print("\n(partial or quick run: no report written; pass --output FILE to keep one)")
    print(f"elapsed {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
