"""The agenda is built from the data: each section from its query, only when it has content."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.models import FollowUp, Lead
from reporting.models import MonthlyReport
from reviews import agenda, services
from reviews.models import Review

from .conftest import FEBRUARY

pytestmark = pytest.mark.django_db


def _sections(review) -> dict:
    return {section["key"]: section for section in agenda.build(review)["sections"]}


def test_the_scorecard_is_the_months_report_with_the_change_from_the_month_before(roles, review, report):
    january = report.data.copy()
    january["commitments"] = [{**row, "actual": 40.0, "status": "missed"} for row in report.data["commitments"]]
    MonthlyReport.objects.create(
        sla=report.sla, series=report.series, month=dt.date(2026, 1, 1), data=january, engine_version="test"
    )
    scorecard = _sections(review)["scorecard"]
    rows = {row["key"]: row for row in scorecard["rows"]}
    assert rows["handoff_response"]["actual"] == 75.0 and rows["handoff_response"]["status"] == "missed"
    assert rows["handoff_response"]["previous_actual"] == 40.0 and rows["handoff_response"]["change"] == 35.0
    assert scorecard["overall"] == report.data["overall"]


def test_each_miss_lists_its_owner_side_and_the_leads_behind_it(roles, review, february):
    sections = _sections(review)
    late_decision = sections["miss:handoff_response"]
    assert late_decision["side"] == "sales" and late_decision["total"] == 1
    assert late_decision["items"][0]["lead"]["id"] == february.sue.pk
    assert late_decision["items"][0]["owner"]["name"]  # who decided late

    first_contact = sections["miss:first_contact"]
    assert [item["lead"]["name"] for item in first_contact["items"]] == ["Sam Seo"]
    assert first_contact["items"][0]["owner"]["id"] == roles.sales_member.pk
    assert first_contact["items"][0]["done_at"].startswith("2026-02-05")

    windows = sections["miss:contact_attempts"]
    assert {item["lead"]["id"] for item in windows["items"]} == {february.sam.pk, february.sue.pk}

    returns = sections["miss:return_feedback"]
    assert [item["lead"]["id"] for item in returns["items"]] == [february.sam.pk]

    rejections = sections["miss:mql_acceptance_rate"]
    assert rejections["side"] == "marketing"
    assert {item["reason"] for item in rejections["items"]} == {"No budget", "no budget"}


def test_mql_quality_groups_rejections_by_reason_and_channel(review):
    quality = _sections(review)["mql_quality"]
    # "No budget" and "no budget" are one reason (case ignored).
    assert quality["reasons"] == [{"reason": "No budget", "count": 2}]
    channels = {row["channel"]: row for row in quality["channels"]}
    assert channels["webinar"] == {"channel": "webinar", "source": "manual", "accepted": 0, "rejected": 2, "rate": 0.0}
    assert channels["seo"]["accepted"] == 2 and channels["seo"]["rate"] == 100.0
    assert (quality["accepted"], quality["rejected"], quality["rate"]) == (2, 2, 50.0)


def test_sales_feedback_is_the_notes_sales_logged_and_the_returns(review):
    feedback = _sections(review)["sales_feedback"]
    notes = {activity["note"] for activity in feedback["activities"]}
    assert notes == {"Wants a demo for the finance team", "Budget voted, timing Q2"}
    # Sam came back without feedback: he is under the return_feedback miss, not here.
    assert feedback["returns_total"] == 0


def test_late_entries_are_listed(review, february):
    late = _sections(review)["late_entries"]
    assert late["total"] == 1 and late["items"][0]["lead"]["id"] == february.sue.pk
    assert late["items"][0]["kind"] == "activity"


def test_empty_sections_are_left_out(sla, now):
    """A month with no activity: the scorecard (all misses of volume) and nothing else."""
    review = services.review_create_monthly(sla=sla, month=dt.date(2026, 1, 1))
    keys = set(_sections(review))
    assert "mql_quality" not in keys and "sales_feedback" not in keys and "late_entries" not in keys
    assert "points" not in keys and "action_items" not in keys


def test_participants_points_and_open_action_items_of_earlier_reviews(roles, sla, review, now):
    services.agenda_point_add(review=review, by=roles.sales_manager, text="Friday handoffs")
    item = services.action_item_add(
        review=review, by=roles.mkt_manager, title="Call Sam back", owner=roles.sales_member, due_date=now.date()
    )
    services.review_close(review=review, by=roles.mkt_manager)
    march = Review.objects.create(
        series=sla.series,
        sla=sla,
        month=dt.date(2026, 3, 1),
        scheduled_at=review.scheduled_at + dt.timedelta(days=30),
        ends_at=review.scheduled_at + dt.timedelta(days=30, hours=1),
    )
    sections = _sections(march)
    assert [row["id"] for row in sections["action_items"]["items"]] == [item.pk]
    assert sections["action_items"]["items"][0]["status"] == "open"
    assert "points" not in sections  # February's points stay in February's minutes
    services.agenda_point_add(review=march, by=roles.sales_manager, text="Rejections of webinar leads")
    assert [point["text"] for point in _sections(march)["points"]["items"]] == ["Rejections of webinar leads"]
    # Done since February's review closed: listed as done in March, then no more.
    services.action_item_complete(item=item, by=roles.sales_member)
    assert _sections(march)["action_items"]["items"][0]["status"] == "done"


def test_the_agenda_takes_a_bounded_number_of_queries(roles, review, february):
    agenda.build(review)  # the review's SLA and calendar are loaded once, then cached on it
    with CaptureQueriesContext(connection) as first:
        agenda.build(review)
    # Ten more leads behind the first-contact miss: the same number of queries (no query per row).
    for number in range(10):
        lead = Lead.objects.create(first_name=f"Late {number}", owner_team=roles.sales, owner_user=roles.sales_member)
        FollowUp.objects.create(
            lead=lead,
            sla=february.sla,
            kind=FollowUp.Kind.FIRST_CONTACT,
            starts_at=dt.datetime(2026, 2, 10, 8, tzinfo=dt.UTC),
            due_at=dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC),
            owner_team=roles.sales,
            owner_user=roles.sales_member,
        )
    with CaptureQueriesContext(connection) as second:
        built = agenda.build(review)
    sections = {section["key"]: section for section in built["sections"]}
    assert sections["miss:first_contact"]["total"] == 11
    assert len(second.captured_queries) == len(first.captured_queries) <= 40


def test_it_is_plain_json(review):
    import json

    assert json.loads(json.dumps(agenda.build(review)))["month"] == f"{FEBRUARY:%Y-%m}"
