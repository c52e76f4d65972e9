"""The stage machine end to end: handoff, accept, contact, opportunity, client; follow-up due times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from leads import services
from leads.models import Activity, FollowUp, Handoff, LeadEvent, Stage
from slas.models import SLA
from slas.tests.factories import make_sla

UTC = dt.UTC
# Friday 2026-03-13 17:00 Paris (16:00 UTC).
FRIDAY_5PM = dt.datetime(2026, 3, 13, 16, 0, tzinfo=UTC)


@pytest.fixture
def sla(roles):
    return make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)


def new_mql(roles, email="ada@example.com", **answers):
    data = {"first_name": "Ada", "last_name": "L", "email": email, **answers}
    return services.lead_create(data=data, team=roles.marketing, by=roles.mkt_member, stage=Stage.MQL)


@time_machine.travel(FRIDAY_5PM, tick=False)
def test_handoff_on_friday_5pm_is_due_monday_noon(roles, sla):
    lead = new_mql(roles)
    handoff = services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    assert handoff.sla == sla
    # 1 h on Friday + 3 h on Monday → Monday 12:00 Paris = 11:00 UTC.
    assert handoff.decision_due_at == dt.datetime(2026, 3, 16, 11, 0, tzinfo=UTC)
    followup = FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.HANDOFF_DECISION)
    assert followup.due_at == handoff.decision_due_at
    assert followup.owner_team == roles.sales


def test_full_funnel_records_faithful_rows(roles, sla):
    with time_machine.travel(FRIDAY_5PM, tick=False):
        lead = new_mql(
            roles, budget_voted=True, team_formed=True, timing_defined=True, scope_defined=True, pain_identified=True
        )
        assert lead.maturity_category == 1
        services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    accepted_at = dt.datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris
    with time_machine.travel(accepted_at, tick=False):
        lead = services.lead_accept(lead=lead, by=roles.sales_member)
    assert lead.stage == Stage.SQL and lead.owner_team == roles.sales and lead.owner_user == roles.sales_member
    decision = FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.HANDOFF_DECISION)
    assert decision.status == FollowUp.Status.DONE and decision.done_on_time is True
    assert decision.business_hours_taken == pytest.approx(1.0)
    first = FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.FIRST_CONTACT)
    assert first.due_at == dt.datetime(2026, 3, 16, 12, 0, tzinfo=UTC)  # category 1: 4 h
    window = FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.CONTACT_ATTEMPTS)
    assert window.due_at == dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC) and window.required_attempts == 3

    with time_machine.travel(accepted_at + dt.timedelta(hours=2), tick=False):
        activity = services.activity_log(lead=lead, kind="call", outcome="no_answer", note="", by=roles.sales_member)
    assert activity.side == "sales" and activity.is_contact_attempt
    first.refresh_from_db()
    assert first.status == FollowUp.Status.DONE and first.done_on_time and first.business_hours_taken == 2.0
    with time_machine.travel(accepted_at + dt.timedelta(hours=3), tick=False):
        services.activity_log(lead=lead, kind="email", by=roles.sales_member)
        window.refresh_from_db()
        assert window.status == FollowUp.Status.OPEN
        services.activity_log(lead=lead, kind="meeting", by=roles.sales_member)
    window.refresh_from_db()
    assert window.status == FollowUp.Status.DONE and window.done_on_time
    with time_machine.travel(accepted_at + dt.timedelta(days=1), tick=False):
        services.lead_transition(lead=lead, to=Stage.OPPORTUNITY, by=roles.sales_member)
        lead = services.lead_transition(lead=lead, to=Stage.CLIENT, by=roles.sales_member, deal_value=Decimal(12000))
    won = LeadEvent.objects.get(lead=lead, to_stage=Stage.CLIENT)
    assert won.first_reach and won.deal_value == Decimal(12000)
    assert list(LeadEvent.objects.filter(lead=lead, first_reach=True).values_list("to_stage", flat=True)) == [
        "mql",
        "sql",
        "opportunity",
        "client",
    ]


def test_attempt_window_across_a_holiday(roles, sla):
    # Accepted Thursday 2026-04-30 10:00 Paris; Friday 1 May is a holiday in France.
    with time_machine.travel(dt.datetime(2026, 4, 30, 7, 0, tzinfo=UTC), tick=False):
        lead = new_mql(roles)
        services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    with time_machine.travel(dt.datetime(2026, 4, 30, 8, 0, tzinfo=UTC), tick=False):
        services.lead_accept(lead=lead, by=roles.sales_manager, owner=roles.sales_member)
    window = FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.CONTACT_ATTEMPTS)
    # Working days after Thu 30/4: Mon 4, Tue 5, Wed 6, Thu 7, (Fri 8 May is a holiday) Mon 11 May.
    assert window.due_at == dt.datetime(2026, 5, 11, 8, 0, tzinfo=UTC)
    first = FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.FIRST_CONTACT)
    assert first.owner_user == roles.sales_member
    # No category: the commitment's default H = 8 h from Thu 10:00 → Thu 18:00 Paris.
    assert first.due_at == dt.datetime(2026, 4, 30, 16, 0, tzinfo=UTC)


def test_reject_needs_a_reason_and_keeps_the_lead_with_marketing(roles, sla):
    lead = new_mql(roles)
    services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    with pytest.raises(ValidationError):
        services.lead_reject(lead=lead, by=roles.sales_member, reason=" ")
    lead = services.lead_reject(lead=lead, by=roles.sales_member, reason="No budget")
    assert lead.stage == Stage.MQL and lead.owner_team == roles.marketing
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.REJECTED
    with pytest.raises(services.LeadConflict):
        services.lead_accept(lead=lead, by=roles.sales_member)


def test_take_and_return_with_and_without_feedback(roles, sla):
    lead = new_mql(roles, pain_identified=True)
    assert lead.maturity_category == 3
    until = dt.datetime.now(UTC) + dt.timedelta(days=7)
    lead = services.lead_take(lead=lead, by=roles.sales_member, until=until)
    assert lead.owner_team == roles.sales and lead.temporary_until == until
    assert FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.RETURN_DUE).due_at == until
    with pytest.raises(services.LeadConflict):
        services.lead_transition(lead=lead, to=Stage.PROSPECT, by=roles.admin)
    lead = services.lead_return(lead=lead, by=roles.sales_member, feedback="Met them, come back in Q3")
    event = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.RETURNED)
    assert event.payload == {"has_feedback": True} and event.reason.startswith("Met")
    assert lead.owner_team == roles.marketing and lead.stage == Stage.MQL
    assert FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.RETURN_DUE).done_on_time is True
    lead = services.lead_take(lead=lead, by=roles.sales_member, until=until)
    lead = services.lead_return(lead=lead, by=roles.sales_member)
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.RETURNED).last().payload == {"has_feedback": False}


def test_take_refused_when_the_rule_forbids_it(roles, sla):
    lead = new_mql(
        roles, budget_voted=True, team_formed=True, timing_defined=True, scope_defined=True, pain_identified=True
    )
    with pytest.raises(ValidationError):
        services.lead_take(lead=lead, by=roles.sales_member, until=dt.datetime.now(UTC) + dt.timedelta(days=2))


def test_handoff_without_sla_creates_no_followup(roles):
    lead = new_mql(roles)
    handoff = services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_member)
    assert handoff.decision_due_at is None and not FollowUp.objects.exists()
    lead = services.lead_accept(lead=lead, by=roles.sales_member)
    assert lead.stage == Stage.SQL


def test_activity_side_follows_the_actor(roles):
    lead = new_mql(roles)
    activity = services.activity_log(lead=lead, kind="note", note="hello", by=roles.mkt_member)
    assert activity.side == "marketing" and not activity.is_contact_attempt
    assert Activity.objects.count() == 1


def test_category_override_needs_a_reason(roles):
    lead = new_mql(roles)
    with pytest.raises(ValidationError):
        services.lead_set_category(lead=lead, category=2, by=roles.mkt_member)
    lead = services.lead_set_category(lead=lead, category=2, by=roles.mkt_member, reason="Known account")
    assert lead.maturity_category == 2 and lead.category_overridden
    with pytest.raises(PermissionDenied):
        services.lead_set_category(lead=lead, category=1, by=roles.viewer, reason="x")


def test_handoff_steps_write_webhook_deliveries_in_the_same_transaction(roles, sla):
    from smarketing.models import WebhookDelivery, WebhookSubscription

    WebhookSubscription.objects.create(
        url="https://hooks.example.com/smarketing",
        secret="whsec_c2VjcmV0LWtleS1mb3ItdGVzdHMtMzItYnl0ZXMhIQ==",
        events=["lead.handed_off", "lead.accepted", "lead.rejected"],
        owner=roles.admin,
    )
    with time_machine.travel(FRIDAY_5PM, tick=False):
        first, second = new_mql(roles), new_mql(roles, email="bob@example.com")
        services.lead_handoff(lead=first, team=roles.sales, by=roles.mkt_member)
        services.lead_handoff(lead=second, team=roles.sales, by=roles.mkt_member)
        services.lead_accept(lead=first, by=roles.sales_member)
        services.lead_reject(lead=second, by=roles.sales_member, reason="No budget at all")
    deliveries = list(WebhookDelivery.objects.order_by("pk").values_list("event_type", "payload"))
    assert [event for event, _payload in deliveries] == [
        "lead.handed_off",
        "lead.handed_off",
        "lead.accepted",
        "lead.rejected",
    ]
    accepted = deliveries[2][1]
    assert accepted["type"] == "lead.accepted"
    assert accepted["data"]["lead"] == first.pk and accepted["data"]["status"] == "accepted"
