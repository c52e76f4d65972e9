from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from smarketing.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_healthz_is_503_naming_the_worker_when_no_worker_reported(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["worker"]
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    # The kind of broker, not the class path of our guarded Redis transport (smarketing.broker).
    assert body["broker"]["detail"] in ("redis", "filesystem"), body["broker"]


def test_healthz_is_200_with_a_recent_heartbeat(client):
    WorkerHeartbeat.record("worker@test")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_healthz_is_503_when_the_heartbeat_is_stale(client, settings):
    WorkerHeartbeat.objects.create(
        hostname="worker@old", last_seen=timezone.now() - dt.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 5)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "worker" in response.json()["failing"]


def test_healthz_names_a_broken_broker(client, settings):
    from smarketing.celery import app

    WorkerHeartbeat.record("worker@test")
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]
