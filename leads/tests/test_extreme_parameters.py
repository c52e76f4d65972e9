"""Issue 11: no lead action raises from the business clock — every action against an SLA signed
with the extreme values its bounds allow, on a calendar with very little working time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from leads import services
from leads.models import FollowUp, Lead, Stage
from reporting.notifications.overdue import followups_alert_overdue, followups_escalate_overdue
from slas import services as sla_services
from slas.models import (
    MAX_ATTEMPTS,
    MAX_BUSINESS_DAYS,
    MAX_BUSINESS_HOURS,
    MAX_CLOSED_DATES,
    MAX_TAKE_DAYS,
    MIN_WEEKLY_WORKING_HOURS,
    SLA,
    Commitment,
)

pytestmark = pytest.mark.django_db


def extreme_sla(roles) -> SLA:
    """Every bounded parameter at its maximum; one working hour a week (Monday 09:00–10:00 in
    Auckland), and the most closed dates allowed, all on Mondays from today on."""
    today = dt.date.today()
    first_monday = today + dt.timedelta(days=(7 - today.weekday()) % 7)
    hours = MAX_BUSINESS_HOURS
    data = {
        "title": "Extreme",
        "marketing_team": roles.marketing,
        "sales_team": roles.sales,
        "start_date": today - dt.timedelta(days=30),
        "end_date": today + dt.timedelta(days=700),
        "escalation_delay_hours": hours,
        "commitments": [
            {"key": "handoff_response", "target": Decimal(100), "hours": hours},
            {
                "key": "first_contact",
                "target": Decimal(100),
                "hours": hours,
                "category_hours": {"1": float(hours), "2": str(hours), "3": int(hours)},
            },
            {"key": "contact_attempts", "target": Decimal(100), "attempts": MAX_ATTEMPTS, "days": MAX_BUSINESS_DAYS},
        ],
        "maturity_rules": [
            {
                "category": category,
                "owner_function": "marketing",
                "response_hours": hours,
                "sales_may_take": True,
                "take_max_days": MAX_TAKE_DAYS,
            }
            for category in (1, 2, 3)
        ],
        "calendar": {
            "time_zone": "Pacific/Auckland",
            "country": "NZ",
            "hours": [{"weekday": 0, "start": dt.time(9), "end": dt.time(9 + MIN_WEEKLY_WORKING_HOURS)}],
            "closed_dates": [{"date": first_monday + dt.timedelta(weeks=n)} for n in range(MAX_CLOSED_DATES)],
        },
    }
    sla = sla_services.sla_create(by=roles.mkt_manager, data=data)
    sla_services.sla_submit(sla=sla, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    return SLA.objects.get(pk=sla.pk)


def qualified(roles, email: str, **answers) -> Lead:
    answers = answers or dict.fromkeys(
        ("budget_voted", "team_formed", "timing_defined", "scope_defined", "pain_identified"), True
    )
    return services.lead_create(data={"email": email, **answers}, team=roles.marketing, by=roles.mkt_manager)


def test_every_lead_action_works_against_the_extreme_allowed_values(roles):
    sla = extreme_sla(roles)
    lead = qualified(roles, "a@example.com")
    lead = services.lead_update(lead=lead, data={"company": "Acme"}, by=roles.mkt_manager)
    lead = services.lead_set_category(lead=lead, category=2, reason="Budget not voted yet", by=roles.mkt_manager)
    lead = services.lead_transition(lead=lead, to=Stage.MQL, by=roles.mkt_manager)
    handoff = services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_manager)
    # 2,000 business hours at one hour a week, 366 closed Mondays and the holidays: decades away, but found.
    assert handoff.sla == sla and handoff.decision_due_at.year > dt.date.today().year + 30
    lead = services.lead_accept(lead=lead, by=roles.sales_manager, owner=roles.sales_member)
    due = dict(FollowUp.objects.filter(lead=lead).values_list("kind", "due_at"))
    assert due[FollowUp.Kind.FIRST_CONTACT] > due[FollowUp.Kind.CONTACT_ATTEMPTS] > handoff.handed_off_at
    for kind in ("call", "email", "meeting", "note"):
        services.activity_log(lead=lead, kind=kind, by=roles.sales_member)
    lead = services.lead_transition(lead=lead, to=Stage.OPPORTUNITY, by=roles.sales_member)
    lead = services.lead_transition(lead=lead, to=Stage.CLIENT, by=roles.sales_member, deal_value=Decimal(1))
    assert FollowUp.objects.filter(lead=lead, status=FollowUp.Status.OPEN).count() == 0

    rejected = services.lead_transition(lead=qualified(roles, "b@example.com"), to=Stage.MQL, by=roles.mkt_manager)
    services.lead_handoff(lead=rejected, team=roles.sales, by=roles.mkt_manager)
    rejected = services.lead_reject(lead=rejected, by=roles.sales_member, reason="Too early")
    lost = services.lead_transition(lead=rejected, to=Stage.LOST, by=roles.mkt_manager, reason="No project")
    services.lead_transition(lead=lost, to=Stage.MQL, by=roles.mkt_manager)

    taken = qualified(roles, "c@example.com", pain_identified=True)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=MAX_TAKE_DAYS - 1)
    taken = services.lead_take(lead=taken, by=roles.sales_member, until=until)
    services.activity_log(lead=taken, kind="meeting", by=roles.sales_member)
    returned = services.lead_return(lead=taken, by=roles.sales_member, feedback="Next year")
    assert returned.owner_team == roles.marketing

    # The overdue scan and its escalation compute their times on the same clock.
    pending = services.lead_transition(lead=qualified(roles, "e@example.com"), to=Stage.MQL, by=roles.mkt_manager)
    pending_due = services.lead_handoff(lead=pending, team=roles.sales, by=roles.mkt_manager).decision_due_at
    later = pending_due + dt.timedelta(hours=1)
    assert followups_alert_overdue(now=later) == 1
    escalation = FollowUp.objects.get(lead=pending).overdue_alert.escalate_at
    assert escalation > later
    assert followups_escalate_overdue(now=escalation) == 1


def test_an_sla_signed_before_the_bounds_answers_400_not_500(roles):
    """Legacy data: parameters written before the bounds existed give a clear refusal."""
    sla = extreme_sla(roles)
    Commitment.objects.filter(sla=sla, key="handoff_response").update(hours=Decimal("99999.99"))
    lead = services.lead_transition(lead=qualified(roles, "d@example.com"), to=Stage.MQL, by=roles.mkt_manager)
    api = APIClient()
    api.force_authenticate(roles.mkt_manager)
    response = api.post(f"/api/v1/leads/{lead.pk}/handoff/", {"team": roles.sales.pk}, format="json")
    assert response.status_code == 400 and "amend the SLA" in response.json()["detail"]
    assert not lead.handoffs.exists()
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL and lead.sla is None
