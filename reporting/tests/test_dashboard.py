"""The home page dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.models import Lead
from reporting.tests.builders import at, followup, reach
from slas.models import SLA, Milestone
from slas.tests.factories import make_sla
from smarketing.keyset import extra_branch_queries

NOW = at("2026-03-16 12:00")


def test_without_an_sla_the_first_run_guidance_shows(client, roles):
    client.force_login(roles.admin)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Getting started" in response.content.decode()


@pytest.fixture
def sla(roles):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    lead = Lead.objects.create(first_name="Anne", owner_team=roles.marketing)
    reach(lead, "prospect", at("2026-03-03 10:00"), team=roles.marketing)
    followup(lead, sla, "first_contact", due=at("2026-03-10 10:00"), owner_user=roles.sales_member)
    Milestone.objects.create(
        sla=sla, title="Monthly review", owner_team=roles.marketing, due_date=NOW.date().replace(day=30)
    )
    return sla


def test_the_dashboard_shows_the_current_month_at_risk_first(client, roles, sla):
    client.force_login(roles.sales_member)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert sla.title in html
    assert "At risk this month" in html
    assert html.index("At risk this month") < html.index("New prospects</span>")
    assert "2026-03" in html and "business day 11 of 22" in html
    assert 'role="progressbar"' in html
    assert "Anne" in html  # my overdue first-contact follow-up
    assert "Monthly review" in html
    assert "chart.umd.min.js" in html and f'id="charts-{sla.pk}"' in html
    assert 'name="viewport"' in html


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_the_dashboard_query_count_does_not_grow_with_leads_or_slas(client, roles, sla):
    """Statuses cached (``reporting.live``): a fixed number of queries whatever the SLAs and rows —
    the request (3), the SLAs in force (3), every trend's stored months (1), the user's teams (1),
    the viewer flag (1) and one per widget (my overdue, milestones, reviews, action items,
    notifications). It was 18 before the widgets were folded, and 40 with the statuses computed."""
    client.force_login(roles.sales_member)
    with time_machine.travel(NOW, tick=False):
        _home_queries(client)  # computes and caches the status
        one_sla = _home_queries(client)
        make_sla(roles.other_marketing, roles.other_sales, status=SLA.Status.ACTIVE)
        for _ in range(30):
            lead = Lead.objects.create(owner_team=roles.marketing)
            reach(lead, "prospect", at("2026-03-04 10:00"), team=roles.marketing)
            followup(lead, sla, "first_contact", due=at("2026-03-10 10:00"), owner_user=roles.sales_member)
            followup(lead, sla, "first_contact", due=at("2026-03-11 10:00"))  # the team's, unassigned
        cold = _home_queries(client)  # every status computed again (new rows, a new SLA)
        two_slas = _home_queries(client)
    # SQLite (make run) cannot LIMIT inside a UNION: "my overdue" is one query per branch there.
    assert one_sla == two_slas <= 14 + extra_branch_queries(2)  # the user's and the team's
    # Per SLA only when not cached: the version (1), its calendar's hours and closed days (2),
    # the series' versions (1, once), the engine's five aggregates and the next deadlines (2).
    assert cold <= two_slas + 2 * 11


def test_a_monthly_milestone_shows_its_next_occurrence(roles, sla):
    from reporting.views import next_milestones

    Milestone.objects.create(
        sla=sla, title="Pipeline review", owner_team=roles.sales, due_date=dt.date(2026, 1, 31), repeats_monthly=True
    )
    Milestone.objects.create(sla=sla, title="Kick-off", owner_team=roles.sales, due_date=dt.date(2026, 1, 5))
    upcoming = next_milestones([sla], dt.date(2026, 4, 10))
    assert [(m["title"], m["due_date"]) for m in upcoming] == [("Pipeline review", dt.date(2026, 4, 30))]
