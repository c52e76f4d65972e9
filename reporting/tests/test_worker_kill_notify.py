"""A real Celery worker over Redis is SIGKILLed mid-delivery; every recipient still gets exactly one e-mail.

The kill point is chosen from outside the code: the SMTP sink accepts the message (``250``), then
holds the connection when the worker says ``QUIT``, and the test kills the worker then. The worker
must have recorded the row as sent before that ``QUIT``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
from django.utils import timezone

from reporting.models import Notification, ReportSubscription
from reporting.notifications.monthly import monthly_report_send
from reporting.notifications.outbox import claim_lease, notifications_relay

from .notify_helpers import HoldingSinkHandler, active_sla, free_port, make_report, start_sink

pytestmark = pytest.mark.worker


def _wait_for(predicate, timeout: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    log = worker.log() if worker else ""
    raise AssertionError(f"timed out waiting for {what}\n{log[-4000:]}")


def test_a_worker_killed_after_the_servers_250_neither_loses_nor_duplicates(celery_worker_factory, roles):
    port = free_port()
    holding = HoldingSinkHandler()
    controller, sink = start_sink(port, holding)
    smtp_env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    }
    try:
        sla = active_sla(roles)
        ReportSubscription.objects.create(user=roles.viewer, sla_series=sla.series)
        report = make_report(sla, dt.date(2026, 10, 1))
        first = celery_worker_factory(extra_env=smtp_env)
        assert monthly_report_send(report=report) == 3
        rows = Notification.objects.filter(kind=Notification.Kind.MONTHLY_REPORT)
        _wait_for(holding.holding.is_set, 60, "a message accepted and the worker's QUIT held", first)
        first.kill()
        assert len(sink.messages) == 1
        accepted = sink.messages[0]
        killed_row = rows.get(pk=int(accepted.content.decode().split("Message-ID: <notification-")[1].split(".")[0]))
        assert killed_row.status == Notification.Status.SENT, "marked sent before QUIT"
        assert killed_row.claimed_at is None

        second = celery_worker_factory(extra_env=smtp_env)
        # The two rows still in the broker's queue are delivered by the new worker...
        _wait_for(lambda: rows.filter(status="sent").count() == 3, 60, "all rows sent", second)
        # ...and neither the relay, even once every claim would be stale, nor the run fired again sends more.
        assert notifications_relay(now=timezone.now() + claim_lease() + dt.timedelta(minutes=1)) == []
        assert monthly_report_send(report=report) == 0
        time.sleep(1)
        received = Counter(rcpt for envelope in sink.messages for rcpt in envelope.rcpt_tos)
        assert received == Counter({roles.mkt_manager.email: 1, roles.sales_manager.email: 1, roles.viewer.email: 1})
        ids = [envelope.content.decode().split("Message-ID: ")[1].split()[0] for envelope in sink.messages]
        assert len(set(ids)) == 3
        assert all(row.attempts == 1 for row in rows)
    finally:
        controller.stop()
