"""Workers SIGKILLed at random times during a monthly delivery: every recipient gets the report,
resends happen only when a kill fell between the server's 250 and our commit, with the same Message-ID."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter

import pytest

from .harness import Celery, SmtpSink, manage, report, wait_for

pytestmark = pytest.mark.chaos

KILLS = int(os.environ.get("CHAOS_EMAIL_KILLS", "10"))
RECIPIENTS = int(os.environ.get("CHAOS_EMAIL_RECIPIENTS", "40"))

QUEUE = """
import datetime as dt, json
from types import SimpleNamespace
from slas.models import Team
from reporting.models import Notification, ReportSubscription
from reporting.notifications.monthly import monthly_report_send
from reporting.tests.notify_helpers import active_sla, make_report
from slas.tests.factories import UserFactory

roles = SimpleNamespace(marketing=Team.objects.get(name="Marketing"), sales=Team.objects.get(name="Inside sales"))
sla = active_sla(roles)
for n in range({recipients}):
    ReportSubscription.objects.create(user=UserFactory(username="{tag}-%d" % n), sla_series=sla.series)
report = make_report(sla, dt.date(2026, 10, 1))
print("QUEUED", monthly_report_send(report=report), report.pk)
"""

RELAY = """
from reporting.notifications.outbox import notifications_relay
print("RELAYED", len(notifications_relay()))
"""


def test_random_kills_during_a_monthly_delivery(stack):
    sink = SmtpSink().start()
    env = {**stack.env, **sink.env(), "NOTIFICATION_CLAIM_LEASE_SECONDS": "3"}
    tag = f"mail{uuid.uuid4().hex[:6]}"
    rng = random.Random(os.environ.get("CHAOS_SEED", "14"))
    kills, workers, during_kills = 0, [], 0
    try:
        queued = int(
            manage(env, "shell", "-c", QUEUE.format(recipients=RECIPIENTS, tag=tag)).split("QUEUED ")[1].split()[0]
        )
        for _round in range(KILLS):
            worker = Celery(env, "worker", name=f"mail-{uuid.uuid4().hex[:6]}")
            worker.start()
            workers.append(worker)
            wait_for(lambda: "ready" in worker.log_text(), 90, what="worker ready")  # noqa: B023
            time.sleep(rng.uniform(0.2, 3.0))
            worker.kill()
            kills += 1
            manage(env, "shell", "-c", RELAY)  # stale claims released, queued rows published again
            time.sleep(3.5)  # past the claim lease of a row the killed worker held
        during_kills = len(sink.received)
        final = Celery(env, "worker", name=f"mail-{uuid.uuid4().hex[:6]}")
        final.start()
        workers.append(final)

        def all_sent() -> bool:
            manage(env, "shell", "-c", RELAY)
            sent = (
                "SELECT count(*) FROM reporting_notification WHERE kind = 'monthly_report' AND status = 'sent' "  # noqa: S608
                f"AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')"
            )
            return stack.sql(sent) == str(RECIPIENTS)

        wait_for(all_sent, 300, interval=2, what="every report sent")
        time.sleep(2)
    finally:
        for worker in workers:
            worker.stop()
        sink.stop()
    ours = [(mid, rcpts) for _at, mid, rcpts in sink.received if any(r.startswith(tag) for r in rcpts)]
    per_id = Counter(mid for mid, _rcpts in ours)
    per_recipient = Counter(r for _mid, rcpts in ours for r in rcpts)
    duplicates = sum(count - 1 for count in per_id.values())
    lost = RECIPIENTS - len(per_recipient)
    report(
        fault=f"worker SIGKILLed at random times during the monthly delivery (x{kills})",
        load=f"monthly report to {RECIPIENTS} subscribers (+ managers)",
        expected=RECIPIENTS,
        delivered=len(per_recipient),
        duplicates=duplicates,
        lost=lost,
        errors=0,
        queued=queued,
        accepted_while_killing=during_kills,
        kills_between_250_and_commit=duplicates,
        resends_with_another_message_id=sum(1 for r, c in per_recipient.items() if c > 1) - duplicates,
    )
    assert lost == 0
    # A resend is the same message: as many Message-IDs as recipients.
    assert len(per_id) == len(per_recipient) == RECIPIENTS
    assert duplicates <= kills
