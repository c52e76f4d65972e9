"""Preparing a review: when the month's report is stored, once per series and month, on the review
milestone moved to a working day, with both teams' managers invited by an .ics invitation."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from icalendar import Calendar

from reporting.models import Notification
from reporting.services import report_compute
from reviews import services
from reviews.models import Review
from slas.models import Milestone, Profile
from slas.tests.factories import UserFactory
from smarketing.tests.english import english_words, typed_text, visible_text

from .conftest import FEBRUARY, NOW

pytestmark = pytest.mark.django_db


def _ics(message) -> Calendar:
    attachments = [a for a in message.attachments if a[0] == "invitation.ics"]
    assert len(attachments) == 1
    _name, content, mimetype = attachments[0]
    assert mimetype.startswith("text/calendar") and "method=REQUEST" in mimetype
    return Calendar.from_ical(content)


def test_computing_the_months_report_prepares_its_review(roles, report):
    review = Review.objects.get()
    assert (review.series, review.month, review.kind, review.status) == (report.series, FEBRUARY, "monthly", "open")
    assert review.sla == report.sla
    assert set(review.participants.values_list("user__username", flat=True)) == {"mkt_manager", "sales_manager"}


def test_it_meets_on_the_review_milestone_at_ten_local_time(report):
    review = Review.objects.get()
    # The milestone repeats on the 12th: Thursday 12 March 2026, 10:00 in Paris (09:00 UTC).
    assert review.scheduled_at == dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)
    assert review.ends_at - review.scheduled_at == dt.timedelta(hours=1)


def test_a_milestone_on_a_weekend_moves_to_the_next_working_day(sla, now):
    Milestone.objects.filter(sla=sla).update(due_date=dt.date(2026, 1, 14))  # 14 March 2026 is a Saturday
    review = services.review_create_monthly(sla=sla, month=FEBRUARY)
    assert review.scheduled_at == dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)  # Monday 16 March


def test_without_a_review_milestone_it_meets_on_the_third_working_day(sla, now):
    Milestone.objects.filter(sla=sla).update(title="Quarterly webinar")
    review = services.review_create_monthly(sla=sla, month=FEBRUARY)
    assert review.scheduled_at == dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC)  # Mon 2, Tue 3, Wed 4 March


def test_it_is_prepared_once_per_series_and_month(sla, report):
    again = services.review_create_monthly(sla=sla, month=FEBRUARY)
    assert again == Review.objects.get()
    assert Notification.objects.filter(kind=Notification.Kind.REVIEW_INVITATION).count() == 2


def test_only_the_last_closed_months_report_prepares_a_review(sla, february):
    with time_machine.travel(NOW + dt.timedelta(days=40), tick=False):  # April: February is a back-fill
        report_compute(sla=sla, month=FEBRUARY)
    assert not Review.objects.exists()


def test_a_month_that_has_not_ended_has_no_review(sla, now):
    with pytest.raises(ValidationError):
        services.review_create_monthly(sla=sla, month=dt.date(2026, 3, 1))


def test_each_manager_gets_one_invitation_with_an_ics_request(roles, report):
    review = Review.objects.get()
    assert sorted(message.to[0] for message in mail.outbox) == ["mkt_manager@example.com", "sales_manager@example.com"]
    message = mail.outbox[0]
    assert review.display_title in message.subject
    html = message.alternatives[0][0]
    assert review.get_absolute_url() in message.body and review.get_absolute_url() in html
    calendar = _ics(message)
    assert calendar["METHOD"] == "REQUEST"
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["UID"]) == review.ical_uid()
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == review.scheduled_at
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == ["mailto:mkt_manager@example.com", "mailto:sales_manager@example.com"]


def test_a_french_manager_gets_the_invitation_in_french(roles, february, now, django_capture_on_commit_callbacks):
    Profile.objects.update_or_create(user=roles.sales_manager, defaults={"language": "fr"})
    with django_capture_on_commit_callbacks(execute=True):
        report_compute(sla=february.sla, month=FEBRUARY)
    message = next(m for m in mail.outbox if m.to == ["sales_manager@example.com"])
    text = f"{message.subject}\n{message.body}\n{visible_text(message.alternatives[0][0])}"
    assert "Revue" in message.subject and english_words(text, typed_text()) == [], text


def test_rescheduling_bumps_the_sequence_and_updates_every_participant(
    roles, review, now, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.review_reschedule(
            review=review, by=roles.sales_manager, scheduled_at=dt.datetime(2026, 3, 13, 14, 0, tzinfo=dt.UTC)
        )
    assert moved.sequence == 1 and moved.ends_at == dt.datetime(2026, 3, 13, 15, 0, tzinfo=dt.UTC)
    assert len(mail.outbox) == 2
    event = next(iter(_ics(mail.outbox[0]).walk("VEVENT")))
    assert str(event["UID"]) == review.ical_uid()  # the same event, moved
    assert int(event["SEQUENCE"]) == 1
    assert mail.outbox[0].subject.startswith("Updated:")


def test_a_naive_time_from_a_form_is_read_in_the_slas_time_zone(roles, review, now):
    moved = services.review_reschedule(review=review, by=roles.mkt_manager, scheduled_at=dt.datetime(2026, 3, 13, 14))
    assert moved.scheduled_at == dt.datetime(2026, 3, 13, 13, 0, tzinfo=dt.UTC)


def test_a_meeting_cannot_move_into_the_past(roles, review, now):
    with pytest.raises(ValidationError) as error:
        services.review_reschedule(review=review, by=roles.mkt_manager, scheduled_at=NOW - dt.timedelta(days=1))
    assert "scheduled_at" in error.value.message_dict


def test_an_added_participant_is_invited_once(roles, review, now, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
        services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
    assert [message.to for message in mail.outbox] == [["sales_member@example.com"]]
    assert review.participants.filter(user=roles.sales_member).count() == 1


def test_only_managers_prepare_an_extra_meeting(roles, sla, now):
    with pytest.raises(PermissionDenied):
        services.review_create_extra(
            sla=sla, month=FEBRUARY, by=roles.sales_member, scheduled_at=NOW + dt.timedelta(days=2)
        )
    extra = services.review_create_extra(
        sla=sla, month=FEBRUARY, by=roles.mkt_manager, scheduled_at=NOW + dt.timedelta(days=2), title="Follow-up"
    )
    assert extra.kind == Review.Kind.EXTRA and extra.display_title == "Follow-up"
    # An extra meeting may sit beside the monthly review of the same month.
    monthly = services.review_create_monthly(sla=sla, month=FEBRUARY)
    assert Review.objects.filter(month=FEBRUARY).count() == 2 and monthly.kind == Review.Kind.MONTHLY


def test_people_without_an_e_mail_address_are_invited_without_a_message(roles, review, now):
    nomail = UserFactory(username="nomail", email="")
    services.review_add_participant(review=review, user=nomail, by=roles.mkt_manager)
    assert not Notification.objects.filter(recipient=nomail).exists()
