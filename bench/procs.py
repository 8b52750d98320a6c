"""Start, watch and stop the processes under benchmark, pinned to their CPU cores."""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
SERVER_CORE = "0"
LOADGEN_CORE = "1"
PYTHON = sys.executable


class SideError(Exception):
    """A side (server or client) failed; the message goes into the table as "n/a"."""


def pinned(core: str, argv: Sequence[str]) -> list[str]:
    """``argv`` run under ``taskset -c core`` when taskset and enough cores exist."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > int(core):
        return ["taskset", "-c", core, *argv]
    return list(argv)


def free_port() -> int:
    """A currently unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def proc_status(pid: int, key: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM) in bytes, or 0 if unknown."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def last_error_line(text: str) -> str:
    """The most telling line of a traceback: its last non-empty line, shortened."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:160]


def read_line(stream: IO[bytes], timeout: float) -> bytes:
    """One line from a child's pipe, or b"" if none arrives within ``timeout`` seconds."""
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if sel.select(timeout=timeout):
            return stream.readline()
    return b""


@dataclass
class Server:
    """A server program running on the server core, ready for connections."""

    name: str
    argv: list[str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    peak_rss: int = 0
    errors: list[str] = field(default_factory=list)

    def launch(self) -> None:
        """Start the program on the server core (returns at once; see ``wait_ready``)."""
        self.port = free_port()
        argv = pinned(SERVER_CORE, [*self.argv, "--port", str(self.port)])
        self.proc = subprocess.Popen(
            argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
        )

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait for the ``READY`` line; on failure stop the process and raise SideError."""
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            line = read_line(self.proc.stdout, min(left, 0.5))
            if line.strip() == b"READY":
                return
            if self.proc.poll() is not None:
                break
        err = self.stop()
        raise SideError(last_error_line(err) if err else "server did not become ready")

    def start(self, timeout: float = 20.0) -> None:
        """Launch and wait until ready."""
        self.launch()
        self.wait_ready(timeout)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.proc is not None and self.proc.poll() is None

    def rss(self) -> int:
        """Current resident set size in bytes."""
        return proc_status(self.pid, "VmRSS") if self.proc else 0

    def stop(self) -> str:
        """Record peak RSS, terminate the process, and return its stderr."""
        if self.proc is None:
            return ""
        self.peak_rss = max(self.peak_rss, proc_status(self.proc.pid, "VmHWM"))
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        self.proc = None
        return err.decode(errors="replace")


@contextlib.contextmanager
def running(servers: Sequence[Server]) -> Iterator[tuple[dict[str, Server], dict[str, str]]]:
    """Start every server that can start; always stop them all afterwards.

    Yields a mapping name -> Server for those that started, and name -> error message
    for those that did not.
    """
    started: dict[str, Server] = {}
    failed: dict[str, str] = {}
    try:
        for server in servers:  # launch all first: their start-ups overlap
            server.launch()
        for server in servers:
            try:
                server.wait_ready()
                started[server.name] = server
            except SideError as exc:
                failed[server.name] = str(exc)
        yield started, failed
    finally:
        for server in servers:
            server.stop()


def run_loadgen(argv: Sequence[str], timeout: float) -> str:
    """Run a load generator on the load core; return its stdout or raise SideError."""
    try:
        done = subprocess.run(
            pinned(LOADGEN_CORE, list(argv)),
            cwd=ROOT,
            capture_output=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise SideError(f"load generator timed out after {timeout:.0f} s") from exc
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace") or done.stdout.decode(errors="replace")
        raise SideError(last_error_line(err))
    return done.stdout.decode()
