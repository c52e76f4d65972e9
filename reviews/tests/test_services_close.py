"""Closing a review freezes its minutes, e-mails them once to each participant (their language, HTML +
text + PDF) and emits ``review.closed`` in the same transaction."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from pypdf import PdfReader

from leads import services as lead_services
from reporting.models import Notification
from reporting.notifications.outbox import notification_deliver, notifications_relay
from reviews import services
from reviews.models import Review
from slas.models import Profile
from smarketing import webhooks
from smarketing.models import WebhookDelivery, WebhookSubscription
from smarketing.tests.english import english_words, typed_text, visible_text

from .conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(roles, review, february, now):
    """The meeting: a note, a decision with a proposal, an action item about Sam."""
    services.note_add(review=review, by=roles.sales_manager, item="miss:first_contact", text="Two on leave.")
    decision = services.decision_add(
        review=review,
        by=roles.sales_manager,
        text="Category 1 leads are called within 2 hours",
        proposal="response_time",
        commitment_key="first_contact",
        category=1,
        proposed_value="2",
    )
    services.action_item_add(
        review=review,
        by=roles.mkt_manager,
        title="Call Sam back",
        owner=roles.sales_member,
        due_date=dt.date(2026, 3, 13),
        lead=february.sam,
        decision=decision,
    )
    return review


def _close(roles, review, capture):
    mail.outbox.clear()
    with capture(execute=True):
        return services.review_close(review=review, by=roles.mkt_manager)


def test_closing_freezes_the_minutes(roles, held, django_capture_on_commit_callbacks):
    closed = _close(roles, held, django_capture_on_commit_callbacks)
    assert closed.status == Review.Status.CLOSED and closed.closed_by == roles.mkt_manager
    minutes = closed.minutes
    assert [note["text"] for note in minutes["notes"]] == ["Two on leave."]
    assert minutes["decisions"][0]["proposal"] == "response_time"
    assert minutes["action_items"][0]["title"] == "Call Sam back"
    assert {section["key"] for section in minutes["agenda"]["sections"]} >= {"scorecard", "miss:first_contact"}
    assert json.loads(json.dumps(minutes)) == minutes


def test_the_minutes_never_change_afterwards(roles, held, february, django_capture_on_commit_callbacks):
    closed = _close(roles, held, django_capture_on_commit_callbacks)
    frozen = json.dumps(closed.minutes, sort_keys=True)
    with pytest.raises(services.ReviewConflict):
        services.note_add(review=closed, by=roles.mkt_manager, item="scorecard", text="After the fact")
    with pytest.raises(services.ReviewConflict):
        services.decision_add(review=closed, by=roles.mkt_manager, text="After the fact")
    with pytest.raises(services.ReviewConflict):
        services.review_close(review=closed, by=roles.mkt_manager)
    # New data about February arrives: the agenda would change, the minutes do not.
    with time_machine.travel(NOW + dt.timedelta(hours=2), tick=False):
        lead_services.activity_log(
            lead=february.sue,
            kind="meeting",
            note="Late news",
            by=roles.sales_member,
            occurred_at=dt.datetime(2026, 2, 25, 10, tzinfo=dt.UTC),
        )
    closed.refresh_from_db()
    assert json.dumps(closed.minutes, sort_keys=True) == frozen


def test_each_participant_gets_the_minutes_once_in_their_language(roles, held, django_capture_on_commit_callbacks):
    services.review_add_participant(review=held, user=roles.sales_member, by=roles.sales_manager)
    Profile.objects.update_or_create(user=roles.sales_member, defaults={"language": "fr"})
    _close(roles, held, django_capture_on_commit_callbacks)
    minutes = [m for m in mail.outbox if "inutes" in m.subject or "Compte rendu" in m.subject]
    assert sorted(m.to[0] for m in minutes) == [
        "mkt_manager@example.com",
        "sales_manager@example.com",
        "sales_member@example.com",
    ]
    english = next(m for m in minutes if m.to == ["mkt_manager@example.com"])
    french = next(m for m in minutes if m.to == ["sales_member@example.com"])
    assert english.subject.startswith("Minutes:") and "Call Sam back" in english.body
    html = english.alternatives[0][0]
    assert "Call Sam back" in html and "Category 1 leads are called within 2 hours" in html
    assert "First contact in time: 2 business hours for category 1" in html
    assert french.subject.startswith("Compte rendu")
    assert "Décisions" in french.body
    french_text = f"{french.subject}\n{french.body}\n{visible_text(french.alternatives[0][0])}"
    assert english_words(french_text, typed_text()) == [], french_text
    name, content, mimetype = english.attachments[0]
    assert mimetype == "application/pdf" and name.endswith(".pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Call Sam back" in text and "Two on leave." in text


def test_the_minutes_are_sent_once_even_if_delivery_runs_again(roles, held, django_capture_on_commit_callbacks):
    _close(roles, held, django_capture_on_commit_callbacks)
    rows = Notification.objects.filter(kind=Notification.Kind.REVIEW_MINUTES)
    assert rows.count() == 2 and set(rows.values_list("status", flat=True)) == {"sent"}
    sent = len(mail.outbox)
    for row in rows:
        assert notification_deliver(notification_id=row.pk) is False
    assert notifications_relay() == []
    assert len(mail.outbox) == sent


def test_closing_emits_review_closed_in_the_same_transaction(roles, held, django_capture_on_commit_callbacks):
    WebhookSubscription.objects.create(
        url="https://hooks.example.com/smarketing",
        events=["review.closed"],
        secret="whsec_c2VjcmV0",
        owner=roles.admin,
        created_by=roles.admin,
    )
    with django_capture_on_commit_callbacks(execute=False):
        services.review_close(review=held, by=roles.mkt_manager)
    delivery = WebhookDelivery.objects.get(event_type="review.closed")
    data = delivery.payload["data"]
    assert data["id"] == held.pk and data["month"] == "2026-02" and data["closed_by"] == roles.mkt_manager.pk
    assert data["decisions"][0]["proposal"] == "response_time"
    assert data["action_items"][0]["title"] == "Call Sam back"
    assert sorted(data["participants"]) == sorted([roles.mkt_manager.pk, roles.sales_manager.pk])
    assert "review.closed" in webhooks.EVENT_TYPES


def test_a_refused_close_changes_nothing(roles, held):
    with pytest.raises(PermissionDenied):
        services.review_close(review=held, by=roles.sales_member)
    held.refresh_from_db()
    assert held.is_open and not Notification.objects.filter(kind=Notification.Kind.REVIEW_MINUTES).exists()


def test_an_action_item_is_marked_done_after_the_close(roles, held, django_capture_on_commit_callbacks):
    closed = _close(roles, held, django_capture_on_commit_callbacks)
    item = closed.action_items.get()
    services.action_item_complete(item=item, by=roles.sales_member)
    closed.refresh_from_db()
    assert closed.minutes["action_items"][0]["status"] == "open"  # the minutes: as at closing
    item.followup.refresh_from_db()
    assert item.followup.status == "done"  # the follow-up: live
