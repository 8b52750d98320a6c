"""Results: medians, the heron/aiohttp ratio of each interleaved pair, targets, the table.

Every row holds, per side, the value of each repetition in run order, so that the i-th
heron run pairs with the i-th aiohttp run; a row's ratio is the median of those pair
ratios (robust to a noisy moment that slowed one pair down).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field

MIB = 1024 * 1024

# The S3 flatness row: heron with 1,000 routes (side "heron") against heron with 1 route
# (the reference side ``ONE_ROUTE``), run as interleaved pairs on the same loop.
S3_FLAT = "S3/flat"
ONE_ROUTE = "heron, 1 route"


@dataclass
class SideResult:
    """What one side (heron, aiohttp, floor, httpx) gave in one row."""

    values: list[float] = field(default_factory=list)  # one per repetition, run order
    p99_ms: list[float] = field(default_factory=list)
    peak_rss: int = 0  # bytes; 0 when not measured
    errors: int = 0  # wrk's socket/status error count, summed
    error: str | None = None  # set when the side could not be measured

    @property
    def ok(self) -> bool:
        """Whether this side produced at least one value and no fatal error."""
        return self.error is None and bool(self.values)

    @property
    def median(self) -> float | None:
        """Median value over repetitions, or None when not measured."""
        return statistics.median(self.values) if self.ok else None

    @property
    def median_p99(self) -> float | None:
        """Median p99 latency in ms, or None when not measured."""
        return statistics.median(self.p99_ms) if self.ok and self.p99_ms else None


@dataclass
class Row:
    """One scenario on one event loop: heron, aiohttp and an optional reference side."""

    scenario: str  # e.g. "S1", "S3/1000", "S3/flat", "C64"
    label: str
    loop: str  # "asyncio", "uvloop" or "-"
    unit: str  # "req/s", "msg/s", "MiB", "ms"
    higher_is_better: bool = True
    sides: dict[str, SideResult] = field(default_factory=dict)
    reference: str | None = None  # name of the third side ("floor", "httpx")

    def side(self, name: str) -> SideResult:
        """The result of ``name``, created empty on first use."""
        return self.sides.setdefault(name, SideResult())

    def ratio(self, other: str, of: str = "heron") -> float | None:
        """Median over repetitions of ``of``/``other`` (pairs in run order)."""
        a, b = self.sides.get(of), self.sides.get(other)
        if a is None or b is None or not a.ok or not b.ok:
            return None
        pairs = [x / y for x, y in zip(a.values, b.values, strict=False) if y]
        return statistics.median(pairs) if pairs else None


@dataclass
class Check:
    """One target from issue 4 and whether the run met it."""

    what: str
    value: float | None
    op: str  # ">=" or "<="
    threshold: float

    @property
    def met(self) -> bool | None:
        """True/False, or None when a side was not measured."""
        if self.value is None:
            return None
        return self.value >= self.threshold if self.op == ">=" else self.value <= self.threshold


def evaluate(rows: list[Row]) -> list[Check]:
    """Every target of issue 4 that this run has the rows for."""
    checks: list[Check] = []
    ratio_targets = {
        "S1": 3.0,
        "S2": 3.0,
        "S3/200": 3.0,
        "S3/1000": 3.0,
        "S4": 2.0,
        "S6/1x": 2.0,
        "S6/64": 2.0,
        "C1": 2.0,
        "C64": 2.0,
    }
    for row in rows:
        sc, loop = row.scenario, row.loop
        if sc in ratio_targets:
            checks.append(
                Check(
                    f"{sc} {loop}: heron / aiohttp", row.ratio("aiohttp"), ">=", ratio_targets[sc]
                )
            )
        if sc in ("S1", "S2") and row.reference == "floor":
            checks.append(Check(f"{sc} {loop}: heron / floor", row.ratio("floor"), ">=", 0.5))
        if sc == "S5":
            need = 1.5 if loop == "uvloop" else 1.0
            checks.append(Check(f"S5 {loop}: heron / aiohttp", row.ratio("aiohttp"), ">=", need))
        if sc in ("C1", "C64"):
            checks.append(Check(f"{sc} {loop}: heron / httpx", row.ratio("httpx"), ">=", 4.0))
        if sc == "M1" or sc.startswith("I1"):
            checks.append(Check(f"{sc} {loop}: heron / aiohttp", row.ratio("aiohttp"), "<=", 0.7))
        if sc == S3_FLAT:
            # Judged on the row's own interleaved pairs (1 route, 1000 routes, ...), not on
            # the medians of S3/1 and S3/1000: those ran minutes apart and swing with load.
            checks.append(
                Check(
                    f"S3 {loop}: heron 1000 routes / heron 1 route (interleaved)",
                    row.ratio(ONE_ROUTE),
                    ">=",
                    0.9,
                )
            )
    return checks


# --------------------------------------------------------------------------- formatting


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("MiB", "ms"):
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def _cell(row: Row, name: str) -> str:
    side = row.sides.get(name)
    if side is None:
        return ""
    if side.error is not None:
        return f"n/a (error: {side.error})"
    text = _num(side.median, row.unit)
    if side.errors:
        text += f" ({side.errors} errs)"
    return text


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def _pair(row: Row, getter: str) -> str:
    parts = []
    for name in ("heron", "aiohttp"):
        side = row.sides.get(name)
        if side is None or not side.ok:
            parts.append("-")
        elif getter == "p99":
            p99 = side.median_p99
            parts.append("-" if p99 is None else f"{p99:.2f}" if p99 < 10 else f"{p99:.1f}")
        else:
            parts.append(_num(side.peak_rss / MIB, "MiB") if side.peak_rss else "-")
    return " / ".join(parts)


HEADER = (
    "| scenario | loop | unit | heron | aiohttp | reference | heron/aiohttp | heron/ref "
    "| p99 ms heron / aiohttp | peak RSS MiB heron / aiohttp |"
)


def table(rows: list[Row]) -> str:
    """The results as a Markdown table."""
    lines = [HEADER, "|" + "---|" * 10]
    for row in rows:
        ref = ""
        ref_ratio = ""
        if row.reference is not None:
            ref = f"{row.reference}: {_cell(row, row.reference)}"
            ref_ratio = _ratio(row.ratio(row.reference))
        # A row without an aiohttp side (S3/flat) leaves that column empty, not "n/a".
        vs_aiohttp = _ratio(row.ratio("aiohttp")) if "aiohttp" in row.sides else ""
        lines.append(
            f"| {row.label} | {row.loop} | {row.unit} | {_cell(row, 'heron')} "
            f"| {_cell(row, 'aiohttp')} | {ref} | {vs_aiohttp} | {ref_ratio} "
            f"| {_pair(row, 'p99')} | {_pair(row, 'rss')} |"
        )
    return "\n".join(lines)


def targets_table(checks: list[Check]) -> str:
    """The targets as a Markdown table with a verdict each."""
    lines = ["| target | measured | needed | met |", "|---|---|---|---|"]
    for c in checks:
        verdict = {True: "yes", False: "**no**", None: "not measured"}[c.met]
        lines.append(f"| {c.what} | {_ratio(c.value)} | {c.op} {c.threshold:g}x | {verdict} |")
    return "\n".join(lines)


def ceilings_table(rows: list[Row]) -> str:
    """For each row with a floor: how many times aiohttp's rate the floor itself reaches.

    A ratio target above the floor's own ratio cannot be met by any framework on this
    machine and loop; the heron/aiohttp target is listed beside it for that reading.
    """
    lines = [
        "| scenario | loop | floor / aiohttp | heron / aiohttp | heron / floor |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        if row.reference != "floor":
            continue
        lines.append(
            f"| {row.label} | {row.loop} | {_ratio(row.ratio('aiohttp', of='floor'))} "
            f"| {_ratio(row.ratio('aiohttp'))} | {_ratio(row.ratio('floor'))} |"
        )
    return "\n".join(lines) if len(lines) > 2 else ""


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _wrk_version() -> str:
    try:
        out = subprocess.run(["wrk", "--version"], capture_output=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return out.decode(errors="replace").split("Copyright")[0].strip() or "unknown"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment() -> list[str]:
    """Lines describing the machine and the software versions."""
    versions = ", ".join(
        f"{d} {_version(d)}" for d in ("heron", "aiohttp", "uvloop", "httptools", "httpx")
    )
    return [
        f"- date: {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- machine: {_cpu_model()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}",
        f"- python: {platform.python_implementation()} {platform.python_version()}",
        f"- versions: {versions}, {_wrk_version()}",
    ]


def load_average() -> str:
    """The 1-minute load average, to judge how much else ran on the machine."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "unknown"


