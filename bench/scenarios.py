"""The scenarios of issue 4 and how each one is run, side by side and interleaved."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from bench.loadgen import Sample, parse_wrk, write_script, wrk_command, wrk_script
from bench.procs import (
    LOADGEN_CORE,
    PYTHON,
    ROOT,
    SERVER_CORE,
    Server,
    SideError,
    last_error_line,
    pinned,
    read_line,
    run_loadgen,
    running,
)
from bench.report import MIB, ONE_ROUTE, S3_FLAT, Row
from bench.servers.s3_routing import target_path

FRAMEWORKS = ("heron", "aiohttp")

# Which package each side really runs. Only ``--heron-as`` (a self-test of the harness
# while heron cannot serve yet) changes it.
IMPLEMENTATION: dict[str, str] = {"heron": "heron", "aiohttp": "aiohttp"}


@dataclass
class Settings:
    """How long and how often to run; ``quick()`` gives a fast variant for iteration."""

    duration: float = 4.0  # seconds per timed wrk / S6-64 run
    warmup: float = 1.0
    reps: int = 3
    loops: tuple[str, ...] = ("asyncio", "uvloop")
    conns: int = 64
    ws_messages: int = 100_000  # S6 1-connection round trips
    ws_duration: float = 10.0  # S6 64-connection run
    client_requests: int = 20_000
    client_seconds: float = 10.0  # cap per client run (httpx at 64 is slow)
    m1_conns: int = 10_000
    import_runs: int = 7
    quick: bool = False

    @classmethod
    def quick_settings(cls) -> Settings:
        """Short runs with small counts: minutes become seconds, numbers get noisier."""
        return cls(
            duration=2.0,
            warmup=0.5,
            reps=1,
            ws_messages=5_000,
            ws_duration=2.0,
            client_requests=2_000,
            client_seconds=2.0,
            m1_conns=1_000,
            import_runs=3,
            quick=True,
        )

    def describe(self) -> str:
        """One line for RESULTS.md."""
        return (
            f"{'quick' if self.quick else 'full'}, {self.reps} repetition(s), "
            f"{self.duration:g} s per HTTP run after {self.warmup:g} s warm-up, "
            f"{self.conns} connections, S6 {self.ws_messages} round trips / 64 conns "
            f"x {self.ws_duration:g} s, C {self.client_requests} GETs, M1 {self.m1_conns} "
            f"connections, I1 {self.import_runs} runs"
        )


Progress = Callable[[str], None]


def _cli(module: str, *args: str, **options: object) -> list[str]:
    """``python -m module args --option value ...`` (underscores become dashes)."""
    argv = [PYTHON, "-m", module, *args]
    for key, value in options.items():
        argv += ["--" + key.replace("_", "-"), str(value)]
    return argv


def _server(
    name: str, module: str, loop: str, extra: list[str], framework: str | None = None
) -> Server:
    """The side ``name`` running ``framework`` (by default the framework called ``name``)."""
    impl = IMPLEMENTATION[framework or name]
    return Server(name, [PYTHON, "-m", module, "--framework", impl, "--loop", loop, *extra])


def _floor(body: str) -> Server:
    return Server("floor", [PYTHON, "-m", "bench.servers.floor", "--body", body])


Check = Callable[[bytes], bool]


def _probe(server: Server, method: str, path: str, body: bytes, check: Check) -> None:
    """One request before timing, so a side that answers wrongly is reported, not timed."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body or None)
        resp = conn.getresponse()
        data = resp.read()
    except (OSError, http.client.HTTPException) as exc:
        raise SideError(f"probe failed: {exc!r}") from exc
    finally:
        conn.close()
    if resp.status != 200 or not check(data):
        raise SideError(f"probe got {resp.status} {data[:60]!r}")


Runner = Callable[[], Sample]


