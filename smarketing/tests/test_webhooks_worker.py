"""Webhook delivery through a real Celery worker over Redis."""

from __future__ import annotations

import time

import pytest

from smarketing import webhooks
from smarketing.models import WebhookDelivery
from smarketing.tests.test_webhooks import SECRET, Receiver, _admin, _verify
from smarketing.webhook_tasks import deliver_webhook

pytestmark = pytest.mark.worker


def _wait_for(predicate, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_a_real_worker_delivers_after_commit_and_a_duplicate_task_sends_nothing(celery_worker_factory, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    celery_worker_factory({"WEBHOOKS_ALLOW_PRIVATE": "true"})
    with Receiver() as receiver:
        webhooks.webhook_subscription_create(url=receiver.url, events=["report.ready"], secret=SECRET, by=_admin())
        webhooks.emit_event("report.ready", {"report": 1})
        _wait_for(lambda: WebhookDelivery.objects.filter(status="delivered").exists())
        delivery = WebhookDelivery.objects.get()
        deliver_webhook.delay(delivery.pk).get(timeout=30)
        assert len(receiver.requests) == 1
        assert _verify(receiver.requests[0])["data"] == {"report": 1}
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_response_code) == (1, 200)
