"""The soak: web, worker and beat under steady mixed load for ``CHAOS_SOAK_SECONDS`` (60 in
``make chaos``, 600 in ``make chaos-soak``), with a fault every ``CHAOS_SOAK_FAULT_EVERY`` seconds
(60; a third of a shorter run; counted from the start of each fault), alternately Redis stopped
for 15 s and the worker SIGKILLed.

The worker and beat run under a supervisor that starts them again 2 s after they exit, as
``bin/keep-running`` does under ``make run``. Load: leads created and handed off (each handoff a
``lead.handed_off`` webhook), lists and pages read by three clients; an import of 300 rows every
``CHAOS_SOAK_IMPORT_EVERY`` seconds (30) by a fourth; a monthly report to 20 subscribers queued a
third of the way in, so its delivery meets the faults. At the end every part is up, the relays run
until nothing waits, and the scenario counts: no 500, every request answered 2xx, 4xx or 503, no
e-mail, webhook or imported row lost, e-mails once, every import ``succeeded`` with all its rows,
webhook resends only with the same ``webhook-id``, and no exit of the worker but the kills (it
stays up through the Redis outages).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from .harness import Celery, Load, Receiver, SmtpSink, manage, report, request, upload, wait_for

pytestmark = pytest.mark.chaos

SECONDS = int(os.environ.get("CHAOS_SOAK_SECONDS", "60"))
FAULT_EVERY = int(os.environ.get("CHAOS_SOAK_FAULT_EVERY", str(min(60, max(SECONDS // 3, 20)))))
IMPORT_EVERY = int(os.environ.get("CHAOS_SOAK_IMPORT_EVERY", "30"))  # seconds between two imports
IMPORT_ROWS = 300
WARM_UP = 10  # seconds of load before the web processes' memory is first measured
REDIS_DOWN = 15
SUBSCRIBERS = 20

QUEUE_REPORT = """
import datetime as dt
from types import SimpleNamespace
from reporting.models import ReportSubscription
from reporting.notifications.monthly import monthly_report_send
from reporting.tests.notify_helpers import active_sla, make_report
from slas.models import Team
from slas.tests.factories import UserFactory

roles = SimpleNamespace(marketing=Team.objects.get(name="Marketing"), sales=Team.objects.get(name="Inside sales"))
sla = active_sla(roles)
for n in range({subscribers}):
    ReportSubscription.objects.create(user=UserFactory(username="{tag}-%d" % n, email="{tag}-%d@example.com" % n),
                                      sla_series=sla.series)
