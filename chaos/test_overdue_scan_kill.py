"""The overdue scan's worker SIGKILLed at the worst moment: right after a chunk committed, inside
the next one (issue 12). The restarted scan goes on from the watermark: every overdue follow-up is
alerted exactly once and every alert is sent once (grouped per person) to the real SMTP sink."""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter

import psycopg
import pytest

from .conftest import DATABASE
from .harness import Celery, SmtpSink, manage, report, wait_for

pytestmark = pytest.mark.chaos

CHUNK = int(os.environ.get("CHAOS_SCAN_CHUNK", "40"))

# Everything already overdue in the shared chaos database is alerted first; then 3 chunks of
# follow-ups fall due, owned by two users of the test (their e-mails are counted at the sink).
SETUP = """
import datetime as dt, json
from types import SimpleNamespace
from django.utils import timezone
from slas.models import Team
from reporting.notifications.overdue import followups_alert_overdue
from reporting.tests.notify_helpers import active_sla, followup
from slas.tests.factories import UserFactory

followups_alert_overdue()
roles = SimpleNamespace(marketing=Team.objects.get(name="Marketing"), sales=Team.objects.get(name="Inside sales"))
sla = active_sla(roles)
first, blocked = UserFactory(username="{tag}-a"), UserFactory(username="{tag}-x")
now = timezone.now()
ids = []
for n in range(3 * {chunk}):
    owner = blocked if {chunk} <= n < 2 * {chunk} else first
    # Due in the next second: overdue when the worker scans, after the drain's position.
    ids.append(followup(sla, due_at=now + dt.timedelta(milliseconds=5 * (n + 1)), owner_user=owner).pk)
print("SETUP " + json.dumps({{"ids": ids, "blocked": blocked.pk}}))
"""

SCAN = """
from reporting.tasks import scan_overdue_followups
scan_overdue_followups.delay()
"""

RELAY = """
from reporting.notifications.outbox import notifications_relay
print("RELAYED", len(notifications_relay()))
"""


def _count(stack, query: str) -> int:
    return int(stack.sql(query))


