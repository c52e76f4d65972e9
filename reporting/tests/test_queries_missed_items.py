"""The items behind a month's misses (``reporting.queries``): scoped to the SLA's series, with the month's
bounds in the WHERE clause, limited, with the total, and without a query per row."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import Activity, FollowUp, Handoff, LeadEvent
from reporting import queries
from reporting.tests.builders import at, event, followup, handoff, lead
from slas.models import SLA
from slas.services import sla_amend
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _april():
    with time_machine.travel(dt.datetime(2026, 4, 8, 10, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def sla(roles) -> SLA:
    return make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)


@pytest.fixture
def other(roles) -> SLA:
    """Another agreement (other teams): never in ``sla``'s items."""
    return make_sla(roles.other_marketing, roles.other_sales, status=SLA.Status.ACTIVE)


def _followup(sla, kind, due, *, done=None, owner=None):
    return followup(lead(sla.sales_team, "Late"), sla, kind, due=due, done=done, owner_user=owner)


def test_first_contacts_late_are_the_months_missed_obligations_of_the_series(roles, sla, other):
    late = _followup(sla, FollowUp.Kind.FIRST_CONTACT, at("2026-03-10 12:00"), done=at("2026-03-11 09:00"))
    never = _followup(sla, FollowUp.Kind.FIRST_CONTACT, at("2026-03-20 12:00"), owner=roles.sales_member)
    _followup(sla, FollowUp.Kind.FIRST_CONTACT, at("2026-03-12 12:00"), done=at("2026-03-12 10:00"))  # in time
    _followup(sla, FollowUp.Kind.FIRST_CONTACT, at("2026-04-01 12:00"))  # April
    _followup(sla, FollowUp.Kind.FIRST_CONTACT, at("2026-02-27 12:00"))  # February
    _followup(other, FollowUp.Kind.FIRST_CONTACT, at("2026-03-10 12:00"))  # another agreement
    _followup(sla, FollowUp.Kind.CONTACT_ATTEMPTS, at("2026-03-10 12:00"))  # another commitment
    rows, total = queries.first_contacts_late(sla, MARCH)
    assert [row.pk for row in rows] == [late.pk, never.pk] and total == 2


def test_an_amendment_keeps_the_items_of_every_version(roles, sla):
    """The series: items recorded under v1 and under the amendment v2 are one month's items."""
    first = _followup(sla, FollowUp.Kind.CONTACT_ATTEMPTS, at("2026-03-05 12:00"))
    v2 = sla_amend(sla=sla, by=roles.admin)
    second = _followup(v2, FollowUp.Kind.CONTACT_ATTEMPTS, at("2026-03-25 12:00"))
    rows, total = queries.contact_windows_missed(v2, MARCH)
    assert [row.pk for row in rows] == [first.pk, second.pk] and total == 2


def test_handoffs_decided_late_or_not_at_all(roles, sla, other):
    subject = lead(roles.marketing)
    late = handoff(
        subject,
        sla,
        handed=at("2026-03-02 08:00"),
        due=at("2026-03-02 12:00"),
        decided=at("2026-03-02 15:00"),
        status=Handoff.Status.ACCEPTED,
    )
    waiting = handoff(lead(roles.marketing), sla, handed=at("2026-03-30 08:00"), due=at("2026-03-30 12:00"))
    handoff(
        lead(roles.marketing),
        sla,
        handed=at("2026-03-03 08:00"),
        due=at("2026-03-03 12:00"),
        decided=at("2026-03-03 09:00"),
        status=Handoff.Status.REJECTED,
    )
    handoff(lead(roles.other_marketing), other, handed=at("2026-03-02 08:00"), due=at("2026-03-02 12:00"))
    rows, total = queries.handoffs_decided_late(sla, MARCH)
    assert [row.pk for row in rows] == [late.pk, waiting.pk] and total == 2


def test_rows_are_limited_and_the_total_is_still_given(sla):
    for day in range(1, 26):
        _followup(sla, FollowUp.Kind.FIRST_CONTACT, at(f"2026-03-{day:02d} 12:00"))
    rows, total = queries.first_contacts_late(sla, MARCH, limit=5)
    assert len(rows) == 5 and total == 25


def test_no_query_per_row(sla):
    for day in range(1, 11):
        _followup(sla, FollowUp.Kind.FIRST_CONTACT, at(f"2026-03-{day:02d} 12:00"))
    with CaptureQueriesContext(connection) as captured:
        rows, _total = queries.first_contacts_late(sla, MARCH)
        names = [(row.lead.display_name, row.owner_team.name, row.owner_user) for row in rows]
    assert len(names) == 10
    assert len(captured.captured_queries) <= 2  # the versions of the series, then the rows


def test_rejection_reasons_and_acceptance_by_channel(roles, sla, other):
    for number, (channel, status, reason) in enumerate(
        [
            ("webinar", Handoff.Status.REJECTED, "No budget"),
            ("webinar", Handoff.Status.REJECTED, "no budget "),
            ("webinar", Handoff.Status.ACCEPTED, ""),
            ("seo", Handoff.Status.REJECTED, "Wrong person"),
            ("seo", Handoff.Status.ACCEPTED, ""),
            ("seo", Handoff.Status.ACCEPTED, ""),
        ]
    ):
        subject = lead(roles.marketing, f"Lead {number}")
        subject.channel = channel
        subject.save()
        row = handoff(
            subject,
            sla,
            handed=at("2026-03-02 08:00"),
            due=at("2026-03-02 12:00"),
            decided=at(f"2026-03-{number + 2:02d} 09:00"),
            status=status,
        )
        row.reason = reason
        row.save()
    handoff(
        lead(roles.other_marketing),
        other,
        handed=at("2026-03-02 08:00"),
        due=at("2026-03-02 12:00"),
        decided=at("2026-03-02 09:00"),
        status=Handoff.Status.REJECTED,
    )
    assert queries.rejection_reasons(sla, MARCH) == [
        {"reason": "No budget", "count": 2},
        {"reason": "Wrong person", "count": 1},
    ]
    by_channel = {row["channel"]: row for row in queries.acceptance_by_channel(sla, MARCH)}
    assert by_channel["webinar"]["accepted"] == 1 and by_channel["webinar"]["rejected"] == 2
    assert by_channel["webinar"]["rate"] == 33.33
    assert by_channel["seo"]["rate"] == 66.67


def test_sales_feedback_notes_are_on_the_leads_of_the_series(roles, sla, other):
    ours = lead(roles.sales, "Ours")
    handoff(ours, sla, handed=at("2026-02-20 08:00"), due=at("2026-02-20 12:00"))
    theirs = lead(roles.other_sales, "Theirs")
    handoff(theirs, other, handed=at("2026-02-20 08:00"), due=at("2026-02-20 12:00"))
    for subject in (ours, theirs):
        for kind, note in [("meeting", "Wants a demo"), ("call", ""), ("note", "Internal note")]:
            activity_event = event(subject, LeadEvent.Kind.ACTIVITY, at("2026-03-05 10:00"))
            Activity.objects.create(
                lead=subject,
                event=activity_event,
                kind=kind,
                note=note,
                side="sales",
                occurred_at=at("2026-03-05 10:00"),
            )
    rows, total = queries.sales_feedback_notes(sla, MARCH)
    assert [(row.lead_id, row.note) for row in rows] == [(ours.pk, "Wants a demo")] and total == 1
