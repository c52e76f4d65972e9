"""A real Celery worker over Redis is SIGKILLed mid-delivery; every recipient still gets exactly one e-mail."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from django.utils import timezone

from reporting.models import Notification, ReportSubscription
from reporting.notifications import CLAIM_LEASE, monthly_report_send, notifications_relay

from .notify_helpers import active_sla, free_port, make_report, start_sink

pytestmark = pytest.mark.worker


def _wait_for(predicate, timeout: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    log = worker.log() if worker else ""
    raise AssertionError(f"timed out waiting for {what}\n{log[-4000:]}")


def test_a_killed_worker_neither_loses_nor_duplicates_report_emails(celery_worker_factory, roles):
    port = free_port()
    controller, sink = start_sink(port)
    smtp_env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    try:
        sla = active_sla(roles)
        ReportSubscription.objects.create(user=roles.viewer, sla_series=sla.series)
        report = make_report(sla, dt.date(2026, 10, 1))
        # The first worker stalls between claiming a row and talking to SMTP, long enough to be killed there.
        first = celery_worker_factory(extra_env={**smtp_env, "SMARKETING_TEST_DELIVERY_PAUSE": "60"})
        assert monthly_report_send(report=report) == 3
        rows = Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT)
        _wait_for(lambda: rows.filter(claimed_at__isnull=False).exists(), 60, "a claimed row", first)
        first.kill()
        assert sink.messages == []

        second = celery_worker_factory(extra_env=smtp_env)
        # The two rows still in the broker's queue are delivered by the new worker...
        _wait_for(lambda: rows.filter(status="sent").count() == 2, 60, "two rows sent", second)
        stuck = rows.get(claimed_at__isnull=False)
        assert stuck.status == Notification.Status.QUEUED
        # ...and the one the dead worker held is re-enqueued by the relay once its claim is stale.
        assert notifications_relay() == []
        assert notifications_relay(now=timezone.now() + CLAIM_LEASE + dt.timedelta(minutes=1)) == [stuck.pk]
        _wait_for(lambda: rows.filter(status="sent").count() == 3, 60, "all rows sent", second)

        # Firing the run and the relay again sends nothing more.
        assert monthly_report_send(report=report) == 0
        assert notifications_relay(now=timezone.now() + dt.timedelta(hours=2)) == []
        time.sleep(1)
        received = Counter(rcpt for envelope in sink.messages for rcpt in envelope.rcpt_tos)
        assert received == Counter({roles.mkt_manager.email: 1, roles.sales_manager.email: 1, roles.viewer.email: 1})
        assert rows.get(pk=stuck.pk).attempts == 2
    finally:
        controller.stop()