def _on(server: Server, one_run: Callable[[Server], Sample]) -> Runner:
    """A runner for ``server`` that first makes sure the server is still alive."""

    def run() -> Sample:
        if not server.alive():
            raise SideError("server died: " + last_error_line(server.stop()))
        return one_run(server)

    return run


def _interleave(row: Row, runners: dict[str, Runner], reps: int, progress: Progress) -> None:
    """Run each side's runner in turn, ``reps`` times over; record values or errors."""
    for rep in range(reps):
        for name, run in runners.items():
            side = row.side(name)
            if side.error is not None:
                continue
            try:
                sample = run()
            except SideError as exc:
                side.error = str(exc)
                continue
            side.values.append(sample.rate)
            side.p99_ms.append(sample.p99_ms)
            side.errors += sample.errors
            side.peak_rss = max(side.peak_rss, sample.peak_rss)
            progress(
                f"  {row.scenario} {row.loop} {name} #{rep + 1}: {sample.rate:,.0f} "
                f"{row.unit}, p99 {sample.p99_ms:.2f} ms, {sample.errors} errors"
            )


@contextlib.contextmanager
def _sides(row: Row, servers: list[Server]) -> Iterator[dict[str, Server]]:
    """Start the servers; failing ones become "n/a"; peak RSS is recorded at the end."""
    with running(servers) as (started, failed):
        for name, why in failed.items():
            row.side(name).error = why
        yield started
    for server in servers:
        if server.peak_rss and row.side(server.name).error is None:
            row.side(server.name).peak_rss = server.peak_rss


# --------------------------------------------------------------------------- S1-S5 (wrk)


@dataclass(frozen=True)
class SideSpec:
    """One server of a wrk row when the sides are not simply heron and aiohttp alike."""

    name: str  # the side's name in the row ("heron", or the row's reference)
    framework: str  # "heron" or "aiohttp"
    extra: tuple[str, ...] = ()  # options of the server program
    path: str | None = None  # the path wrk requests; None: the case's path


@dataclass
class HttpCase:
    """An HTTP scenario driven by wrk."""

    scenario: str
    label: str
    module: str
    path: str
    check: Callable[[bytes], bool]
    extra: list[str] = field(default_factory=list)
    method: str = "GET"
    body_size: int = 0
    floor: str | None = None  # body kind of the floor server, if the floor takes part
    # Explicit sides, interleaved in this order; default: heron and aiohttp with ``extra``.
    sides: tuple[SideSpec, ...] = ()
    reference: str | None = None  # which of ``sides`` is the row's reference column

    def side_specs(self) -> tuple[SideSpec, ...]:
        """The sides to run, in run order."""
        return self.sides or tuple(SideSpec(n, n, tuple(self.extra)) for n in FRAMEWORKS)


def s3_flat_case() -> HttpCase:
    """S3 flatness: heron with 1 route and heron with 1,000 routes as interleaved pairs.

    Issue 4 asks for 1,000 routes >= 0.9x 1 route. Dividing the medians of the S3/1 and
    S3/1000 rows compares runs minutes apart and swings with the machine's load; this row
    alternates the two servers (1 route first) under the same wrk settings and loop, so
    the median of the per-pair ratios measures routing cost, not background noise.
    """
    return HttpCase(
        S3_FLAT,
        "S3 1000 vs 1 route (heron, interleaved)",
        "bench.servers.s3_routing",
        target_path(1000),
        lambda b: b == b"456",
        sides=(
            SideSpec(ONE_ROUTE, "heron", ("--routes", "1"), target_path(1)),
            SideSpec("heron", "heron", ("--routes", "1000"), target_path(1000)),
        ),
        reference=ONE_ROUTE,
    )


