"""The home page dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from leads.models import Lead
from reporting.tests.builders import at, followup, reach
from slas.models import SLA, Milestone
from slas.tests.factories import make_sla

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


def test_the_dashboard_query_count_does_not_grow_with_leads(client, roles, sla, django_assert_max_num_queries):
    client.force_login(roles.viewer)
    for _ in range(30):
        reach(Lead.objects.create(owner_team=roles.marketing), "prospect", at("2026-03-04 10:00"), team=roles.marketing)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(40):
        assert client.get(reverse("home")).status_code == 200


def test_a_monthly_milestone_shows_its_next_occurrence(roles, sla):
    from reporting.views import next_milestones

    Milestone.objects.create(
        sla=sla, title="Pipeline review", owner_team=roles.sales, due_date=dt.date(2026, 1, 31), repeats_monthly=True
    )
    Milestone.objects.create(sla=sla, title="Kick-off", owner_team=roles.sales, due_date=dt.date(2026, 1, 5))
    upcoming = next_milestones([sla], dt.date(2026, 4, 10))
    assert [(m["title"], m["due_date"]) for m in upcoming] == [("Pipeline review", dt.date(2026, 4, 30))]
