"""The worker SIGKILLed during the daily digest run: each digest goes out once, each alert in one digest.

The worst moment is chosen from outside the code: the SMTP sink accepts the first digest (``250``)
and holds the worker's ``QUIT``; the harness kills the worker then — the digest row must already be
``sent``, with the alerts it carried. Then workers are killed at random times while the rest of the
run (the dispatch task itself and the deliveries) goes on, the next hourly run is fired as beat
would, and every user must have received exactly one digest carrying each of their alerts once.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter

import pytest

from .harness import Celery, SmtpSink, manage, report, wait_for

pytestmark = pytest.mark.chaos

USERS = int(os.environ.get("CHAOS_DIGEST_USERS", "30"))
ALERTS = 3  # waiting alerts per user
KILLS = int(os.environ.get("CHAOS_DIGEST_KILLS", "4"))

SEED = """
import datetime as dt, json, zoneinfo
from types import SimpleNamespace
from django.utils import timezone
from reporting.models import Notification
from reporting.tests.notify_helpers import active_sla, followup, set_profile
from slas.models import Profile, Team
from slas.tests.factories import UserFactory

# A time zone where the digest is due now (08:00-22:00 local), whenever the scenario runs.
now = timezone.now()
zone = next(z for z in sorted(zoneinfo.available_timezones())
            if z.count("/") == 1 and 9 <= now.astimezone(zoneinfo.ZoneInfo(z)).hour < 22)
roles = SimpleNamespace(marketing=Team.objects.get(name="Marketing"), sales=Team.objects.get(name="Inside sales"))
sla = active_sla(roles)
alerts = {{}}
for n in range({users}):
    user = UserFactory(username="{tag}-%d" % n, email="{tag}-%d@example.com" % n)
    set_profile(user, alert_mode=Profile.AlertMode.DIGEST, time_zone=zone)
    for k in range({alerts}):
        due = now - dt.timedelta(hours=5 + k)
        row = Notification.objects.create(
            kind=Notification.Kind.OVERDUE, recipient=user, dedupe_key="overdue:{tag}:%d:%d" % (n, k),
            payload={{"followup": followup(sla, due_at=due, owner_user=user).pk}}, status=Notification.Status.DIGESTED)
        alerts.setdefault(user.email, []).append(row.pk)
print("SEEDED " + json.dumps({{"zone": zone, "alerts": alerts}}))
"""

# What the beat schedule sends every hour ("daily-digests"), published for a worker to run.
FIRE = """
from reporting.tasks import dispatch_digests
dispatch_digests.delay()
print("FIRED")
"""

RELAY = """
from reporting.notifications.outbox import notifications_relay
print("RELAYED", len(notifications_relay()))
"""

STATE = """
import json
from reporting.models import Notification
rows = Notification.objects.filter(recipient__username__startswith="{tag}-")
print("STATE " + json.dumps({{
    "digests": [[r.recipient.email, r.status, r.payload.get("items", [])]
                for r in rows.filter(kind=Notification.Kind.DIGEST)],
    "alerts": {{str(pk): status for pk, status in rows.exclude(kind=Notification.Kind.DIGEST)
                .values_list("pk", "status")}},
}}))
"""


def _state(env, tag: str) -> dict:
    return json.loads(manage(env, "shell", "-c", STATE.format(tag=tag)).split("STATE ", 1)[1])


def test_worker_killed_during_the_digest_run(stack):
    sink = SmtpSink(hold_first_quit=True).start()
    env = {**stack.env, **sink.env(), "NOTIFICATION_CLAIM_LEASE_SECONDS": "3"}
    tag = f"dig{uuid.uuid4().hex[:6]}"
    rng = random.Random(os.environ.get("CHAOS_SEED", "14"))
    workers: list[Celery] = []

    def worker() -> Celery:
        process = Celery(env, "worker", name=f"digest-{uuid.uuid4().hex[:6]}", concurrency=2)
        process.start()
        workers.append(process)
        return process

    try:
        seeded = json.loads(
            manage(env, "shell", "-c", SEED.format(users=USERS, alerts=ALERTS, tag=tag)).split("SEEDED ", 1)[1]
        )
        # 1. The worst moment: the first digest accepted by the server, the worker waiting on QUIT.
        first = worker()
        manage(env, "shell", "-c", FIRE)
        wait_for(sink.holding.is_set, 120, what="a digest accepted and its QUIT held")
        first.kill()
        held = _state(env, tag)
        accepted = [rcpts[0] for _at, _mid, rcpts in sink.received if rcpts and rcpts[0].startswith(tag)]
        assert len(accepted) >= 1
        held_digest = next(d for d in held["digests"] if d[0] == accepted[0])
        assert held_digest[1] == "sent", "the digest was marked sent before QUIT"
        assert all(held["alerts"][str(pk)] == "sent" for pk in held_digest[2]), "its alerts with it"
        sink.release.set()

        # 2. Random kills while the run goes on; each time the relay takes back what the dead worker held.
        kills = 1
        for _round in range(KILLS):
            process = worker()
            manage(env, "shell", "-c", RELAY)
            time.sleep(rng.uniform(0.5, 6.0))
            process.kill()
            kills += 1
            time.sleep(3.5)  # past the claim lease of a row the killed worker held

        # 3. The next hourly run (beat), a worker that lives, the relay until every digest is out.
        worker()
        manage(env, "shell", "-c", FIRE)

        def all_sent() -> bool:
            manage(env, "shell", "-c", RELAY)
            state = _state(env, tag)
            return (
                len(state["digests"]) == USERS
                and all(status == "sent" for _email, status, _items in state["digests"])
                and all(status == "sent" for status in state["alerts"].values())
            )

        wait_for(all_sent, 300, interval=3, what="every digest sent")
        time.sleep(2)
        final = _state(env, tag)
    finally:
        for process in workers:
            process.stop()
        sink.stop()

    ours = [(mid, rcpts[0]) for _at, mid, rcpts in sink.received if rcpts and rcpts[0].startswith(tag)]
    per_recipient = Counter(email for _mid, email in ours)
    per_id = Counter(mid for mid, _email in ours)
    duplicates = sum(count - 1 for count in per_recipient.values())
    lost = USERS - len(per_recipient)
    carried = Counter(pk for _email, _status, items in final["digests"] for pk in items)
    expected_alerts = {pk for pks in seeded["alerts"].values() for pk in pks}
    report(
        fault=f"worker SIGKILLed during the digest run (1 after a 250, {kills - 1} at random, seed "
        f"{os.environ.get('CHAOS_SEED', '14')})",
        load=f"{USERS} digest users x {ALERTS} waiting alerts, dispatch task + deliveries, next hourly run",
        expected=USERS,
        delivered=len(per_recipient),
        duplicates=duplicates,
        lost=lost,
        errors=0,
        digests=len(final["digests"]),
        alerts_in_two_digests=sum(1 for count in carried.values() if count > 1),
        alerts_in_none=len(expected_alerts - set(carried)),
        message_ids=len(per_id),
    )
    assert lost == 0, "every user received a digest"
    assert duplicates == 0, f"a digest went out twice: {[e for e, c in per_recipient.items() if c > 1]}"
    assert len(final["digests"]) == USERS, "one digest per user and day, whatever was killed"
    assert set(carried) == expected_alerts and max(carried.values()) == 1, "each alert in exactly one digest"
    # Each user's digest carries all of their alerts.
    for email, _status, items in final["digests"]:
        assert sorted(items) == sorted(seeded["alerts"][email])
