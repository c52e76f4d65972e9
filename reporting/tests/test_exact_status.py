"""Issue 11: statuses are decided on the exact figures; rounding is for display (2 decimals in the API)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from leads.models import Handoff, Lead
from reporting import compliance
from reporting.tests.builders import at
from slas.models import SLA
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def sla(roles):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    sla.commitments.filter(key="handoff_response").update(target=Decimal(75))
    return SLA.objects.get(pk=sla.pk)


def handoffs(sla, team, *, in_time: int, late: int) -> None:
    """Handoffs due on 10 March: ``in_time`` decided before their due time, ``late`` after it."""
    due = at("2026-03-10 10:00")
    leads = Lead.objects.bulk_create(Lead(first_name=f"L{i}", owner_team=team) for i in range(in_time + late))
    Handoff.objects.bulk_create(
        Handoff(
            lead=lead,
            from_team=team,
            to_team=sla.sales_team,
            sla=sla,
            handed_off_at=due - dt.timedelta(hours=4),
            decision_due_at=due,
            decided_at=due + dt.timedelta(hours=-1 if index < in_time else 1),
            status=Handoff.Status.ACCEPTED,
        )
        for index, lead in enumerate(leads)
    )


def handoff_response(status: dict) -> dict:
    return next(c for c in status["commitments"] if c["key"] == "handoff_response")


def test_a_true_74_96_percent_misses_a_75_percent_target(roles, sla):
    handoffs(sla, roles.marketing, in_time=1874, late=626)  # 1874 / 2500 = 74.96 %
    row = handoff_response(compliance.compute(sla, MARCH, now=at("2026-04-02 10:00")))
    assert (row["actual"], row["target"], row["basis"], row["status"]) == (74.96, 75, 2500, "missed")

    api = APIClient()
    api.force_authenticate(roles.viewer)
    with time_machine.travel(at("2026-04-02 10:00"), tick=False):
        body = api.get(f"/api/v1/slas/{sla.pk}/status/", {"month": "2026-03"}).json()
    assert handoff_response(body)["actual"] == 74.96 and handoff_response(body)["status"] == "missed"


def test_exactly_the_target_is_met_and_an_unrounded_figure_keeps_two_decimals(roles, sla):
    handoffs(sla, roles.marketing, in_time=3, late=1)  # 75 %
    row = handoff_response(compliance.compute(sla, MARCH, now=at("2026-04-02 10:00")))
    assert (row["actual"], row["status"]) == (75.0, "met")
    handoffs(sla, roles.marketing, in_time=0, late=2)  # 3 / 6 → 50 %; 2/3 would be 66.67
    row = handoff_response(compliance.compute(sla, MARCH, now=at("2026-04-02 10:00")))
    assert row["actual"] == 50.0


def test_the_current_month_projection_is_judged_unrounded(roles, sla):
    # New clients: 2 so far on business day 11 of 22 → projected 4.0; a target of 4.01 is at risk
    # although 4.0 would display as "4".
    from reporting.tests.builders import reach

    sla.commitments.filter(key="new_clients").update(target=Decimal("4.01"))
    for name in "AB":
        reach(
            Lead.objects.create(first_name=name, owner_team=roles.marketing), "client", at("2026-03-05 10:00"), sla=sla
        )
    with time_machine.travel(at("2026-03-16 12:00"), tick=False):
        status = compliance.compute(SLA.objects.get(pk=sla.pk), MARCH)
    row = next(c for c in status["commitments"] if c["key"] == "new_clients")
    assert (row["actual"], row["projected"], row["target"], row["status"]) == (2, 4.0, 4.01, "at_risk")
