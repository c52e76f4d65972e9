"""During the meeting: notes per agenda item, decisions, and action items that are follow-ups of their
owner — in My follow-ups, the calendar feed and the overdue alerts — and never SLA obligations."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from icalendar import Calendar

from leads import services as lead_services
from leads.models import FollowUp, Lead, Stage
from reporting import compliance
from reporting.calendar_feed import user_feed
from reporting.models import Notification
from reporting.notifications.overdue import followups_alert_overdue, followups_escalate_overdue
from reviews import services
from slas.models import Profile

from .conftest import FEBRUARY, NOW

pytestmark = pytest.mark.django_db


def _item(roles, review, **kwargs):
    values = {"title": "Call Sam back about the demo", "owner": roles.sales_member, "due_date": dt.date(2026, 3, 13)}
    values.update(kwargs)
    return services.action_item_add(review=review, by=roles.sales_manager, **values)


def test_notes_are_taken_per_agenda_item(roles, review, now):
    note = services.note_add(review=review, by=roles.mkt_manager, item="miss:first_contact", text="Two on leave.")
    assert (note.item, note.author, note.text) == ("miss:first_contact", roles.mkt_manager, "Two on leave.")
    with pytest.raises(ValidationError) as error:
        services.note_add(review=review, by=roles.mkt_manager, item="made-up", text="x")
    assert "item" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.note_add(review=review, by=roles.mkt_manager, item="scorecard", text="   ")


def test_a_decision_may_propose_one_change_of_the_sla(roles, review, now):
    plain = services.decision_add(review=review, by=roles.sales_manager, text="Reasons name what is missing")
    assert plain.proposal == "" and plain.proposal_summary() == ""
    proposal = services.decision_add(
        review=review,
        by=roles.sales_manager,
        text="Category 1 leads are called within 2 hours",
        item="miss:first_contact",
        proposal="response_time",
        commitment_key="first_contact",
        category=1,
        proposed_value="2",
    )
    assert proposal.proposal_summary() == "First contact in time: 2 business hours for category 1"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"proposal": "target", "commitment_key": "first_contact", "proposed_value": "120"}, "proposed_value"),
        ({"proposal": "target", "proposed_value": "50"}, "commitment_key"),
        ({"proposal": "response_time", "commitment_key": "mql_volume", "proposed_value": "4"}, "commitment_key"),
        (
            {"proposal": "response_time", "commitment_key": "handoff_response", "category": 2, "proposed_value": "4"},
            "category",
        ),
        ({"proposal": "category_rule", "proposed_value": "4"}, "category"),
        ({"proposal": "category_rule", "category": 2, "proposed_value": "5000"}, "proposed_value"),
        ({"proposal": "target", "commitment_key": "new_clients", "proposed_value": "-1"}, "proposed_value"),
    ],
)
def test_a_proposal_names_exactly_what_it_changes(roles, review, now, fields, field):
    with pytest.raises(ValidationError) as error:
        services.decision_add(review=review, by=roles.sales_manager, text="Change it", **fields)
    assert field in error.value.message_dict


def test_an_action_item_is_a_follow_up_of_its_owner(roles, review, february, now):
    item = _item(roles, review, lead=february.sam, commitment_key="first_contact")
    followup = item.followup
    assert followup.kind == FollowUp.Kind.ACTION_ITEM and followup.title == item.title
    assert (followup.owner_user, followup.owner_team, followup.lead) == (roles.sales_member, roles.sales, february.sam)
    # Due at the end of the due date's working hours in Paris: 18:00 local, 17:00 UTC.
    assert followup.due_at == dt.datetime(2026, 3, 13, 17, 0, tzinfo=dt.UTC)
    assert followup.get_absolute_url() == item.get_absolute_url()
    assert FollowUp.objects.open().mine(roles.sales_member).filter(pk=followup.pk).exists()


def test_an_action_item_may_be_about_no_lead(roles, review, now, client):
    item = _item(roles, review, title="Rewrite the rejection reasons list")
    assert item.followup.lead is None
    client.force_login(roles.sales_member)
    page = client.get(reverse("leads:followups"))
    assert page.status_code == 200
    assert "Rewrite the rejection reasons list" in page.content.decode()
    assert item.get_absolute_url() in page.content.decode()
    api = client.get("/api/v1/followups/?owner=me")
    row = next(row for row in api.json()["results"] if row["id"] == item.followup_id)
    assert row["lead"] is None and row["kind"] == "action_item" and row["url"] == item.get_absolute_url()
    assert row["title"] == "Rewrite the rejection reasons list"


def test_action_items_are_in_the_owners_calendar_feed(roles, review, now):
    item = _item(roles, review, title="Rewrite the rejection reasons list")
    feed = Calendar.from_ical(user_feed(roles.sales_member))
    events = {str(event["UID"]): event for event in feed.walk("VEVENT")}
    event = events[next(uid for uid in events if uid.startswith(f"followup-{item.followup_id}@"))]
    assert str(event["SUMMARY"]) == "Action item: Rewrite the rejection reasons list"
    assert str(event["URL"]).endswith(item.get_absolute_url())


def test_an_overdue_action_item_alerts_its_owner_then_the_teams_managers(
    roles, review, now, django_capture_on_commit_callbacks
):
    from django.core import mail

    item = _item(roles, review, title="Rewrite the rejection reasons list", due_date=NOW.date())
    mail.outbox.clear()
    evening = dt.datetime(2026, 3, 10, 17, 30, tzinfo=dt.UTC)
    with time_machine.travel(evening, tick=False), django_capture_on_commit_callbacks(execute=True):
        followups_alert_overdue()
    key = f"followup:{item.followup_id}"
    alert = Notification.objects.get(kind=Notification.Kind.OVERDUE, dedupe_key=f"{key}:owner")
    assert alert.recipient == roles.sales_member
    assert alert.subject == "Overdue: Action item for Rewrite the rejection reasons list"
    # Alone or grouped with the owner's other alerts of the scan (reporting.emails.alerts_group).
    message = next(m for m in mail.outbox if item.get_absolute_url() in m.body)
    assert "Open the action item" in message.body and "Rewrite the rejection reasons list" in message.body
    with time_machine.travel(dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC), tick=False):
        followups_escalate_overdue()
    escalation = Notification.objects.get(kind=Notification.Kind.ESCALATION, dedupe_key=f"{key}:manager")
    assert escalation.recipient == roles.sales_manager


def test_action_items_never_count_for_compliance(roles, sla, review, now):
    before = compliance.compute(sla, dt.date(2026, 3, 1), now=dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC))
    item = _item(roles, review, due_date=dt.date(2026, 3, 11))
    assert not FollowUp.objects.obligations().filter(pk=item.followup_id).exists()
    after = compliance.compute(sla, dt.date(2026, 3, 1), now=dt.datetime(2026, 3, 20, 9, tzinfo=dt.UTC))
    assert after["funnel"]["overdue_followups_open"] == before["funnel"]["overdue_followups_open"]
    assert after["commitments"] == before["commitments"]


def test_losing_the_lead_does_not_cancel_an_action_item_about_it(roles, review, february, now):
    item = _item(roles, review, lead=february.wanda)
    lead_services.lead_transition(lead=february.wanda, to=Stage.LOST, by=roles.mkt_manager, reason="No project")
    item.followup.refresh_from_db()
    assert item.followup.status == FollowUp.Status.OPEN


def test_marking_an_action_item_done(roles, review, now):
    item = _item(roles, review)
    with pytest.raises(PermissionDenied):
        services.action_item_complete(item=item, by=roles.mkt_member)
    services.action_item_complete(item=item, by=roles.sales_member)
    item.followup.refresh_from_db()
    assert item.followup.status == FollowUp.Status.DONE and item.followup.done_on_time is True


def test_an_sla_obligation_is_never_marked_done_by_hand(february):
    obligation = FollowUp.objects.filter(kind=FollowUp.Kind.FIRST_CONTACT).first()
    with pytest.raises(lead_services.LeadConflict):
        lead_services.followup_mark_done(followup=obligation)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"due_date": dt.date(2026, 3, 9)}, "due_date"),
        ({"title": "  "}, "title"),
        ({"commitment_key": "nonsense"}, "commitment_key"),
    ],
)
def test_an_action_item_needs_a_title_and_a_due_date_not_in_the_past(roles, review, now, fields, field):
    with pytest.raises(ValidationError) as error:
        _item(roles, review, **fields)
    assert field in error.value.message_dict


def test_a_viewer_owns_no_action_item(roles, review, now):
    with pytest.raises(ValidationError) as error:
        _item(roles, review, owner=roles.viewer)
    assert "owner" in error.value.message_dict


def test_an_owner_outside_the_slas_teams_escalates_to_their_own_team(roles, review, now):
    item = _item(roles, review, owner=roles.other_sales_member)
    assert item.followup.owner_team == roles.other_sales


def test_a_decision_of_another_review_is_refused(roles, sla, review, now):
    other = services.review_create_extra(
        sla=sla, month=FEBRUARY, by=roles.mkt_manager, scheduled_at=NOW + dt.timedelta(days=3)
    )
    decision = services.decision_add(review=other, by=roles.mkt_manager, text="Elsewhere")
    with pytest.raises(ValidationError) as error:
        _item(roles, review, decision=decision)
    assert "decision" in error.value.message_dict


def test_members_and_viewers_do_not_write_participants_and_managers_do(roles, review, now):
    for user in (roles.mkt_member, roles.sales_member, roles.viewer, roles.other_mkt_member):
        with pytest.raises(PermissionDenied):
            services.note_add(review=review, by=user, item="scorecard", text="x")
        with pytest.raises(PermissionDenied):
            services.agenda_point_add(review=review, by=user, text="x")
    services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
    review.refresh_from_db()
    assert services.agenda_point_add(review=review, by=roles.sales_member, text="My point").author == roles.sales_member
    Profile.objects.filter(user=roles.viewer).update(is_viewer=True)
    services.review_add_participant(review=review, user=roles.viewer, by=roles.sales_manager)
    review.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.agenda_point_add(review=review, by=roles.viewer, text="x")
    assert Lead.objects.exists()
