from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import Lead, LeadEvent
from reporting.planner_rates import funnel_step_rates
from slas.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_rates_come_from_first_reach_events():
    team = TeamFactory(name="Marketing", function="marketing")
    now = timezone.now()
    for index in range(4):
        lead = Lead.objects.create(first_name=f"L{index}", owner_team=team)
        stages = ["prospect", "mql"] if index < 2 else ["prospect"]
        if index == 0:
            stages.append("sql")
        for stage in stages:
            LeadEvent.objects.create(
                lead=lead, kind=LeadEvent.Kind.STAGE_CHANGED, occurred_at=now, to_stage=stage, first_reach=True
            )
    rates = funnel_step_rates(now - dt.timedelta(days=365))
    assert rates == {"prospect_to_mql": Decimal("50.00"), "mql_to_sql": Decimal("50.00")}


def test_the_planner_page_is_prefilled_from_the_url(roles, client):
    from reporting.planner_rates import planner_url

    assert planner_url() == "/slas/planner/"
    client.force_login(roles.viewer)
    page = client.get("/slas/planner/?prospect_to_mql=12.5&mql_to_sql=40")
    assert page.context["form"]["prospect_to_mql"].value() == "12.5"


def test_the_prefill_link_opens_the_planner_with_the_measured_rates(client, roles):
    import datetime as dt

    from django.utils import timezone

    from leads.models import Lead, LeadEvent, Stage

    now = timezone.now()
    for index in range(4):
        lead = Lead.objects.create(first_name=f"P{index}", owner_team=roles.marketing)
        LeadEvent.objects.create(
            lead=lead,
            kind="created",
            occurred_at=now - dt.timedelta(days=30),
            to_stage=Stage.PROSPECT,
            first_reach=True,
            team=roles.marketing,
        )
        if index == 0:
            LeadEvent.objects.create(
                lead=lead,
                kind="stage_changed",
                occurred_at=now - dt.timedelta(days=20),
                from_stage=Stage.PROSPECT,
                to_stage=Stage.MQL,
                first_reach=True,
                team=roles.marketing,
            )
    client.force_login(roles.mkt_manager)
    response = client.get("/reports/planner-rates/", follow=True)
    assert response.redirect_chain[-1][0].endswith("?prospect_to_mql=25.00")
    assert response.context["form"].initial["prospect_to_mql"] == "25.00"
    assert "Prefill the step rates" in response.content.decode()