def http_cases(static_root: str) -> dict[str, list[HttpCase]]:
    """Every wrk scenario, grouped by the id ``--only`` selects them with."""
    s3 = [
        HttpCase(
            f"S3/{n}",
            f"S3 routing, {n} route{'s' if n > 1 else ''}",
            "bench.servers.s3_routing",
            target_path(n),
            lambda b: b == b"456",
            ["--routes", str(n)],
        )
        for n in (1, 200, 1000)
    ]
    s3.append(s3_flat_case())
    return {
        "S1": [
            HttpCase(
                "S1",
                "S1 plaintext",
                "bench.servers.s1_plaintext",
                "/",
                lambda b: b == b"Hello, World!",
                floor="text",
            ),
            HttpCase(
                "S1/low",
                "S1 plaintext, low-level web.Server",
                "bench.servers.s1_lowlevel",
                "/",
                lambda b: b == b"Hello, World!",
            ),
        ],
        "S2": [
            HttpCase(
                "S2",
                "S2 JSON",
                "bench.servers.s2_json",
                "/json",
                lambda b: json.loads(b) == {"message": "Hello, World!"},
                floor="json",
            )
        ],
        "S3": s3,
        "S4": [
            HttpCase(
                "S4",
                "S4 POST echo 4 KiB",
                "bench.servers.s4_echo",
                "/echo",
                lambda b: b == b"a" * 4096,
                method="POST",
                body_size=4096,
            )
        ],
        "S5": [
            HttpCase(
                "S5",
                "S5 static 1 MiB",
                "bench.servers.s5_static",
                "/static/1mib.bin",
                lambda b: len(b) == MIB,
                ["--root", static_root],
            )
        ],
    }


def run_http(case: HttpCase, loop: str, s: Settings, progress: Progress) -> Row:
    """Run one wrk scenario on one loop for its sides (and the floor on uvloop).

    The sides are heron and aiohttp unless the case names its own (S3/flat). Each side
    is probed and warmed up (no warm-up with ``s.warmup`` 0), then the timed runs
    alternate between the sides ``s.reps`` times.
    """
    row = Row(case.scenario, case.label, loop, "req/s", reference=case.reference)
    specs = case.side_specs()
    servers = [_server(sp.name, case.module, loop, list(sp.extra), sp.framework) for sp in specs]
    paths = {sp.name: sp.path or case.path for sp in specs}
    if case.floor and loop == "uvloop":
        servers.append(_floor(case.floor))
        row.reference = "floor"
    script = write_script(wrk_script(case.method, case.body_size))
    body = b"a" * case.body_size

    def wrk(server: Server, seconds: float) -> Sample:
        url = f"http://127.0.0.1:{server.port}{paths.get(server.name, case.path)}"
        out = run_loadgen(wrk_command(url, s.conns, seconds, script), timeout=seconds + 30)
        try:
            return parse_wrk(out)
        except ValueError as exc:
            raise SideError(f"wrk: {exc}") from exc

    try:
        with _sides(row, servers) as started:
            for name, server in list(started.items()):
                try:
                    _probe(server, case.method, paths.get(name, case.path), body, case.check)
                    if s.warmup > 0:
                        wrk(server, s.warmup)
                except SideError as exc:
                    row.side(name).error = str(exc)
                    del started[name]
            timed = {n: _on(srv, lambda srv: wrk(srv, s.duration)) for n, srv in started.items()}
            _interleave(row, timed, s.reps, progress)
    finally:
        os.unlink(script)
    return row


# --------------------------------------------------------------------------- S6 (WebSocket)


def _ws_run(port: int, conns: int, messages: int, duration: float) -> Sample:
    argv = _cli("bench.loadgen", "ws", port=port, conns=conns, messages=messages, duration=duration)
    out = run_loadgen(argv, timeout=(duration or 60) + 60)
    data = json.loads(out.strip().splitlines()[-1])
    return Sample(rate=data["rate"], p99_ms=data["p99_ms"], count=int(data["count"]))


