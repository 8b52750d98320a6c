"""``run_app(app, workers=N)`` and ``python -m heron.web --workers N`` in real processes."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import pytest
from deploy_helpers import Reply, children, free_port, get, wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def start_workers(spawn, mode: str) -> tuple[object, str]:
    port = free_port()
    proc = spawn(sys.executable, "deploy_apps.py", mode, str(port))
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: get(url + "/"), timeout=15)
    wait_for(lambda: len(children(proc.pid)) == 2, timeout=5)
    return proc, url


def pids_seen(url: str, attempts: int = 200) -> set[str]:
    """Open new connections until two different worker pids answered (bounded)."""
    seen: set[str] = set()
    for _ in range(attempts):
        response = get(url + "/")
        assert response is not None and response.status_code == 200
        seen.add(response.text)
        if len(seen) == 2:
            break
    return seen


def test_two_workers_share_the_port_and_stop_gracefully(spawn, tmp_path) -> None:
    proc, url = start_workers(spawn, "reuseport")
    workers = children(proc.pid)
    assert pids_seen(url) == {str(pid) for pid in workers}

    # A request in flight when the supervisor is told to stop still gets its answer.
    answers: list[Reply | None] = []
    mark = tmp_path / "in-flight"
    slow_url = f"{url}/slow?delay=0.8&mark={mark}"
    slow = threading.Thread(target=lambda: answers.append(get(slow_url)))
    slow.start()
    wait_for(mark.exists, timeout=10)  # the request is being handled
    proc.send_signal(signal.SIGTERM)
    slow.join(10)
    stdout, stderr = proc.communicate(timeout=15)
    response = answers[0]
    assert response is not None and response.status_code == 200
    assert response.text.startswith("slow done")
    assert proc.returncode == 0, stderr
    assert "supervisor stopped" in stdout
    assert "Traceback" not in stderr
    for pid in workers:  # the workers are gone (and were reaped)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert get(url + "/", timeout=0.5) is None


def test_a_killed_worker_is_replaced(spawn) -> None:
    proc, url = start_workers(spawn, "reuseport")
    first = children(proc.pid)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    replaced = wait_for(
        lambda: (c := children(proc.pid)) and len(c) == 2 and victim not in c and c, timeout=5
    )
    assert replaced - first  # a new process took the dead one's place
    assert pids_seen(url) == {str(pid) for pid in replaced}
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    assert "killed by signal 9; restarting it" in stderr


def test_shared_socket_mode_serves_from_both_workers(spawn) -> None:
    proc, url = start_workers(spawn, "shared")
    # All workers accept from one inherited socket; with concurrent clients both
    # processes get connections.
    seen: set[str] = set()
    lock = threading.Lock()

    def client() -> None:
        for _ in range(30):
            response = get(url + "/slow?delay=0.02")
            assert response is not None
            with lock:
                seen.add(response.text.split()[-1])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen == {str(pid) for pid in children(proc.pid)}
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_a_crash_looping_worker_backs_off(spawn) -> None:
    port = free_port()
    proc = spawn(sys.executable, "deploy_apps.py", "failing", str(port))
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    delays = [line.rsplit(" in ", 1)[1] for line in stderr.splitlines() if "restarting" in line]
    # Each of the 2 workers: 0.1 s, 0.2 s, 0.4 s, ... so only a handful of restarts.
    assert "0.1 s" in delays and "0.2 s" in delays and "0.4 s" in delays
    assert len(delays) <= 10
    assert "this app cannot start" in stderr


def test_command_line_workers(spawn) -> None:
    port = free_port()
    proc = spawn(
        sys.executable, "-m", "heron.web", "-H", "127.0.0.1", "-P", str(port),
        "--workers", "2", "deploy_apps:cli_factory", "--flag", "value",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    response = wait_for(lambda: get(url + "/args"), timeout=15)
    assert response.text == "--flag value"
    wait_for(lambda: len(children(proc.pid)) == 2, timeout=5)
    assert len(pids_seen(url)) == 2
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    assert "with 2 worker processes" in stdout


def test_bad_worker_arguments_are_refused_before_binding() -> None:
    from heron import web

    app = web.Application()
    with pytest.raises(ValueError, match="positive integer"):
        web.run_app(app, port=free_port(), workers=0)
    with pytest.raises(ValueError, match="loop"):
        web.run_app(app, port=free_port(), workers=2, loop=object())  # type: ignore[arg-type]