def markdown(
    rows: list[Row], checks: list[Check], settings: str, elapsed: float, load: str = ""
) -> str:
    """The whole RESULTS.md document; ``load`` describes the machine's load during the run."""
    met = sum(1 for c in checks if c.met)
    missed = sum(1 for c in checks if c.met is False)
    unmeasured = sum(1 for c in checks if c.met is None)
    parts = [
        "# Benchmark results",
        "",
        "Written by `python -m bench` (`make bench`); see `bench/README.md` for the method.",
        "",
        *environment(),
        f"- settings: {settings}; wall time {elapsed / 60:.1f} min",
        f"- load average (1 min): {load or load_average()} (other processes share these cores; "
        "well above 1, absolute rates are depressed and ratios noisy)",
        "",
        "## Results",
        "",
        "Values are medians over interleaved repetitions (heron, aiohttp, reference, heron, ...);",
        "ratios are the medians of the per-pair ratios. M1 is the server's RSS with the",
        "connections held; I1 is the cumulative import time from `python -X importtime`.",
        'The S3 "1000 vs 1 route" row runs heron against itself (1 route, 1,000 routes,',
        "1 route, ...); its heron/ref is the median of those pair ratios.",
        "",
        table(rows),
        "",
        f"## Targets (issue 4): {met} met, {missed} missed, {unmeasured} not measured",
        "",
        targets_table(checks),
        "",
    ]
    ceilings = ceilings_table(rows)
    if ceilings:
        parts += [
            "## The floor against aiohttp",
            "",
            "How many times aiohttp's rate the floor (a bare protocol with no framework:",
            "uvloop + httptools with a canned answer for HTTP, an in-`data_received` echo for",
            "S6) reaches, from the same interleaved runs. A heron/aiohttp target above this",
            "ratio is out of reach for any framework on this machine and loop.",
            "",
            ceilings,
            "",
        ]
    return "\n".join(parts)
