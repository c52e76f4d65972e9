from __future__ import annotations

import pytest

from smarketing import tasks
from smarketing.models import WorkerHeartbeat

pytestmark = pytest.mark.worker


def test_a_real_worker_over_redis_runs_a_task_and_returns_its_result(celery_worker):
    result = tasks.add.delay(19, 23)
    assert result.get(timeout=30) == 42


def test_a_real_worker_keeps_healthz_green(celery_worker, client):
    assert WorkerHeartbeat.objects.filter(hostname=celery_worker.hostname).exists()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
