"""The review pages: agenda, meeting, minutes, the forms that post to them, and what a refusal looks like."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from pypdf import PdfReader

from leads.models import FollowUp
from reviews import services
from reviews.models import Decision, Review
from slas.models import SLA

pytestmark = pytest.mark.django_db


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_everyone_reads_the_agenda(roles, review, client):
    for user in roles.all().values():
        html = _page(client, user, review.get_absolute_url())
        assert "Missed: First contact in time" in html and "Sam Seo" in html


def test_the_agenda_shows_the_misses_rejection_reasons_and_links_to_the_leads(roles, review, february, client):
    html = _page(client, roles.mkt_member, review.get_absolute_url())
    assert "Scorecard of the month" in html and "MQL quality" in html and "No budget" in html
    assert reverse("leads:detail", args=[february.sam.pk]) in html
    assert "Wants a demo for the finance team" in html  # sales feedback
    # A member reads: no forms.
    assert reverse("reviews:point_add", args=[review.pk]) not in html


def test_a_participant_adds_a_point_before_the_meeting(roles, review, client, now):
    services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
    client.force_login(roles.sales_member)
    response = client.post(reverse("reviews:point_add", args=[review.pk]), {"text": "Friday handoffs"}, follow=True)
    assert response.status_code == 200
    assert "Your point is on the agenda." in response.content.decode()
    assert "Friday handoffs" in response.content.decode()


def test_members_and_viewers_are_refused_every_write(roles, review, client, now):
    decision = Decision.objects.create(review=review, text="x", author=roles.mkt_manager)
    posts = [
        (reverse("reviews:point_add", args=[review.pk]), {"text": "x"}),
        (reverse("reviews:note_add", args=[review.pk]), {"item": "scorecard", "text": "x"}),
        (reverse("reviews:decision_add", args=[review.pk]), {"text": "x"}),
        (reverse("reviews:action_add", args=[review.pk]), {"title": "x", "owner": roles.mkt_member.pk}),
        (reverse("reviews:participant_add", args=[review.pk]), {"user": roles.mkt_member.pk}),
        (reverse("reviews:reschedule", args=[review.pk]), {"scheduled_at": "2026-03-20T10:00"}),
        (reverse("reviews:close", args=[review.pk]), {}),
        (reverse("reviews:decision_amend", args=[review.pk, decision.pk]), {}),
    ]
    for user in (roles.mkt_member, roles.viewer, roles.other_sales_member):
        client.force_login(user)
        for url, data in posts:
            assert client.post(url, data).status_code == 403, (user, url)
    review.refresh_from_db()
    assert review.is_open and not review.points.exists() and not review.notes.exists()


def test_the_meeting_records_notes_decisions_and_action_items(roles, review, february, client, now):
    client.force_login(roles.sales_manager)
    meeting = reverse("reviews:meeting", args=[review.pk])
    assert "Close and send the minutes" in _page(client, roles.sales_manager, meeting)
    response = client.post(
        reverse("reviews:note_add", args=[review.pk]), {"item": "miss:first_contact", "text": "Two on leave"}
    )
    assert response.status_code == 302 and response["Location"].startswith(meeting)
    client.post(
        reverse("reviews:decision_add", args=[review.pk]),
        {
            "text": "Category 1 within 2 hours",
            "item": "miss:first_contact",
            "proposal": "response_time",
            "commitment_key": "first_contact",
            "category": "1",
            "proposed_value": "2",
        },
    )
    decision = review.decisions.get()
    client.post(
        reverse("reviews:action_add", args=[review.pk]),
        {
            "title": "Call Sam back",
            "owner": roles.sales_member.pk,
            "due_date": "2026-03-13",
            "lead": february.sam.pk,
            "decision": decision.pk,
            "item": "miss:first_contact",
        },
    )
    item = review.action_items.get()
    assert (item.lead, item.decision, item.owner) == (february.sam, decision, roles.sales_member)
    html = _page(client, roles.sales_manager, meeting)
    assert "Two on leave" in html and "First contact in time: 2 business hours for category 1" in html
    assert "Call Sam back" in html


def test_a_refused_form_comes_back_as_a_message(roles, review, client, now):
    client.force_login(roles.sales_manager)
    response = client.post(
        reverse("reviews:action_add", args=[review.pk]),
        {"title": "Too late", "owner": roles.sales_member.pk, "due_date": "2026-03-01"},
        follow=True,
    )
    assert "The due date cannot be in the past." in response.content.decode()
    assert not review.action_items.exists()
    response = client.post(reverse("reviews:decision_add", args=[review.pk]), {"text": ""}, follow=True)
    assert "This field is required." in response.content.decode()


def test_one_click_opens_the_prefilled_amendment_in_the_editor(roles, sla, review, client, now):
    decision = services.decision_add(
        review=review,
        by=roles.sales_manager,
        text="Lower first contact",
        proposal="response_time",
        commitment_key="first_contact",
        category=1,
        proposed_value="2",
    )
    client.force_login(roles.sales_manager)
    response = client.post(reverse("reviews:decision_amend", args=[review.pk, decision.pk]))
    draft = SLA.objects.get(status=SLA.Status.DRAFT)
    assert response["Location"] == reverse("slas:edit", args=[draft.pk])
    editor = _page(client, roles.sales_manager, response["Location"])
    assert decision.get_absolute_url() in editor and "Lower first contact" in editor
    assert decision.get_absolute_url() in _page(client, roles.viewer, reverse("slas:detail", args=[draft.pk]))


def test_closing_shows_the_minutes_and_the_pdf(roles, review, client, now):
    services.note_add(review=review, by=roles.sales_manager, item="scorecard", text="A fine month")
    client.force_login(roles.mkt_manager)
    response = client.post(reverse("reviews:close", args=[review.pk]))
    assert response["Location"] == review.get_absolute_url()
    html = _page(client, roles.viewer, review.get_absolute_url())
    assert "Minutes closed on" in html and "A fine month" in html
    assert client.get(reverse("reviews:meeting", args=[review.pk]))["Location"] == review.get_absolute_url()
    pdf = client.get(reverse("reviews:minutes_pdf", args=[review.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "A fine month" in text
    # Closing twice: a message, not an error, and the minutes are sent once.
    client.force_login(roles.mkt_manager)
    again = client.post(reverse("reviews:close", args=[review.pk]), follow=True)
    assert "This review is closed" in again.content.decode()


def test_the_pdf_exists_once_the_review_is_closed(roles, review, client):
    client.force_login(roles.viewer)
    assert client.get(reverse("reviews:minutes_pdf", args=[review.pk])).status_code == 404


def test_the_goal_planner_opens_with_the_months_real_rates(roles, review, report, client):
    client.force_login(roles.mkt_manager)
    response = client.get(reverse("reviews:planner", args=[review.pk]))
    target = urlsplit(response["Location"])
    assert target.path == reverse("slas:goal_planner")
    rates = {key: float(values[0]) for key, values in parse_qs(target.query).items()}
    expected = {
        key: value for key, value in report.data["funnel"]["conversion_rates"].items() if value and 0 < value <= 100
    }
    assert rates == expected and rates
    planner = client.get(response["Location"]).content.decode()
    first_key = next(iter(rates))
    assert f'name="{first_key}"' in planner


def test_the_invitation_can_be_downloaded(roles, review, client):
    client.force_login(roles.viewer)
    response = client.get(reverse("reviews:invitation", args=[review.pk]))
    assert response["Content-Type"].startswith("text/calendar")
    assert f"UID:{review.ical_uid()}" in response.content.decode()


def test_the_dashboard_shows_the_next_review_and_open_action_items_per_team(roles, review, client, now):
    services.action_item_add(
        review=review, by=roles.sales_manager, title="Call back", owner=roles.sales_member, due_date=now.date()
    )
    html = _page(client, roles.viewer, reverse("home"))
    assert "Next review meetings" in html and review.get_absolute_url() in html
    assert "Open action items per team" in html and "Inside sales" in html and "1 open" in html


def test_the_review_list_and_an_extra_meeting(roles, sla, review, client, now):
    html = _page(client, roles.viewer, reverse("reviews:list"))
    assert review.get_absolute_url() in html and "Extra meeting" not in html
    client.force_login(roles.mkt_manager)
    response = client.post(
        reverse("reviews:new"),
        {
            "sla": sla.pk,
            "month": "2026-02",
            "title": "Back to February",
            "scheduled_at": "2026-03-20T14:00",
            "duration_minutes": "45",
            "location": "Room 2",
        },
    )
    extra = Review.objects.get(kind=Review.Kind.EXTRA)
    assert response["Location"] == extra.get_absolute_url()
    assert extra.scheduled_at == dt.datetime(2026, 3, 20, 13, 0, tzinfo=dt.UTC)  # 14:00 in Paris
    assert client.get(reverse("reviews:new")).status_code == 200
    client.force_login(roles.mkt_member)
    assert client.get(reverse("reviews:new")).status_code == 403


def test_a_manager_prepares_the_review_of_a_report_that_has_none(roles, sla, report, review, client, now):
    review.participants.all().delete()
    Review.objects.filter(pk=review.pk).delete()
    html = _page(client, roles.mkt_manager, reverse("reviews:list"))
    assert "Reports without a review" in html
    response = client.post(reverse("reviews:prepare"), {"report": report.pk})
    assert response["Location"] == Review.objects.get().get_absolute_url()


def test_an_action_item_owner_marks_it_done_from_the_review(roles, review, client, now):
    item = services.action_item_add(
        review=review, by=roles.sales_manager, title="Call back", owner=roles.sales_member, due_date=now.date()
    )
    client.force_login(roles.sales_member)
    response = client.post(reverse("reviews:action_done", args=[item.pk]))
    assert response.status_code == 302
    assert FollowUp.objects.get(pk=item.followup_id).status == FollowUp.Status.DONE
    client.force_login(roles.mkt_member)
    assert client.post(reverse("reviews:action_done", args=[item.pk])).status_code == 403


def test_the_pages_in_french(roles, review, client):
    client.force_login(roles.mkt_manager)
    client.cookies["django_language"] = "fr"
    html = client.get(review.get_absolute_url()).content.decode()
    assert "Revue mensuelle : février 2026" in html and "Tableau de bord du mois" in html
    assert "Manqué :" in html and "Qualité des MQL" in html


def test_an_action_item_about_a_lead_shows_on_the_leads_page(roles, review, february, client, now):
    item = services.action_item_add(
        review=review,
        by=roles.sales_manager,
        title="Send Sam the pricing",
        owner=roles.sales_member,
        due_date=now.date(),
        lead=february.sam,
    )
    html = _page(client, roles.viewer, reverse("leads:detail", args=[february.sam.pk]))
    assert "Send Sam the pricing" in html and item.get_absolute_url() in html
