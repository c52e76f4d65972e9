"""A part away for a minute, then back: the SMTP server during a monthly delivery, the webhook
receiver during a burst of handoffs. Nothing is lost, nothing is sent twice; the backoff brings
every message through once the part is back (the issue's rows "SMTP down during the monthly run"
and "webhook receiver down", which the suite's real-worker tests cover as well)."""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter

import pytest

from .harness import Celery, Receiver, SmtpSink, deliveries_of, hand_off_new_lead, manage, report, wait_for

pytestmark = pytest.mark.chaos

AWAY = int(os.environ.get("CHAOS_PART_AWAY_SECONDS", "60"))
RECIPIENTS = 20
BURST = 20

QUEUE = """
import datetime as dt
from types import SimpleNamespace
from slas.models import Team
from reporting.models import ReportSubscription
from reporting.notifications.monthly import monthly_report_send
from reporting.tests.notify_helpers import active_sla, make_report
from slas.tests.factories import UserFactory

roles = SimpleNamespace(marketing=Team.objects.get(name="Marketing"), sales=Team.objects.get(name="Inside sales"))
sla = active_sla(roles)
for n in range({recipients}):
    ReportSubscription.objects.create(user=UserFactory(username="{tag}-%d" % n), sla_series=sla.series)
print("QUEUED", monthly_report_send(report=make_report(sla, dt.date(2026, 10, 1))))
"""

RELAYS = """
from reporting.notifications.outbox import notifications_relay
from smarketing.webhook_tasks import relay_webhooks
print("RELAYED", len(notifications_relay()), relay_webhooks())
"""


def test_the_smtp_server_away_during_a_monthly_delivery(stack):
    tag = f"away{uuid.uuid4().hex[:6]}"
    sink = SmtpSink()  # not started: the port refuses connections
    env = {**stack.env, **sink.env()}
    worker = Celery(env, "worker", name=f"away-{uuid.uuid4().hex[:6]}", concurrency=2)
    worker.start()
    try:
        manage(env, "shell", "-c", QUEUE.format(recipients=RECIPIENTS, tag=tag))
        failed_sql = (
            "SELECT count(*) FROM reporting_notification WHERE kind = 'monthly_report' AND attempts > 0 "  # noqa: S608
            f"AND status <> 'sent' AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')"
        )
        wait_for(lambda: stack.sql(failed_sql) == str(RECIPIENTS), 120, what="every delivery tried and refused")
        time.sleep(AWAY)
        sink.start()
        sent_sql = (
            "SELECT count(*) FROM reporting_notification WHERE kind = 'monthly_report' AND status = 'sent' "  # noqa: S608
            f"AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')"
        )

        def all_sent() -> bool:
            manage(env, "shell", "-c", RELAYS)
            return stack.sql(sent_sql) == str(RECIPIENTS)

        wait_for(all_sent, 420, interval=10, what="every report sent once the server is back")
        time.sleep(2)
        attempts = stack.sql(
            "SELECT max(attempts) FROM reporting_notification WHERE kind = 'monthly_report' "  # noqa: S608
            f"AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')"
        )
        alive = worker.alive()  # the refused connections did not end the worker
    finally:
        worker.stop()
        sink.stop()
    ours = [(mid, rcpts) for _at, mid, rcpts in sink.received if any(r.startswith(tag) for r in rcpts)]
    per_recipient = Counter(r for _mid, rcpts in ours for r in rcpts)
    report(
        fault=f"SMTP server away {AWAY} s during a monthly delivery",
        load=f"monthly report to {RECIPIENTS} subscribers",
        expected=RECIPIENTS,
        delivered=len(per_recipient),
        duplicates=sum(count - 1 for count in per_recipient.values()),
        lost=RECIPIENTS - len(per_recipient),
        errors=0,
        most_attempts=attempts,
        worker_alive=alive,
    )
    assert alive
    assert len(per_recipient) == RECIPIENTS and set(per_recipient.values()) == {1}


def test_the_webhook_receiver_away_during_a_burst(stack):
    tag = f"hookaway{uuid.uuid4().hex[:6]}"
    worker = Celery(stack.env, "worker", name=f"hookaway-{uuid.uuid4().hex[:6]}", concurrency=2)
    worker.start()
    receiver = None
    handoffs, errors = 0, 0
    try:
        for index in range(BURST):  # the receiver's port refuses connections meanwhile
            created, handed = hand_off_new_lead(stack, f"{tag}-{index}@example.com")
            handoffs += handed.status == 200
            errors += created.status >= 500 or handed.status >= 500
        ours = deliveries_of(tag)
        refused = f"SELECT count(*) {ours} AND d.attempts > 0 AND d.status = 'pending'"
        wait_for(lambda: stack.sql(refused) == str(BURST), 120, what="every delivery tried and refused")
        time.sleep(AWAY)
        receiver = Receiver().start()

        def all_delivered() -> bool:
            manage(stack.env, "shell", "-c", RELAYS)
            return stack.sql(f"SELECT count(*) {ours} AND d.status <> 'delivered'") == "0"

        wait_for(all_delivered, 420, interval=10, what="every delivery delivered once the receiver is back")
        time.sleep(2)
        ids = stack.sql(f"SELECT d.payload->>'id' {ours}").split()
        most_attempts = stack.sql(f"SELECT max(d.attempts) {ours}")
    finally:
        worker.stop()
        if receiver is not None:
            receiver.stop()
    received = Counter(receiver.ids if receiver else [])
    delivered = sum(1 for i in ids if received[i])
    duplicates = sum(received[i] - 1 for i in ids if received[i] > 1)
    report(
        fault=f"webhook receiver away {AWAY} s during a burst",
        load=f"{BURST} handoffs → {len(ids)} lead.handed_off deliveries",
        expected=len(ids),
        delivered=delivered,
        duplicates=duplicates,
        lost=len(ids) - delivered,
        errors=errors,
        most_attempts=most_attempts,
    )
    assert handoffs == BURST and len(ids) == BURST and errors == 0
    assert delivered == BURST and duplicates == 0
