"""Issue 11: the agreement is the series — an amendment signed mid-month loses and rewrites nothing.

A realistic October and first half of November are played through the lead services (back-dated),
then the SLA is amended on Monday 16 November (two targets changed) and signed by both managers.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from leads import services as lead_services
from leads.models import FollowUp, Stage
from reporting import compliance
from reporting.models import MonthlyReport
from reporting.services import report_compute
from reporting.tests.builders import at
from slas import services as sla_services
from slas.models import SLA
from slas.tests.factories import make_sla

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
AMENDED_AT = at("2026-11-16 10:00")  # Monday 11:00 in Paris

pytestmark = pytest.mark.django_db


def signed_sla(roles) -> SLA:
    sla = make_sla(roles.marketing, roles.sales)
    sla.created_by = roles.mkt_manager
    sla.save()
    sla_services.sla_submit(sla=sla, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=sla.pk)


def play(roles, number: int, start: dt.datetime, *, accept=True, contact=True, won: int | None = None):
    """One lead through the funnel from ``start``, every step back-dated through the services."""
    lead = lead_services.lead_create(
        data={
            "email": f"lead{number}@example.com",
            "first_name": f"Lead {number}",
            **dict.fromkeys(
                ("budget_voted", "team_formed", "timing_defined", "scope_defined", "pain_identified"), True
            ),
        },
        team=roles.marketing,
        by=roles.mkt_manager,
        occurred_at=start,
    )
    lead_services.lead_transition(
        lead=lead, to=Stage.MQL, by=roles.mkt_manager, occurred_at=start + dt.timedelta(hours=1)
    )
    lead_services.lead_handoff(
        lead=lead, team=roles.sales, by=roles.mkt_manager, occurred_at=start + dt.timedelta(hours=2)
    )
    if not accept:
        return lead
    lead_services.lead_accept(
        lead=lead, by=roles.sales_manager, owner=roles.sales_member, occurred_at=start + dt.timedelta(hours=3)
    )
    if contact:
        for hours, kind in ((4, "call"), (5, "email"), (6, "meeting")):
            lead_services.activity_log(
                lead=lead, kind=kind, by=roles.sales_member, occurred_at=start + dt.timedelta(hours=hours)
            )
    if won is not None:
        lead_services.lead_transition(
            lead=lead, to=Stage.OPPORTUNITY, by=roles.sales_member, occurred_at=start + dt.timedelta(days=1)
        )
        lead_services.lead_transition(
            lead=lead,
            to=Stage.CLIENT,
            by=roles.sales_member,
            deal_value=Decimal(won),
            occurred_at=start + dt.timedelta(days=2),
        )
    return lead


def history(roles) -> None:
    """October and 1–13 November: clients won, leads never contacted, a pending handoff."""
    play(roles, 1, at("2026-10-05 08:00"), won=30000)
    play(roles, 2, at("2026-10-12 08:00"), contact=False)
    play(roles, 3, at("2026-10-20 08:00"))
    play(roles, 4, at("2026-10-29 08:00"), accept=False)  # due in October, never decided
    play(roles, 5, at("2026-11-02 08:00"), won=22500)
    play(roles, 6, at("2026-11-04 08:00"), won=15000)
    play(roles, 7, at("2026-11-05 08:00"), contact=False)  # overdue first contact
    play(roles, 8, at("2026-11-10 08:00"), accept=False)  # overdue decision


def amend(roles, sla: SLA) -> SLA:
    """Amend, change two targets, submit, sign as both managers (through the services)."""
    draft = sla_services.sla_amend(sla=sla, by=roles.mkt_manager)
    commitments = [
        {
            "key": c.key,
            "target": c.target,
            "hours": c.hours,
            "attempts": c.attempts,
            "days": c.days,
            "category_hours": c.category_hours,
        }
        for c in draft.commitments.all()
    ]
    for row in commitments:
        if row["key"] == "mql_volume":
            row["target"] = Decimal(40)
        if row["key"] == "won_revenue":
            row["target"] = Decimal(60000)
    draft = sla_services.sla_update(
        sla=draft, by=roles.mkt_manager, revision=draft.revision, data={"commitments": commitments}
    )
    sla_services.sla_submit(sla=draft, by=roles.mkt_manager)
    sla_services.sla_sign(sla=draft, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=draft, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=draft.pk)


def dumped(status: dict) -> str:
    return json.dumps(status, sort_keys=True)


def actuals(status: dict) -> dict:
    return {c["key"]: (c["actual"], c["basis"]) for c in status["commitments"]}


def api_status(user, sla_id: int, month: str | None = None) -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/slas/{sla_id}/status/", {"month": month} if month else {})
    assert response.status_code == 200, response.content
    return response.json()


def test_an_amendment_signed_mid_month_keeps_the_closed_month_and_the_current_actuals(roles, client):
    with time_machine.travel(AMENDED_AT, tick=False):
        v1 = signed_sla(roles)
        history(roles)
        october_before = compliance.compute(v1, OCTOBER)
        november_before = compliance.compute(v1, NOVEMBER)
        october_api_before = api_status(roles.viewer, v1.pk, "2026-10")
        november_api_before = api_status(roles.viewer, v1.pk)
        report = report_compute(sla=v1, month=OCTOBER)

        v2 = amend(roles, v1)

        v1.refresh_from_db()
        assert (v1.status, v1.superseded_on) == (SLA.Status.SUPERSEDED, dt.date(2026, 11, 16))
        assert (v2.status, v2.in_force_from, v2.series) == (SLA.Status.ACTIVE, dt.date(2026, 11, 16), v1.series)
        # The closed month, byte for byte — whichever version is asked, engine or API.
        for version in (v1, v2):
            assert dumped(compliance.compute(version, OCTOBER)) == dumped(october_before)
            assert api_status(roles.viewer, version.pk, "2026-10") == october_api_before
        # One report per (series, month): the stored October report is the series'.
        assert report_compute(sla=v2, month=OCTOBER).pk == report.pk
        assert MonthlyReport.objects.filter(series=v1.series).count() == 1

        # The current month: every actual and funnel figure unchanged, the new targets applied.
        november_after = compliance.compute(v2, NOVEMBER)
        assert dumped(compliance.compute(v1, NOVEMBER)) == dumped(november_after)
        assert actuals(november_after) == actuals(november_before)
        assert november_after["funnel"] == november_before["funnel"]
        targets = {c["key"]: c["target"] for c in november_after["commitments"]}
        assert (targets["mql_volume"], targets["won_revenue"]) == (40, 60000)
        assert (november_after["sla"], november_after["version"]) == (v2.pk, 2)
        assert api_status(roles.viewer, v1.pk) == api_status(roles.viewer, v2.pk)
        assert actuals(api_status(roles.viewer, v2.pk)) == actuals(november_api_before)

        # What the issue saw vanish: won revenue, sales commitments, funnel bars, overdue follow-ups.
        figures = {c["key"]: c for c in november_after["commitments"]}
        assert figures["won_revenue"]["actual"] == 37500
        assert figures["handoff_response"]["status"] != "no_data"
        assert figures["first_contact"]["status"] != "no_data"
        assert november_after["funnel"]["entries"]["client"] == 2
        assert november_after["funnel"]["overdue_followups_open"] == november_before["funnel"]["overdue_followups_open"]
        assert november_after["funnel"]["overdue_followups_open"] >= 2

        # The dashboard shows the series once, through its current version, with every figure.
        client.force_login(roles.sales_member)
        html = client.get(reverse("home")).content.decode()
        assert html.count('class="mb-5" aria-labelledby="sla-') == 1
        assert f'aria-labelledby="sla-{v2.pk}"' in html
        assert "37,500\u00a0€" in html  # reporting.display.format_value, as in every output
        assert "Lead 7" in html  # my overdue first contact (assigned to me under v1) is still listed

    # New work under the amendment counts in the same month, for the same series.
    with time_machine.travel(at("2026-11-20 10:00"), tick=False):
        lead = play(roles, 9, at("2026-11-17 07:00"), won=10000)
        assert lead.handoffs.get().sla == v2
        assert compliance.compute(v1, NOVEMBER)["funnel"]["entries"]["client"] == 3

    # When November closes, its report belongs to the series, names the version in force at its end,
    # and covers the rows of both versions; October is still the same.
    with time_machine.travel(at("2026-12-02 10:00"), tick=False):
        november_report = report_compute(sla=v1, month=NOVEMBER)
        assert november_report.sla == v2 and november_report.series == v1.series
        won = {c["key"]: c for c in november_report.data["commitments"]}["won_revenue"]
        assert (won["actual"], won["target"]) == (47500, 60000)
        assert dumped(compliance.compute(v2, OCTOBER)) == dumped(october_before)
        assert MonthlyReport.objects.filter(series=v1.series).count() == 2


def test_obligations_keep_the_due_time_computed_when_they_were_created(roles):
    with time_machine.travel(AMENDED_AT, tick=False):
        v1 = signed_sla(roles)
        lead = play(roles, 1, at("2026-11-13 15:00"), contact=False)  # Friday 16:00 Paris
        due_before = sorted(FollowUp.objects.filter(lead=lead).values_list("kind", "due_at"))
        draft = sla_services.sla_amend(sla=v1, by=roles.mkt_manager)
        draft.commitments.filter(key="first_contact").update(hours=Decimal(1), category_hours={})
        amend_signed = sla_services.sla_submit(sla=draft, by=roles.mkt_manager)
        sla_services.sla_sign(sla=amend_signed, team=roles.marketing, by=roles.mkt_manager)
        sla_services.sla_sign(sla=amend_signed, team=roles.sales, by=roles.sales_manager)
        assert sorted(FollowUp.objects.filter(lead=lead).values_list("kind", "due_at")) == due_before
        assert set(FollowUp.objects.filter(lead=lead).values_list("sla", flat=True)) == {v1.pk}
