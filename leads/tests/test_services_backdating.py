"""Back-dating rules (SPEC §2) and de-duplication on e-mail."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from leads import services
from leads.models import Lead, LeadEvent, Stage

NOW = dt.datetime(2026, 6, 10, 12, 0, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_occurred_at_is_never_in_the_future(roles):
    with pytest.raises(ValidationError) as error:
        services.lead_create(
            data={"email": "f@example.com"},
            team=roles.marketing,
            by=roles.mkt_member,
            occurred_at=NOW + dt.timedelta(minutes=1),
        )
    assert "occurred_at" in error.value.message_dict
    assert not Lead.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_occurred_at_never_before_the_latest_event(roles):
    lead = services.lead_create(
        data={"email": "b@example.com"},
        team=roles.marketing,
        by=roles.mkt_member,
        occurred_at=NOW - dt.timedelta(days=5),
    )
    services.activity_log(lead=lead, kind="note", by=roles.mkt_member, occurred_at=NOW - dt.timedelta(days=2))
    with pytest.raises(ValidationError):
        services.lead_transition(lead=lead, to=Stage.MQL, by=roles.mkt_member, occurred_at=NOW - dt.timedelta(days=3))
    lead = services.lead_transition(
        lead=lead, to=Stage.MQL, by=roles.mkt_member, occurred_at=NOW - dt.timedelta(days=2)
    )
    assert lead.stage_entered_at == NOW - dt.timedelta(days=2)


@time_machine.travel(NOW, tick=False)
def test_late_entry_only_after_24_hours(roles):
    lead = services.lead_create(
        data={"email": "l@example.com"},
        team=roles.marketing,
        by=roles.mkt_member,
        occurred_at=NOW - dt.timedelta(hours=30),
    )
    created = lead.events.get()
    assert created.is_late_entry and created.recorded_at == NOW
    on_time = services.activity_log(
        lead=lead, kind="call", by=roles.mkt_member, occurred_at=NOW - dt.timedelta(hours=23, minutes=59)
    )
    assert not on_time.is_late_entry and not on_time.event.is_late_entry
    lead = services.lead_transition(lead=lead, to=Stage.MQL, by=roles.mkt_member)
    assert not lead.events.get(kind=LeadEvent.Kind.STAGE_CHANGED).is_late_entry


def test_second_capture_updates_and_logs_instead_of_duplicating(roles):
    first = services.lead_create(
        data={"email": "Dup@Example.com", "first_name": "Dee"}, team=roles.marketing, by=None, source="capture_form"
    )
    assert first.email == "dup@example.com" and not first.captured_again
    again = services.lead_create(
        data={"email": "DUP@example.com", "first_name": "", "company": "Big", "consent_to_contact": True},
        team=roles.marketing,
        by=None,
        source="capture_form",
    )
    assert again.pk == first.pk and again.captured_again
    assert again.first_name == "Dee" and again.company == "Big" and again.consent_at is not None
    event = again.events.get(kind=LeadEvent.Kind.CAPTURED_AGAIN)
    assert event.payload["changed"] == {"company": "Big", "consent_to_contact": "True"}
    assert Lead.objects.count() == 1


def test_update_refuses_an_email_of_another_lead_and_a_stale_version(roles):
    services.lead_create(data={"email": "one@example.com"}, team=roles.marketing, by=roles.mkt_member)
    lead = services.lead_create(data={"email": "two@example.com"}, team=roles.marketing, by=roles.mkt_member)
    with pytest.raises(ValidationError):
        services.lead_update(lead=lead, data={"email": "ONE@example.com"}, by=roles.mkt_member)
    with pytest.raises(services.LeadConflict):
        services.lead_update(lead=lead, data={"company": "X"}, by=roles.mkt_member, expected_version=lead.version - 1)
    lead = services.lead_update(lead=lead, data={"budget_voted": True}, by=roles.mkt_member)
    assert lead.maturity_category == 3
    assert lead.events.filter(kind=LeadEvent.Kind.CATEGORY_CHANGED).exists()
