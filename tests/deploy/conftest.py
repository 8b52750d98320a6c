"""Fixtures for the deployment tests: free ports and subprocesses that are always reaped."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# The tests import deploy_helpers (pytest's pythonpath); the subprocesses import
# deploy_apps, so they get this folder on PYTHONPATH.
DEPLOY_DIR = pathlib.Path(__file__).resolve().parent


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Start a subprocess (cwd and PYTHONPATH: this folder); kill it at teardown."""
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DEPLOY_DIR), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        proc = subprocess.Popen(
            list(args),
            cwd=DEPLOY_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # so teardown can kill the whole tree
            **kwargs,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