print("QUEUED", monthly_report_send(report=make_report(sla, dt.date(2026, 10, 1))))
"""

RELAYS = """
from reporting.notifications.outbox import notifications_relay
from smarketing.webhook_tasks import relay_webhooks
print("RELAYED", len(notifications_relay()), relay_webhooks())
"""


class Supervised:
    """A Celery process started again 2 s after it exits (``bin/keep-running``), until ``stop()``."""

    def __init__(self, env: dict, kind: str):
        self.env, self.kind = env, kind
        self.process: Celery | None = None
        self.starts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.process is None or not self.process.alive():
                if self.process is not None:
                    time.sleep(2)
                self.process = Celery(self.env, self.kind, name=f"soak-{uuid.uuid4().hex[:6]}", concurrency=2)
                self.process.start()
                self.starts += 1
            time.sleep(0.5)

    def start(self) -> Supervised:
        self._thread.start()
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        if self.process is not None:
            self.process.stop()


def _rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and its children (gunicorn's workers, the worker's pool)."""
    total = 0
    for status in Path("/proc").glob("*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if status.parent.name == str(pid) or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0] or 0)
    return total


def test_soak_under_load_with_a_fault_every_period(stack):
    base, tag = stack.web.base, f"soak{uuid.uuid4().hex[:6]}"
    receiver = Receiver().start()
    sink = SmtpSink().start()
    env = {**stack.env, **sink.env(), "NOTIFICATION_CLAIM_LEASE_SECONDS": "10"}
    worker, beat = Supervised(env, "worker").start(), Supervised(env, "beat").start()
    faults: list[tuple[str, float, float]] = []
    web_rss_start = 0

    def step(index: int):
        kind = index % 4
        if kind == 0:
            created = request(
                base,
                "POST",
                "/api/v1/leads/",
                token=stack.token,
                data={"email": f"{tag}-{index}@example.com", "first_name": "Soak", "stage": "mql", "team": stack.team},
            )
            if created.status != 201:
                return created
            return request(
                base,
                "POST",
                f"/api/v1/leads/{created.body['id']}/handoff/",
                token=stack.token,
                data={"team": stack.sales},
            )
        if kind == 1:
            return request(base, "GET", "/api/v1/leads/?page_size=20", token=stack.token)
        if kind == 2:
            return request(base, "GET", "/api/v1/slas/", token=stack.token)
        return request(base, "GET", "/accounts/login/")

    def import_step(index: int):
        rows = "".join(f"{tag}-i{index}-{n}@example.com;Imported\n" for n in range(IMPORT_ROWS))
        content = "email;first_name\n" + rows
        return upload(base, "/api/v1/imports/", token=stack.token, filename="soak.csv", content=content)

    load = Load(step, threads=3, pause=0.1)
    imports = Load(import_step, threads=1, pause=IMPORT_EVERY)
    queued = 0
    try:
        wait_for(lambda: worker.process is not None and "ready" in worker.process.log_text(), 120, what="worker up")
        load.start()
        imports.start()
        started = time.monotonic()
        next_fault, redis_turn, report_queued = started + FAULT_EVERY, True, False
        while time.monotonic() - started < SECONDS:
            now = time.monotonic()
            if not web_rss_start and now - started >= WARM_UP:
                web_rss_start = _rss_kib(stack.web.process.pid)
            if not report_queued and now - started >= SECONDS / 3:
                queued = int(manage(env, "shell", "-c", QUEUE_REPORT.format(subscribers=SUBSCRIBERS, tag=tag))
                             .split("QUEUED ")[1].split()[0])  # fmt: skip
                report_queued = True
            if now >= next_fault:
                if redis_turn:
                    stack.redis.stop()
                    time.sleep(REDIS_DOWN)
                    stack.redis.start()
                    faults.append(("redis stopped", now, time.monotonic()))
                else:
                    worker.kill()
                    faults.append(("worker SIGKILL", now, time.monotonic()))
                redis_turn = not redis_turn
                next_fault = now + FAULT_EVERY
            time.sleep(0.5)
        answers = load.stop()
        import_answers = imports.stop()
        jobs = [a.body["id"] for a in import_answers if a.status == 202]
        web_rss_end = _rss_kib(stack.web.process.pid)
        wait_for(lambda: worker.process is not None and worker.process.alive(), 60, what="worker up at the end")

        pending_sql = (
            "SELECT (SELECT count(*) FROM smarketing_webhookdelivery d JOIN leads_lead l"  # noqa: S608 - tag is ours
            " ON (d.payload->'data'->>'lead')::int = l.id"
            f" WHERE l.email LIKE '{tag}-%' AND d.status <> 'delivered')"
            " + (SELECT count(*) FROM reporting_notification n JOIN auth_user u ON u.id = n.recipient_id"
            f" WHERE u.username LIKE '{tag}-%' AND n.kind = 'monthly_report' AND n.status <> 'sent')"
            f" + (SELECT count(*) FROM smarketing_job WHERE id IN ({','.join(map(str, jobs or [0]))})"
            " AND status NOT IN ('succeeded', 'failed'))"
        )

        def settled() -> bool:
            manage(env, "shell", "-c", RELAYS)
            return stack.sql(pending_sql) == "0"

        wait_for(settled, 420, interval=5, what="every webhook delivered and every e-mail sent")
        time.sleep(2)
    finally:
        load.stop()
        imports.stop()
        worker.stop()
        beat.stop()
        stack.heal()
        receiver.stop()
        sink.stop()

    answers = answers + import_answers
    statuses = Counter(a.status for a in answers)
    unanswered = [a for a in answers if a.status == 0]
    server_errors = [a for a in answers if a.status >= 500 and a.status != 503]
    outside = [a for a in answers if a.status == 503 and not any(s - 1 <= a.at <= e + 5 for _f, s, e in faults)]
    ids = stack.sql(
        "SELECT d.payload->>'id' FROM smarketing_webhookdelivery d JOIN leads_lead l"  # noqa: S608
        f" ON (d.payload->'data'->>'lead')::int = l.id WHERE l.email LIKE '{tag}-%'"
    ).split()
    received = Counter(receiver.ids)
    hooks_lost = sum(1 for i in ids if not received[i])
    hooks_resent = sum(received[i] - 1 for i in ids if received[i] > 1)
    mails = [(mid, rcpts[0]) for _at, mid, rcpts in sink.received if rcpts and rcpts[0].startswith(tag)]
    per_recipient = Counter(email for _mid, email in mails)
    mails_lost = SUBSCRIBERS - len(per_recipient)
    mails_duplicated = sum(c - 1 for c in per_recipient.values())
    kills = sum(1 for f, _s, _e in faults if f == "worker SIGKILL")
    job_ids = ",".join(map(str, jobs or [0]))
    job_states = Counter(stack.sql(f"SELECT status FROM smarketing_job WHERE id IN ({job_ids})").split())  # noqa: S608
    imported = int(stack.sql(f"SELECT count(*) FROM leads_lead WHERE email LIKE '{tag}-i%'"))  # noqa: S608
    rows_expected = IMPORT_ROWS * len(jobs)
    # Every start of the worker but the first and those after a kill: exits of its own (a Redis outage).
    worker_exits = worker.starts - 1 - kills
    report(
        fault=f"soak {SECONDS} s: Redis stopped {REDIS_DOWN} s / worker SIGKILLed, alternately every {FAULT_EVERY} s"
        f" ({len(faults)} faults: {len(faults) - kills} Redis, {kills} kills)",
        load=f"{len(answers)} requests (3 clients: handoffs, API lists, pages; {len(import_answers)} imports of"
        f" {IMPORT_ROWS} rows), {len(ids)} webhooks, monthly report to {SUBSCRIBERS}",
        expected=len(ids) + SUBSCRIBERS + rows_expected,
        delivered=len(ids) - hooks_lost + len(per_recipient) + imported,
        duplicates=hooks_resent + mails_duplicated + max(0, imported - rows_expected),
        lost=hooks_lost + mails_lost + max(0, rows_expected - imported),
        errors=len(server_errors),
        statuses=dict(sorted(statuses.items())),
        unanswered=len(unanswered),
        webhook_resends_same_id=hooks_resent,
        email_duplicates=mails_duplicated,
        queued_reports=queued,
        worker_starts=worker.starts,
        worker_exits_outside_kills=worker_exits,
        jobs=dict(job_states),
        beat_starts=beat.starts,
        web_rss_mib=f"{web_rss_start // 1024}->{web_rss_end // 1024}",
        slowest=f"{max(a.seconds for a in answers):.2f}s",
    )
    assert answers and not unanswered, "every request got an answer"
    assert not server_errors, [(a.kind, a.status) for a in server_errors[:5]]
    assert all(200 <= s < 500 or s == 503 for s in statuses), statuses
    assert not outside, "503 only while a part is away"
    assert hooks_lost == 0 and mails_lost == 0
    assert mails_duplicated == 0
    assert job_states == Counter(succeeded=len(jobs)) and imported == rows_expected, (job_states, imported)
    # The worker survives Redis outages (smarketing/broker.py): it starts again only after a kill.
    assert worker_exits == 0, f"the worker exited {worker_exits} times outside the kills"
    # A webhook in flight at a kill may be received again, always with its webhook-id (receivers dedupe).
    assert hooks_resent <= 2 * max(kills, 1)
    # Memory after the warm-up against the end of the run: no leak per request.
    assert web_rss_end < web_rss_start * 1.3 + 30 * 1024, "the web processes' memory stays flat"
