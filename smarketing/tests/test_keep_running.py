"""`make run` keeps the worker and beat up: bin/keep-running starts a process again when it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.05)
    raise AssertionError("not reached")


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def test_a_killed_process_is_started_again_and_sigterm_stops_both(tmp_path):
    starts = tmp_path / "starts"
    loop = subprocess.Popen(
        [str(ROOT / "bin" / "keep-running"), "sh", "-c", f"echo up >> {starts}; exec sleep 60"],
        env={**os.environ, "KEEP_RUNNING_PAUSE": "0.1"},
        stderr=subprocess.PIPE,
    )
    try:
        _wait(lambda: starts.exists() and starts.read_text().count("up") == 1)
        first = _wait(lambda: _children(loop.pid))[0]
        os.kill(first, signal.SIGKILL)  # as the OOM killer or a crash would
        _wait(lambda: starts.read_text().count("up") == 2)
        second = _wait(lambda: [p for p in _children(loop.pid) if p != first])[0]
        loop.send_signal(signal.SIGTERM)
        assert loop.wait(timeout=10) == 0
        assert not _children(loop.pid)
        _wait(
            lambda: not Path(f"/proc/{second}").exists() or "Z" in Path(f"/proc/{second}/stat").read_text().split()[2]
        )
        assert b"exited with status 137" in loop.stderr.read()
    finally:
        if loop.poll() is None:
            loop.kill()


def test_make_run_starts_the_worker_and_beat_through_it():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert lines["worker"].startswith("bin/keep-running celery -A smarketing worker")
    assert lines["beat"].startswith("bin/keep-running celery -A smarketing beat")
