"""The worker stays up through Redis outages under work (issue 14, "workers stay up").

One worker (concurrency 2, as in production) and beat run while two clients create and hand off
leads (each handoff a ``lead.handed_off`` webhook to a receiver that answers in 0.3 s) and an
import of 50,000 rows is running; Redis is stopped ``CHAOS_OUTAGE_SECONDS`` (15) seconds,
``CHAOS_OUTAGES`` (3) times, 25 s apart. Messages received before an outage are acknowledged late,
after it, on a connection Celery closed during the outage: the case that made kombu raise
``'NoneType' object has no attribute 'hostname'`` and the worker exit (docs/reliability.md).

Expected: the same worker process (same PID) at the end, every import ``succeeded`` with all its
rows, every webhook delivered (resends only with the same ``webhook-id``), no 5xx.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter

import pytest

from .harness import Celery, Load, Receiver, manage, report, request, upload, wait_for

pytestmark = pytest.mark.chaos

OUTAGES = int(os.environ.get("CHAOS_OUTAGES", "3"))
OUTAGE_SECONDS = float(os.environ.get("CHAOS_OUTAGE_SECONDS", "15"))
IMPORT_ROWS = 50_000  # the most an import takes; about 20 s of work here, so it spans the outage

RELAYS = """
from smarketing.jobs import relay_jobs
from smarketing.webhook_tasks import relay_webhooks
print("RELAYED", relay_webhooks(), relay_jobs())
"""


def _csv(tag: str, rows: int) -> str:
    return "email;first_name\n" + "".join(f"{tag}-{n}@example.com;N{n}\n" for n in range(rows))


def test_the_worker_process_survives_redis_outages_under_work(stack):
    base, tag = stack.web.base, f"out{uuid.uuid4().hex[:6]}"
    receiver = Receiver().start()
    worker = Celery(stack.env, "worker", name=f"outage-{uuid.uuid4().hex[:6]}", concurrency=2)
    beat = Celery(stack.env, "beat")
    jobs: list[int] = []

    def step(index: int):
        created = request(
            base,
            "POST",
            "/api/v1/leads/",
            token=stack.token,
            data={"email": f"{tag}-h{index}@example.com", "first_name": "Out", "stage": "mql", "team": stack.team},
        )
        if created.status != 201:
            return created
        return request(
            base, "POST", f"/api/v1/leads/{created.body['id']}/handoff/", token=stack.token, data={"team": stack.sales}
        )

    # What the worker keeps up with, so that an import never waits behind a backlog of webhooks.
    load = Load(step, threads=2, pause=0.5)
    alive_after: list[bool] = []
    try:
        worker.start()
        beat.start()
        wait_for(lambda: "ready" in worker.log_text(), 120, what="worker ready")
        pid = worker.process.pid
        load.start()
        for outage in range(OUTAGES):
            answer = upload(
                base,
                "/api/v1/imports/",
                token=stack.token,
                filename="l.csv",
                content=_csv(f"{tag}-i{outage}", IMPORT_ROWS),
            )
            assert answer.status == 202, answer.body
            jobs.append(answer.body["id"])
            wait_for(
                lambda: (
                    request(base, "GET", f"/api/v1/jobs/{jobs[-1]}/", token=stack.token).body["status"]
                    in {"running", "succeeded"}
                ),
                180,
                what="import running",
            )
            stack.redis.stop()
            time.sleep(OUTAGE_SECONDS)
            stack.redis.start()
            time.sleep(25)  # the worker reconnects (its retries back off 2, 4, 6, 8 s) and acks late
            alive_after.append(worker.alive())
            if not worker.alive():
                break
        answers = load.stop()

        pending_sql = (
            "SELECT (SELECT count(*) FROM smarketing_webhookdelivery d JOIN leads_lead l"  # noqa: S608 - tag is ours
            " ON (d.payload->'data'->>'lead')::int = l.id"
            f" WHERE l.email LIKE '{tag}-%' AND d.status <> 'delivered')"
            f" + (SELECT count(*) FROM smarketing_job WHERE id IN ({','.join(map(str, jobs))})"
            " AND status NOT IN ('succeeded', 'failed'))"
        )

        def settled() -> bool:
            manage(stack.env, "shell", "-c", RELAYS)
            return stack.sql(pending_sql) == "0"

        if worker.alive():
            wait_for(settled, 420, interval=20, what="every webhook delivered and every import ended")
        same_process = worker.alive() and worker.process.pid == pid
    finally:
        load.stop()
        worker.stop()
        beat.stop()
        stack.heal()
        receiver.stop()

    statuses = Counter(a.status for a in answers)
    server_errors = [a for a in answers if a.status >= 500 and a.status != 503]
    ids = stack.sql(
        "SELECT d.payload->>'id' FROM smarketing_webhookdelivery d JOIN leads_lead l"  # noqa: S608
        f" ON (d.payload->'data'->>'lead')::int = l.id WHERE l.email LIKE '{tag}-%'"
    ).split()
    received = Counter(receiver.ids)
    hooks_lost = sum(1 for i in ids if not received[i])
    hooks_resent = sum(received[i] - 1 for i in ids if received[i] > 1)
    job_states = stack.sql(f"SELECT status FROM smarketing_job WHERE id IN ({','.join(map(str, jobs))})").split()  # noqa: S608
    imported = int(stack.sql(f"SELECT count(*) FROM leads_lead WHERE email LIKE '{tag}-i%'"))  # noqa: S608
    expected_rows = IMPORT_ROWS * len(jobs)
    log = worker.log_text()
    report(
        fault=f"Redis stopped {OUTAGE_SECONDS:.0f} s, {len(alive_after)} times, under a running import and handoffs",
        load=f"{len(answers)} requests (2 clients: lead creations + handoffs), {len(ids)} webhooks,"
        f" {len(jobs)} imports of {IMPORT_ROWS} rows",
        expected=len(ids) + expected_rows,
        delivered=len(ids) - hooks_lost + imported,
        duplicates=hooks_resent,
        lost=hooks_lost + max(0, expected_rows - imported),
        errors=len(server_errors),
        statuses=dict(sorted(statuses.items())),
        worker_alive_after=f"{sum(alive_after)}/{OUTAGES}",
        same_pid=same_process,
        jobs=",".join(job_states),
        couldnt_ack=log.count("Couldn't ack"),
    )
    assert same_process, "the worker process exited:\n" + log[-6000:]
    assert "Unrecoverable error" not in log, log[-6000:]
    assert job_states == ["succeeded"] * len(jobs) and imported == expected_rows
    assert hooks_lost == 0 and not server_errors