def run_ws(variant: str, loop: str, s: Settings, progress: Progress) -> Row:
    """S6: 1 connection x N round trips (``1x``) or 64 connections for a while (``64``)."""
    if variant == "1x":
        row = Row("S6/1x", f"S6 WebSocket echo, 1 conn x {s.ws_messages:,}", loop, "msg/s")
        conns, messages, duration = 1, s.ws_messages, 0.0
    else:
        row = Row("S6/64", f"S6 WebSocket echo, 64 conns x {s.ws_duration:g} s", loop, "msg/s")
        conns, messages, duration = 64, 0, s.ws_duration
    servers = [_server(n, "bench.servers.s6_websocket", loop, []) for n in FRAMEWORKS]
    # The echo floor runs on the row's own loop: S6's targets are asked on both loops.
    servers.append(Server("floor", [PYTHON, "-m", "bench.servers.floor_ws", "--loop", loop]))
    row.reference = "floor"
    with _sides(row, servers) as started:
        for name, server in list(started.items()):
            try:
                _ws_run(server.port, 1, 10, 0.0)  # probe: handshake and a few echoes
                _ws_run(server.port, 64, 0, s.warmup)
            except SideError as exc:
                row.side(name).error = str(exc)
                del started[name]
        timed = {
            n: _on(srv, lambda srv: _ws_run(srv.port, conns, messages, duration))
            for n, srv in started.items()
        }
        _interleave(row, timed, s.reps, progress)
    return row


# --------------------------------------------------------------------------- C1 / C64


