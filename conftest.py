"""Fixtures shared by every app's tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters and axes lockouts never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language.

    A request through the test client runs in the test's own thread, so the language a
    French-profile user's request activates would otherwise stay active for the next test on
    the same xdist worker (a review title computed as "Revue mensuelle : octobre 2026" while the page, for
    an English user, says "Review of October 2026").
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def roles(db):
    """One user per role of SPEC §7, with a marketing and a sales team."""
    from slas.tests.factories import role_users

    return role_users()


@pytest.fixture
def admin_api(roles):
    """A DRF client authenticated with a real API token of the administrator."""
    from rest_framework.test import APIClient

    from smarketing.tokens import api_token_create

    _token, key = api_token_create(user=roles.admin, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _database_url_for_subprocess() -> str:
    """A DATABASE_URL that points another process at the test database in use."""
    from django.db import connection

    info = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{info['NAME']}"
    user = info.get("USER") or "postgres"
    password = f":{info['PASSWORD']}" if info.get("PASSWORD") else ""
    host = info.get("HOST") or "127.0.0.1"
    port = info.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{info['NAME']}"


class RealWorker:
    """A `celery worker` subprocess on its own Redis queue, sharing the test database."""

    def __init__(self, queue: str, extra_env: dict[str, str]):
        self.queue = queue
        self.extra_env = extra_env
        self.process = None
        self.hostname = f"test-{queue}@localhost"
        self.log_path = None

    def start(self, timeout: float = 60) -> None:
        import os
        import subprocess
        import sys
        import tempfile
        import time
        from pathlib import Path

        from smarketing.models import WorkerHeartbeat

        env = {**os.environ, **self.extra_env}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "smarketing.settings",
                "DEBUG": "true",
                "SECRET_KEY": "test-worker-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
                "DATABASE_URL": _database_url_for_subprocess(),
                "CELERY_QUEUE": self.queue,
                "WORKER_HEARTBEAT_SECONDS": "1",
            }
        )
        log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
        self.log_path = Path(log.name)
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "smarketing",
                "worker",
                "-Q",
                self.queue,
                "-n",
                self.hostname,
                "--concurrency=1",
                "--pool=prefork",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if WorkerHeartbeat.objects.filter(hostname=self.hostname).exists():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the Celery worker did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        import os
        import signal

        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        import os
        import signal
        import subprocess

        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def celery_worker_factory(transactional_db):
    """Start real Celery workers over Redis against the test database.

    Skipped, with the reason printed, when no REDIS_URL is set. While the fixture is active
    tasks are sent to the broker instead of running eagerly.
    """
    import os
    import uuid

    from smarketing.celery import app

    if not os.environ.get("REDIS_URL"):
        pytest.skip("no REDIS_URL set: real-worker tests need a Redis broker (CI sets one)")
    queue = f"smk-test-{uuid.uuid4().hex[:8]}"
    workers: list[RealWorker] = []
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue

    def start(extra_env: dict[str, str] | None = None) -> RealWorker:
        worker = RealWorker(queue, extra_env or {})
        worker.start()
        workers.append(worker)
        return worker

    start.queue = queue
    yield start
    for worker in workers:
        worker.stop()
    app.conf.task_always_eager, app.conf.task_default_queue = previous


@pytest.fixture
def celery_worker(celery_worker_factory):
    return celery_worker_factory()
