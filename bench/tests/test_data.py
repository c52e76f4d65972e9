"""The bench's fast writer produces what the services would: same rows, same compliance figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from bench import data
from leads.models import Activity, FollowUp, Handoff, Lead, LeadEvent
from reporting import compliance

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench COPYs into PostgreSQL")


def months(now) -> list:
    """The first day of every month of the history, up to the current one."""
    result, day = [], (now - dt.timedelta(days=data.HISTORY_DAYS + 31)).date().replace(day=1)
    while day <= now.date():
        result.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return result


def figures(world, now) -> dict:
    return {
        (sla.pk, str(month)): compliance.compute(sla, month, now=now)
        for sla in world.slas
        for month in months(now)
        if month >= sla.start_date
    }


def rows() -> dict:
    """Every row the compliance engine reads, keyed by the lead's e-mail instead of ids."""
    email = dict(Lead.objects.values_list("pk", "email"))
    return {
        "leads": sorted(
            Lead.objects.values_list(
                "email", "stage", "stage_entered_at", "owner_team", "sla", "maturity_category", "deal_value", "version"
            )
        ),
        "events": sorted(
            (email[e[0]], *e[1:])
            for e in LeadEvent.objects.values_list(
                "lead",
                "kind",
                "occurred_at",
                "recorded_at",
                "is_late_entry",
                "from_stage",
                "to_stage",
                "first_reach",
                "team",
                "sla",
                "deal_value",
                "reason",
            )
        ),
        "handoffs": sorted(
            (email[h[0]], *h[1:])
            for h in Handoff.objects.values_list(
                "lead", "sla", "handed_off_at", "decision_due_at", "status", "decided_at", "maturity_category"
            )
        ),
        "followups": sorted(
            (email[f[0]], *f[1:-1], round(f[-1], 6) if f[-1] is not None else None)
            for f in FollowUp.objects.values_list(
                "lead",
                "kind",
                "sla",
                "starts_at",
                "due_at",
                "status",
                "done_at",
                "done_on_time",
                "cancelled_at",
                "required_attempts",
                "business_hours_taken",
            )
        ),
        "activities": sorted(
            (email[a[0]], *a[1:])
            for a in Activity.objects.values_list("lead", "kind", "outcome", "side", "occurred_at", "is_late_entry")
        ),
    }


def test_the_bench_data_equals_a_replay_through_the_services(db):
    now = timezone.now().replace(microsecond=0)
    world = data.build_world(now)
    scripts = list(data.lead_scripts(150, now=now, seed=3))
    kinds = {step.kind for script in scripts for step in script.steps}
    assert kinds == {"create", "mql", "handoff", "accept", "reject", "activity", "opportunity", "client", "lost"}
    assert any(step.recorded > step.when for script in scripts for step in script.steps)  # late entries too

    totals = data.write(world, scripts)
    assert totals["lead"] == 150 and totals["followup"] > 0
    copied_rows, copied_figures = rows(), figures(world, now)
    assert any(f["funnel"]["handoffs"]["accepted"] for f in copied_figures.values())

    for model in (Activity, FollowUp, LeadEvent, Handoff, Lead):
        model.objects.all().delete()
    data.replay(world, scripts)

    replayed_rows = rows()
    for table in copied_rows:
        assert replayed_rows[table] == copied_rows[table], table
    assert figures(world, now) == copied_figures
    # New rows after the bench's get fresh ids (the sequences were moved past the copied ones).
    assert Lead.objects.create(owner_team=world.marketing[0], email="after@example.com").pk
