"""The SLA editor: a stepper whose every step saves the draft through the services, readable
commitment rows (figures inside sentences, category hours as inputs), errors at the field,
rows added and removed without fixed blank rows, and a review of the document as signed."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from slas.models import SLA, SharedGoal
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def step_url(sla, step):
    return reverse("slas:edit", args=[sla.pk]) if step == "parties" else reverse("slas:edit_step", args=[sla.pk, step])


def posted(page, **changes) -> dict:
    """What the browser sends back for a step as it is shown, with ``changes`` on top."""
    forms = page.context["forms"]
    data = {"revision": page.context["revision"]}
    for form in [forms.main, forms.calendar]:
        for field in form or []:
            value = field.value()
            if value not in (None, ""):
                data[field.html_name] = value.isoformat() if hasattr(value, "isoformat") else value
    for formset in forms.formsets.values():
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for sub in formset.forms:
            for field in sub:
                value = field.value()
                if value is not None and value != "" and value is not False:
                    data[field.html_name] = value.strftime("%H:%M") if isinstance(value, dt.time) else value
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def parties(roles, title: str) -> dict:
    """The first step of a new SLA, filled in."""
    return {
        "title": title,
        "marketing_team": roles.marketing.pk,
        "sales_team": roles.sales.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "currency": "EUR",
        "escalation_delay_hours": "4",
    }


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def test_a_new_sla_goes_through_every_step(roles, client):
    assert client.get(reverse("slas:create")).status_code == 302  # sign in first
    client.force_login(roles.sales_member)
    assert client.get(reverse("slas:create")).status_code == 403
    client.force_login(roles.mkt_manager)
    page = client.get(reverse("slas:create"))
    assert page.status_code == 200 and "Step 1 of 6" in text(page)
    response = client.post(reverse("slas:create"), {**parties(roles, "Marketing × Inside sales"), "action": "next"})
    sla = SLA.objects.get()
    assert response.status_code == 302 and response.url == step_url(sla, "goals")
    assert sla.calendar.hours.count() == 5  # a working week to start from, edited at "Calendars"

    goals = client.get(step_url(sla, "goals"))
    assert goals.context["forms"].formsets["goals"].total_form_count() == 1  # one row to start, no fixed blanks
    client.post(
        step_url(sla, "goals"),
        posted(
            goals,
            **{
                "goals-0-specific": "Three hundred MQLs",
                "goals-0-metric": "MQLs",
                "goals-0-target": "300",
                "goals-0-deadline": "2026-12-31",
                "action": "next",
            },
        ),
    )
    assert sla.goals.get().target == 300

    commitments = client.get(step_url(sla, "commitments"))
    data = posted(
        commitments,
        **{
            "commitments-0-key": "first_contact",
            "commitments-0-target": "90",
            "commitments-0-hours": "8",
            "commitments-0-category_1": "2",
            "commitments-0-category_3": "24",
            "commitments-0-attempts": "3",  # not a parameter of first contact: dropped
            "action": "next",
        },
    )
    response = client.post(step_url(sla, "commitments"), data)
    assert response.status_code == 302 and response.url == step_url(sla, "rules")
    first_contact = sla.commitments.get()
    assert first_contact.category_hours == {"1": 2, "3": 24}  # the JSON the API takes, unchanged
    assert (first_contact.hours, first_contact.attempts) == (Decimal(8), None)

    # The saved row reads as a sentence with its figures as inputs, no JSON anywhere.
    again = client.get(step_url(sla, "commitments"))
    html = again.content.decode()
    assert "category_hours" not in html and "{}" not in html
    sentence = text(again)
    assert "% of accepted leads contacted within business hours; category 1: h, category 2: h, category 3: h" in (
        sentence
    )
    assert re.search(r'name="commitments-0-category_1"[^>]*value="2"', html)

    # Back saves and goes back, a step of the stepper saves and goes there; the review shows the sentence.
    rules = client.get(step_url(sla, "rules"))
    assert client.post(step_url(sla, "rules"), posted(rules, action="back")).url == step_url(sla, "commitments")
    goals = client.get(step_url(sla, "goals"))
    jump = client.post(step_url(sla, "goals"), posted(goals, **{"goals-0-target": "320", "action": "goto:review"}))
    assert jump.url == step_url(sla, "review") and sla.goals.get().target == 320
    review = client.get(step_url(sla, "review"))
    assert "90 % of accepted leads contacted within 8 business hours; category 1: 2 h, category 3: 24 h" in text(review)
    assert "Submit for signature" in text(review)


def test_a_step_with_an_error_saves_nothing_and_shows_it_at_the_field(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    client.force_login(roles.sales_manager)
    page = client.get(step_url(sla, "commitments"))
    forms = page.context["forms"].formsets["commitments"].forms
    index = {form.initial["key"]: i for i, form in enumerate(forms)}
    rate, first = index["mql_acceptance_rate"], index["first_contact"]
    response = client.post(
        step_url(sla, "commitments"),
        posted(
            page,
            **{
                f"commitments-{rate}-target": "150",
                f"commitments-{first}-category_2": "lots",
                f"commitments-{first}-hours": "2500",
                "action": "next",
            },
        ),
    )
    assert response.status_code == 200
    rows = response.context["forms"].formsets["commitments"].forms
    assert rows[rate].errors["target"] == ["A rate is a percentage between 0 and 100."]
    assert rows[first].errors["category_2"] and rows[first].errors["hours"] == ["At most 2000 business hours."]
    html = response.content.decode()
    assert re.search(
        rf'name="commitments-{rate}-target"[^>]*is-invalid|is-invalid[^>]*name="commitments-{rate}-target"', html
    )
    assert "Target: A rate is a percentage between 0 and 100." in text(response)
    sla.refresh_from_db()
    assert sla.revision == 1 and sla.commitments.get(key="mql_acceptance_rate").target == 70

    # The period of the parties step may not leave a milestone outside it.
    parties = client.get(step_url(sla, "parties"))
    response = client.post(step_url(sla, "parties"), posted(parties, end_date="2025-01-01", action="next"))
    assert response.status_code == 200 and response.context["forms"].main.errors["end_date"]
    calendars = client.get(step_url(sla, "calendars"))
    response = client.post(
        step_url(sla, "calendars"),
        posted(
            calendars,
            **{
                "milestones-0-title": "Quarterly review",
                "milestones-0-owner_team": roles.sales.pk,
                "milestones-0-due_date": "2031-03-01",
                "action": "next",
            },
        ),
    )
    assert response.context["forms"].formsets["milestones"].forms[0].errors["due_date"]
    assert SLA.objects.get(pk=sla.pk).revision == 1


def test_rows_are_added_and_removed_without_fixed_blank_rows(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    for target in (100, 200):
        SharedGoal.objects.create(
            sla=sla, specific=f"{target} MQLs", metric="MQLs", target=target, deadline=sla.end_date
        )
    client.force_login(roles.mkt_manager)
    page = client.get(step_url(sla, "goals"))
    formset = page.context["forms"].formsets["goals"]
    assert formset.total_form_count() == formset.initial_form_count() == sla.goals.count()
    assert 'data-add-row="goals"' in page.content.decode() and 'id="empty-goals"' in page.content.decode()

    # Without JavaScript, "Add a goal" shows the step again with one more row, keeping what was typed.
    typed = posted(page, **{"goals-0-metric": "Typed, not saved yet", "action": "add:goals"})
    added = client.post(step_url(sla, "goals"), typed)
    assert added.status_code == 200
    assert added.context["forms"].formsets["goals"].total_form_count() == formset.total_form_count() + 1
    assert "Typed, not saved yet" in added.content.decode()
    assert SLA.objects.get(pk=sla.pk).revision == 1  # adding a row saves nothing

    new = formset.total_form_count()
    data = posted(
        added,
        **{
            f"goals-{new}-specific": "Ten new clients",
            f"goals-{new}-metric": "Clients",
            f"goals-{new}-target": "10",
            f"goals-{new}-deadline": "2026-06-30",
            "goals-0-DELETE": "on",
            "action": "save",
        },
    )
    response = client.post(step_url(sla, "goals"), data)
    assert response.status_code == 302 and response.url == step_url(sla, "goals")
    assert set(sla.goals.values_list("specific", flat=True)) == {"200 MQLs", "Ten new clients"}


def test_a_stale_step_is_refused_and_a_signed_sla_is_not_edited(roles, client):
    sla = make_sla(roles.marketing, roles.sales)
    client.force_login(roles.sales_manager)
    page = client.get(step_url(sla, "parties"))
    assert client.post(step_url(sla, "parties"), posted(page, title="First")).status_code == 302
    stale = client.post(step_url(sla, "parties"), posted(page, title="Second"))
    assert stale.status_code == 200 and "Someone else changed this draft" in text(stale)
    assert SLA.objects.get(pk=sla.pk).title == "First"
    assert client.get(reverse("slas:edit_step", args=[sla.pk, "nowhere"])).status_code == 404
    client.force_login(roles.mkt_member)
    assert client.get(step_url(sla, "commitments")).status_code == 403
    signed = make_sla(roles.other_marketing, roles.other_sales, status=SLA.Status.ACTIVE)
    client.force_login(roles.admin)
    assert client.get(step_url(signed, "review")).status_code == 302


def test_the_review_says_what_is_missing_before_submitting(roles, client):
    client.force_login(roles.mkt_manager)
    client.post(reverse("slas:create"), parties(roles, "Bare"))
    sla = SLA.objects.get()
    review = client.get(step_url(sla, "review"))
    assert "An SLA needs at least one commitment." in text(review)
    assert f'action="{reverse("slas:submit", args=[sla.pk])}"' not in review.content.decode()


def test_the_commitment_row_keeps_the_api_json_shape(roles, client):
    """Category hours typed as inputs are stored exactly as the API stores them."""
    sla = make_sla(roles.marketing, roles.sales)
    before = {c.key: c.canonical() for c in sla.commitments.all()}
    client.force_login(roles.mkt_manager)
    page = client.get(step_url(sla, "commitments"))
    assert client.post(step_url(sla, "commitments"), posted(page, action="save")).status_code == 302
    after = {c.key: c.canonical() for c in SLA.objects.get(pk=sla.pk).commitments.all()}
    assert after == before, json.dumps([before, after], default=str)