def test_a_worker_killed_between_two_chunks_of_the_overdue_scan(stack):
    sink = SmtpSink().start()
    env = {**stack.env, **sink.env(), "OVERDUE_SCAN_CHUNK": str(CHUNK), "NOTIFICATION_CLAIM_LEASE_SECONDS": "3"}
    tag = f"scan{uuid.uuid4().hex[:6]}"
    workers: list[Celery] = []
    blocker = None
    try:
        setup = json.loads(manage(env, "shell", "-c", SETUP.format(tag=tag, chunk=CHUNK)).split("SETUP ", 1)[1])
        ids = ",".join(str(pk) for pk in setup["ids"])
        alerted_sql = f"SELECT count(*) FROM reporting_overduealert WHERE followup_id IN ({ids})"  # noqa: S608
        # An uncommitted alert mark for the first follow-up of chunk 2: chunk 2's insert of its
        # marks waits on this row's unique key (foreign keys are checked at commit, too late).
        blocker = psycopg.connect(stack.pg.url(DATABASE), autocommit=False)
        blocker.execute(
            "INSERT INTO reporting_overduealert (followup_id, owner_alerted_at, escalate_at) VALUES (%s, now(), now())",
            [setup["ids"][CHUNK]],
        )

        worker = Celery(env, "worker", name=f"scan-{uuid.uuid4().hex[:6]}")
        worker.start()
        workers.append(worker)
        wait_for(lambda: "ready" in worker.log_text(), 90, what="worker ready")
        manage(env, "shell", "-c", SCAN)

        def inside_chunk_two() -> bool:
            # The worker waits inside chunk 2, on the blocker's uncommitted mark.
            waiting = _count(
                stack,
                f"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = '{DATABASE}'",  # noqa: S608
            )
            return waiting == 1 and _count(stack, alerted_sql) == CHUNK

        wait_for(inside_chunk_two, 120, what="chunk 1 committed and chunk 2 waiting")
        worker.kill()
        at_kill = _count(stack, alerted_sql)
        blocker.rollback()
        blocker.close()
        blocker = None
        # The killed worker's backend ends its transaction (rolled back) once it notices.
        busy = (
            f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DATABASE}' "  # noqa: S608
            "AND state <> 'idle' AND pid <> pg_backend_pid()"
        )
        wait_for(lambda: _count(stack, busy) == 0, 60, what="the killed worker's transaction rolled back")
        after_kill = _count(stack, alerted_sql)
        cursor_id = int(stack.sql("SELECT cursor_id FROM reporting_scanwatermark WHERE name = 'overdue'"))

        # The restart: a new worker, the scan published again (as beat does every 5 minutes).
        restarted = Celery(env, "worker", name=f"scan-{uuid.uuid4().hex[:6]}")
        restarted.start()
        workers.append(restarted)
        wait_for(lambda: "ready" in restarted.log_text(), 90, what="worker ready")
        manage(env, "shell", "-c", SCAN)
        wait_for(lambda: _count(stack, alerted_sql) == 3 * CHUNK, 120, what="every follow-up alerted")

        def all_sent() -> bool:
            manage(env, "shell", "-c", RELAY)  # the deliveries the killed worker had taken
            sent = (
                "SELECT count(*) FROM reporting_notification WHERE kind = 'overdue' AND status = 'sent' "  # noqa: S608
                f"AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')"
            )
            counted = _count(stack, sent)
            return counted == 3 * CHUNK

        wait_for(all_sent, 300, interval=2, what="every alert e-mail sent")
    finally:
        if blocker is not None:
            blocker.close()
        for worker in workers:
            worker.stop()
        sink.stop()
    ours = [mid for _at, mid, rcpts in sink.received if any(r.startswith(tag) for r in rcpts)]
    per_id = Counter(ours)
    alerts = Counter(
        int(pk)
        for pk in stack.sql(f"SELECT followup_id FROM reporting_overduealert WHERE followup_id IN ({ids})").split()  # noqa: S608
    )
    keys = Counter(
        stack.sql(
            "SELECT dedupe_key FROM reporting_notification WHERE kind = 'overdue' "  # noqa: S608
            f"AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')"
        ).split()
    )
    duplicates = sum(count - 1 for count in per_id.values())
    sent_rows = _count(
        stack,
        "SELECT count(*) FROM reporting_notification WHERE kind = 'overdue' AND status = 'sent' "  # noqa: S608
        f"AND recipient_id IN (SELECT id FROM auth_user WHERE username LIKE '{tag}-%')",
    )
    report(
        fault="overdue-scan worker SIGKILLed after chunk 1 committed, inside chunk 2",
        load=f"{3 * CHUNK} follow-ups newly overdue, chunks of {CHUNK}",
        expected=3 * CHUNK,
        delivered=sent_rows,
        duplicates=duplicates,
        lost=3 * CHUNK - sent_rows,
        errors=0,
        alerted_at_kill=at_kill,
        alerted_after_rollback=after_kill,
        emails=len(per_id),
    )
    # The kill fell where it had to: chunk 1 committed, chunk 2 not.
    assert at_kill == after_kill == CHUNK
    assert cursor_id == setup["ids"][CHUNK - 1]
    # Every follow-up alerted once, one notification each, each sent once; a person's alerts go out
    # grouped (docs/outputs.md: one e-mail for the alerts waiting together, at most ALERT_GROUP_MAX),
    # so there are fewer e-mails than alerts, each Message-ID once.
    assert sorted(alerts) == sorted(setup["ids"]) and set(alerts.values()) == {1}
    assert len(keys) == 3 * CHUNK and set(keys.values()) == {1}
    assert sent_rows == 3 * CHUNK
    assert 2 <= len(per_id) <= 3 * CHUNK and duplicates == 0
