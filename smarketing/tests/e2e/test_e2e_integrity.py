"""Issue 11 in a real browser: a hostile capture proposes instead of overwriting, the owner applies
one value; an overlapping SLA is refused at submit with a link to the SLA in the way, then deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

pytestmark = pytest.mark.e2e


def _english(people, *usernames: str) -> None:
    from slas.models import Profile

    for username in usernames:
        Profile.objects.update_or_create(user=people.users[username], defaults={"language": "en"})


def test_a_capture_of_a_client_lead_is_only_a_proposal_that_its_owner_applies(
    new_page, login, people, active_sla, screenshot, assert_no_axe_violations
):
    from leads import services
    from leads.models import CaptureForm, Lead, Stage

    _english(people, "samuel")
    marketing, sales = people.teams["marketing"], people.teams["sales"]
    CaptureForm.objects.create(slug="contact", name="Contact", team=marketing, channel="website")
    lead = services.lead_create(
        data={
            "email": "claire@acme.example",
            "first_name": "Claire",
            "last_name": "Martin",
            "company": "Acme",
            "deal_value": Decimal(5000),
        },
        team=marketing,
        by=people.users["marion"],
    )
    Lead.objects.filter(pk=lead.pk).update(stage=Stage.CLIENT, owner_team=sales, owner_user=people.users["samuel"])

    visitor = new_page()
    visitor.goto("/capture/contact/")
    visitor.get_by_label("First name").fill("Hacked By")
    visitor.get_by_label("Last name").fill("Anonymous")
    visitor.get_by_label("E-mail").fill("CLAIRE@acme.example")
    visitor.get_by_label("Company").fill("Evil Corp")
    visitor.get_by_label("I agree to be contacted").check()
    visitor.get_by_role("button", name="Send").click()
    expect(visitor.locator("main")).not_to_contain_text("Claire")  # the visitor learns nothing

    samuel = new_page()
    login(samuel, "samuel")
    samuel.goto(f"/leads/{lead.pk}/")
    expect(samuel.locator("h1")).to_have_text("Claire Martin")
    proposals = samuel.locator(".border-info")
    expect(proposals).to_contain_text("Evil Corp")
    expect(proposals).to_contain_text("Hacked By")
    assert_no_axe_violations(samuel)
    screenshot(samuel, "lead-capture-proposals")
    proposals.get_by_label("Company").check()
    proposals.get_by_role("button", name="Apply the checked values").click()
    expect(samuel.get_by_role("alert").first).to_contain_text("applied")
    lead.refresh_from_db()
    assert (lead.company, lead.first_name, lead.deal_value) == ("Evil Corp", "Claire", Decimal("5000.00"))


def test_an_overlapping_sla_is_refused_at_submit_and_its_author_deletes_it(new_page, login, people, active_sla):
    from slas.models import SLA
    from slas.tests.factories import make_sla

    _english(people, "sacha")
    other = make_sla(
        people.teams["marketing"],
        people.teams["sales"],
        start=active_sla.start_date + dt.timedelta(days=10),
        end=active_sla.end_date + dt.timedelta(days=100),
    )
    SLA.objects.filter(pk=other.pk).update(title="Overlapping draft", created_by=people.users["sacha"])
    page = new_page()
    login(page, "sacha")
    page.goto(f"/slas/{other.pk}/")
    page.locator("form[action$='/submit/'] button").click()
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("periods may not overlap")
    alert.get_by_role("link", name="Open the conflicting SLA").click()
    expect(page).to_have_url(f"{page.url.split('/slas/')[0]}/slas/{active_sla.pk}/")
    page.goto(f"/slas/{other.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete draft").click()
    expect(page.get_by_role("alert").first).to_contain_text("deleted")
    assert not SLA.objects.filter(pk=other.pk).exists()