def run_client(concurrency: int, loop: str, s: Settings, progress: Progress) -> Row:
    """Client libraries doing keep-alive GETs against the floor server."""
    row = Row(
        f"C{concurrency}",
        f"C{concurrency} client, {s.client_requests:,} GETs x{concurrency}",
        loop,
        "req/s",
        reference="httpx",
    )
    with running([_floor("text")]) as (started, failed):
        if "floor" not in started:
            for name in ("heron", "aiohttp", "httpx"):
                row.side(name).error = "floor server: " + failed.get("floor", "?")
            return row
        url = f"http://127.0.0.1:{started['floor'].port}/"
        warm = min(500, s.client_requests // 4)

        def one(client: str, _floor_server: Server) -> Sample:
            argv = _cli(
                "bench.clients",
                client=client,
                url=url,
                requests=s.client_requests,
                concurrency=concurrency,
                warmup=warm,
                loop=loop,
                max_seconds=s.client_seconds,
            )
            if IMPLEMENTATION.get(client, client) != client:
                argv += ["--module", IMPLEMENTATION[client]]
            out = run_loadgen(argv, timeout=300)
            data = json.loads(out.strip().splitlines()[-1])
            return Sample(
                rate=data["rate"],
                p99_ms=data["p99_ms"],
                count=int(data["count"]),
                peak_rss=int(data.get("peak_rss", 0)),
            )

        floor = started["floor"]
        timed = {c: _on(floor, partial(one, c)) for c in ("heron", "aiohttp", "httpx")}
        _interleave(row, timed, s.reps, progress)
    return row


# --------------------------------------------------------------------------- M1 (memory)


def _hold(server: Server, conns: int) -> float:
    """Open ``conns`` idle keep-alive connections to ``server``; return its RSS in MiB."""
    argv = pinned(LOADGEN_CORE, _cli("bench.loadgen", "hold", port=server.port, conns=conns))
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = read_line(proc.stdout, timeout=120).decode()
        if not line.startswith("HELD"):
            proc.kill()
            raise SideError("holder: " + last_error_line(proc.communicate(timeout=10)[1].decode()))
        held = int(line.split()[1])
        if held < conns:
            raise SideError(f"only {held} of {conns} connections stayed open")
        time.sleep(1.0)  # let the server settle after the burst
        if not server.alive():
            raise SideError("server died holding connections")
        return server.rss() / MIB
    finally:
        if proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_memory(loop: str, s: Settings, progress: Progress) -> Row:
    """M1: RSS of the S1 server holding many idle keep-alive connections."""
    row = Row(
        "M1",
        f"M1 RSS with {s.m1_conns:,} idle keep-alive conns",
        loop,
        "MiB",
        higher_is_better=False,
    )
    for rep in range(max(1, s.reps // 3)):
        for name in FRAMEWORKS:
            side = row.side(name)
            if side.error is not None:
                continue
            server = _server(name, "bench.servers.s1_plaintext", loop, [])
            with running([server]) as (_, failed):
                if name in failed:
                    side.error = failed[name]
                    continue
                try:
                    _probe(server, "GET", "/", b"", lambda b: b == b"Hello, World!")
                    before = server.rss() / MIB
                    rss = _hold(server, s.m1_conns)
                except SideError as exc:
                    side.error = str(exc)
                    continue
            side.values.append(rss)
            side.peak_rss = max(side.peak_rss, server.peak_rss)
            progress(
                f"  M1 {loop} {name} #{rep + 1}: {rss:.1f} MiB "
                f"({before:.1f} MiB before, +{rss - before:.1f})"
            )
    return row


# --------------------------------------------------------------------------- I1 (imports)


def _bytecode_env() -> dict[str, str]:
    """The environment with bytecode caching on, in a private cache directory.

    With ``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines) an editable heron would
    be compiled on every run while aiohttp's wheel ships compiled; a shared
    ``PYTHONPYCACHEPREFIX`` makes both sides load cached bytecode after the warm-up run,
    and leaves no ``__pycache__`` in the source tree.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "heron-bench-pycache")
    return env


def import_time_ms(statement: str, package: str) -> float:
    """Cumulative import time of ``package`` (and its submodules) for ``statement``, in ms.

    ``-X importtime`` prints one line per module with nesting shown by indentation; the
    top-level lines whose name is the package or below it carry the cumulative cost of
    everything ``statement`` pulled in (interpreter start-up imports are excluded).
    """
    argv = pinned(SERVER_CORE, [PYTHON, "-X", "importtime", "-c", statement])
    done = subprocess.run(
        argv, cwd=tempfile.gettempdir(), env=_bytecode_env(), capture_output=True, timeout=60
    )
    if done.returncode != 0:
        raise SideError(last_error_line(done.stderr.decode(errors="replace")))
    total = 0
    for line in done.stderr.decode().splitlines():
        parsed = parse_importtime_line(line)
        if parsed is None:
            continue
        cumulative, name = parsed
        if not name.startswith(" ") and (name == package or name.startswith(package + ".")):
            total += cumulative
    return total / 1000.0


def parse_importtime_line(line: str) -> tuple[int, str] | None:
    """``(cumulative_us, indented_name)`` from one ``-X importtime`` line, else None."""
    parts = line.split("|")
    if len(parts) != 3 or not parts[0].startswith("import time:"):
        return None
    try:
        # The name field is "| " then two spaces per nesting level, then the name.
        return int(parts[1]), parts[2][1:].rstrip()
    except ValueError:
        return None


def run_imports(s: Settings, progress: Progress) -> list[Row]:
    """I1: import time of heron vs aiohttp, for the package and for its ``web`` module."""
    rows = []
    for key, template in (("I1/pkg", "import {}"), ("I1/web", "from {} import web")):
        row = Row(key, f"I1 `{template.format('X')}`", "-", "ms", higher_is_better=False)
        for name in FRAMEWORKS:
            with contextlib.suppress(SideError):
                impl = IMPLEMENTATION[name]
                import_time_ms(template.format(impl), impl)  # warm the bytecode caches
        for _ in range(s.import_runs):
            for name in FRAMEWORKS:
                side = row.side(name)
                if side.error is not None:
                    continue
                try:
                    impl = IMPLEMENTATION[name]
                    side.values.append(import_time_ms(template.format(impl), impl))
                except SideError as exc:
                    side.error = str(exc)
        for name in FRAMEWORKS:
            side = row.side(name)
            if side.ok:
                progress(f"  {key} {name}: median {statistics.median(side.values):.1f} ms")
        rows.append(row)
    return rows
