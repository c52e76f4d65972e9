"""Performance benchmark: `make bench`.

Builds a synthetic funnel (N leads with their events, handoffs, follow-ups and activities)
in a throw-away test database and measures, with the query count beside each timing:
- the compliance engine for one SLA month (goal: < 250 ms at 10,000 leads, constant queries);
- the lead list API page and the lead list page (goal: < 150 ms, queries independent of size);
- the overdue scan (goal: O(newly overdue)).
Timings are medians of repeated runs. Goals are reported, never asserted in the test suite.
Usage: python bench/run.py [--leads 10000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.test_settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def measure(label: str, func, repeat: int, goal_ms: float) -> dict:
    timings = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            func()
            timings.append((time.perf_counter() - start) * 1000)
        queries = len(ctx.captured_queries)
    median = statistics.median(timings)
    verdict = "ok" if median <= goal_ms else "SLOWER THAN GOAL"
    print(f"{label:<44} median {median:8.1f} ms  (goal {goal_ms:>5.0f} ms, {queries:>3} queries)  {verdict}")
    return {"label": label, "median_ms": median, "queries": queries, "goal_ms": goal_ms}


def build(n_leads: int):
    from django.utils import timezone

    from leads.models import Activity, FollowUp, Handoff, Lead, LeadEvent, Stage
    from slas.models import SLA
    from slas.tests.factories import make_sla, role_users

    roles = role_users()
    today = timezone.now().date()
    sla = make_sla(
        roles.marketing,
        roles.sales,
        start=today.replace(day=1) - dt.timedelta(days=400),
        end=today + dt.timedelta(days=400),
        status=SLA.Status.ACTIVE,
    )
    rng = random.Random(42)  # reproducible benchmark data, not a secret  # nosec B311
    now = timezone.now()
    leads = Lead.objects.bulk_create(
        Lead(
            first_name=f"Lead{i}",
            last_name="Bench",
            email=f"lead{i}@bench.example",
            company=f"Co {i % 500}",
            stage=rng.choice([Stage.PROSPECT, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CLIENT]),
            owner_team=roles.marketing,
            sla=sla,
            channel=rng.choice(["seo", "ads", "event"]),
        )
        for i in range(n_leads)
    )
    events, handoffs, followups, activities = [], [], [], []
    for lead in leads:
        created = now - dt.timedelta(hours=rng.randint(1, 24 * 330))
        events.append(
            LeadEvent(
                lead=lead,
                kind="created",
                occurred_at=created,
                to_stage=Stage.PROSPECT,
                first_reach=True,
                team=roles.marketing,
                sla=sla,
            )
        )
        mql_at = created + dt.timedelta(hours=rng.randint(1, 200))
        events.append(
            LeadEvent(
                lead=lead,
                kind="stage_changed",
                occurred_at=mql_at,
                from_stage=Stage.PROSPECT,
                to_stage=Stage.MQL,
                first_reach=True,
                team=roles.marketing,
                sla=sla,
            )
        )
        decided = mql_at + dt.timedelta(hours=rng.randint(1, 12))
        accepted = rng.random() < 0.8
        handoffs.append(
            Handoff(
                lead=lead,
                from_team=roles.marketing,
                to_team=roles.sales,
                sla=sla,
                handed_off_at=mql_at,
                decision_due_at=mql_at + dt.timedelta(hours=6),
                status="accepted" if accepted else "rejected",
                decided_at=decided,
            )
        )
        if accepted:
            due = decided + dt.timedelta(hours=8)
            done = decided + dt.timedelta(hours=rng.randint(1, 16))
            followups.append(
                FollowUp(
                    lead=lead,
                    sla=sla,
                    kind="first_contact",
                    starts_at=decided,
                    due_at=due,
                    status="done",
                    done_at=done,
                    done_on_time=done <= due,
                    business_hours_taken=(done - decided).total_seconds() / 3600,
                    owner_team=roles.sales,
                )
            )
            events.append(
                LeadEvent(
                    lead=lead,
                    kind="accepted",
                    occurred_at=decided,
                    from_stage=Stage.MQL,
                    to_stage=Stage.SQL,
                    first_reach=True,
                    team=roles.sales,
                    sla=sla,
                )
            )
        if rng.random() < 0.05:
            followups.append(
                FollowUp(
                    lead=lead,
                    sla=sla,
                    kind="contact_attempts",
                    starts_at=now,
                    due_at=now - dt.timedelta(hours=1),
                    owner_team=roles.sales,
                )
            )
    LeadEvent.objects.bulk_create(events, batch_size=5000)
    Handoff.objects.bulk_create(handoffs, batch_size=5000)
    FollowUp.objects.bulk_create(followups, batch_size=5000)
    activity_events = LeadEvent.objects.bulk_create(
        [
            LeadEvent(lead=f.lead, kind="activity", occurred_at=f.done_at, team=roles.sales, sla=sla)
            for f in followups
            if f.done_at
        ],
        batch_size=5000,
    )
    for event in activity_events:
        activities.append(
            Activity(
                lead_id=event.lead_id,
                event=event,
                kind="call",
                outcome="reached",
                side="sales",
                occurred_at=event.occurred_at,
            )
        )
    Activity.objects.bulk_create(activities, batch_size=5000)
    return roles, sla


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from django.test.runner import DiscoverRunner
    from django.utils import timezone

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    old_config = runner.setup_databases()
    try:
        started = time.perf_counter()
        roles, sla = build(args.leads)
        print(f"built {args.leads} leads in {time.perf_counter() - started:.1f} s on {connection.vendor}\n")
        results = []

        from reporting.compliance import compute

        month = (timezone.now().date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        results.append(measure("compliance.compute (closed month)", lambda: compute(sla, month), args.repeat, 250))
        results.append(
            measure(
                "compliance.compute (current month)",
                lambda: compute(sla, timezone.now().date().replace(day=1)),
                args.repeat,
                250,
            )
        )

        from django.test import Client

        client = Client()
        client.force_login(roles.admin)
        for label, url in [
            ("GET /api/v1/leads/ (first page)", "/api/v1/leads/"),
            ("GET /leads/ (list page)", "/leads/"),
            ("GET /api/v1/followups/?overdue=true", "/api/v1/followups/?overdue=true"),
            ("GET / (dashboard)", "/"),
        ]:

            def fetch(url=url):
                response = client.get(url, HTTP_HOST="localhost")
                assert response.status_code == 200, (url, response.status_code)  # a benchmark check  # nosec B101

            results.append(measure(label, fetch, args.repeat, 150 if "dashboard" not in label else 400))
        slow = [r for r in results if r["median_ms"] > r["goal_ms"]]
        print(f"\n{len(results) - len(slow)} of {len(results)} measurements within their goal")
    finally:
        runner.teardown_databases(old_config)


if __name__ == "__main__":
    main()
