"""gunicorn with heron's worker classes, as real processes."""

from __future__ import annotations

import os
import signal
import ssl
import sys
import threading
import time

import httpx
import pytest
import trustme
from deploy_helpers import Reply, children, free_port, get, wait_for

pytest.importorskip("gunicorn")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux /proc")


def gunicorn(spawn, app: str, port: int, *options: str, worker: str = "GunicornWebWorker"):
    return spawn(
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", f"heron.worker.{worker}",
        "--no-control-socket",
        *options,
    )  # fmt: skip


def booted(proc, count: int) -> set[int]:
    return wait_for(lambda: (c := children(proc.pid)) and len(c) == count and c, timeout=15)


def test_two_workers_serve_a_killed_one_is_replaced_and_sigterm_is_graceful(
    spawn, tmp_path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = gunicorn(spawn, "deploy_apps:app_factory", port, "--workers", "2")
    workers = booted(proc, 2)
    response = wait_for(lambda: get(url + "/"), timeout=15)
    assert int(response.text) in workers

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    replaced = wait_for(lambda: (c := children(proc.pid)) - workers and len(c) == 2 and c, 15)
    assert victim not in replaced
    for _ in range(4):
        response = get(url + "/")
        assert response is not None and int(response.text) in replaced

    answers: list[Reply | None] = []
    mark = tmp_path / "in-flight"
    slow_url = f"{url}/slow?delay=0.8&mark={mark}"
    slow = threading.Thread(target=lambda: answers.append(get(slow_url)))
    slow.start()
    wait_for(mark.exists, timeout=10)  # the request is being handled
    proc.send_signal(signal.SIGTERM)
    slow.join(10)
    _, stderr = proc.communicate(timeout=15)
    assert answers[0] is not None and answers[0].text.startswith("slow done")
    assert proc.returncode == 0
    assert "Traceback" not in stderr


def test_max_requests_access_log_and_quick_shutdown(spawn, tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_format = "%(h)s %(m)s %(U)s %(q)s %(s)s %({x-test}i)s %(p)s %(missing)s"
    proc = gunicorn(
        spawn, "deploy_apps:app", port,
        "--max-requests", "3",
        "--access-logfile", "-",
        "--access-logformat", log_format,
    )  # fmt: skip
    first = wait_for(lambda: get(url + "/?a=1"), timeout=15).text
    for _ in range(2):
        assert get(url + "/?a=1").text == first  # type: ignore[union-attr]
    # After its third request the worker leaves and gunicorn starts a fresh one.
    second = wait_for(lambda: (r := get(url + "/?a=2")) and r.text != first and r.text, 10)
    assert second != first

    # SIGINT is gunicorn's quick shutdown: a request in progress is not waited for.
    answers: list[Reply | None] = []
    mark = tmp_path / "in-flight"
    slow = threading.Thread(target=lambda: answers.append(get(f"{url}/slow?delay=5&mark={mark}")))
    slow.start()
    wait_for(mark.exists, timeout=10)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=15)
    slow.join(10)
    assert time.monotonic() - started < 4
    assert answers == [None]
    assert f"127.0.0.1 GET / a=1 200 - <{first}> -" in stdout


def test_tls_settings_and_a_wsgi_app_on_the_uvloop_worker(spawn, tmp_path) -> None:
    pytest.importorskip("uvloop")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    port = free_port()
    proc = gunicorn(
        spawn, "deploy_apps:flask_app", port,
        "--certfile", str(certfile),
        "--keyfile", str(keyfile),
        "--workers", "2",
        worker="GunicornUVLoopWebWorker",
    )  # fmt: skip
    context = ssl.create_default_context()
    ca.configure_trust(context)

    def fetch() -> httpx.Response | None:
        try:
            return httpx.get(f"https://127.0.0.1:{port}/hello", verify=context, timeout=3)
        except httpx.TransportError:
            return None

    response = wait_for(fetch, timeout=15)
    scheme, multiprocess, pid = response.text.split()[1:]
    assert (scheme, multiprocess) == ("https", "True")
    assert int(pid) in children(proc.pid)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_an_app_that_cannot_start_stops_gunicorn(spawn) -> None:
    proc = gunicorn(spawn, "deploy_apps:failing_app", free_port())
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode != 0
    assert "this app cannot start" in stderr
    assert "Worker failed to boot" in stderr
