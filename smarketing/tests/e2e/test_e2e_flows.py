"""End-to-end flows across roles, in a real browser: capture → MQL → hand-off → accept → call,
the SLA lifecycle, a CSV import, a forbidden action and the phone layout.

Forms are found by their ``action`` URL (not their labels) where a user's saved language may be
French; assertions on text use the English pages of users whose profile says English.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

pytestmark = pytest.mark.e2e


def _speak_english(people, *usernames: str) -> None:
    """Demo users may have saved French in their profile; these flows read English pages."""
    from slas.models import Profile

    for username in usernames:
        Profile.objects.update_or_create(user=people.users[username], defaults={"language": "en"})


def _action_form(page, name: str):
    """The detail page's form for one action (``transition``, ``handoff``…), opened."""
    form = page.locator(f"form[action$='/do/{name}/']")
    form.locator("xpath=ancestor::details").locator("summary").click()
    return form


def test_a_captured_prospect_becomes_an_mql_is_handed_off_accepted_and_called(
    new_page, login, people, active_sla, screenshot, assert_no_axe_violations
):
    from leads.models import CaptureForm, Lead

    _speak_english(people, "marion", "samuel")
    CaptureForm.objects.create(
        slug="webinar", name="Webinar sign-up", team=people.teams["marketing"], channel="webinar"
    )

    # A prospect, not signed in, fills the public form.
    prospect = new_page()
    prospect.goto("/capture/webinar/")
    prospect.get_by_label("First name").fill("Paula")
    prospect.get_by_label("Last name").fill("Prospect")
    prospect.get_by_label("E-mail").fill("paula@example.com")
    prospect.get_by_label("Company").fill("Acme")
    prospect.get_by_label("I agree to be contacted").check()
    prospect.get_by_role("button", name="Send").click()
    expect(prospect.locator("main")).not_to_contain_text("This field is required")
    lead = Lead.objects.get(email="paula@example.com")
    assert lead.owner_team == people.teams["marketing"]

    # Marion finds the lead in the list, makes it an MQL and hands it off to sales.
    marion = new_page()
    login(marion, "marion")
    marion.goto("/leads/")
    marion.get_by_role("link", name=re.compile("Paula Prospect")).first.click()
    expect(marion).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    form = _action_form(marion, "transition")
    form.locator("select[name=to]").select_option("mql")
    form.get_by_role("button").click()
    expect(marion.locator("main .badge.fs-6")).to_have_text("MQL")
    form = _action_form(marion, "handoff")
    form.locator("select[name=team]").select_option(str(people.teams["sales"].pk))
    form.get_by_role("button").click()
    expect(marion.locator("main .alert-info")).to_contain_text("Waiting for a decision by")

    # Samuel (sales member) accepts it and logs a call.
    samuel = new_page()
    login(samuel, "samuel")
    samuel.goto(f"/leads/{lead.pk}/")
    form = _action_form(samuel, "accept")
    form.get_by_role("button").click()
    expect(samuel.locator("main .alert-info")).to_have_count(0)
    form = samuel.locator("form[action$='/do/activity/']")
    form.locator("xpath=ancestor::details").locator("summary").click()
    form.locator("select[name=kind]").select_option("call")
    form.locator("select[name=outcome]").select_option("reached")
    form.get_by_role("button").click()

    timeline = samuel.locator("main ol.smk-timeline")
    for step in [
        "The public form created the lead as Prospect",
        "Marion Martin moved it from Prospect to MQL",
        "Marion Martin handed it off to",
        "Samuel Sanchez accepted the handoff for",
        "Samuel Sanchez logged an activity: Call — Reached",
    ]:
        expect(timeline).to_contain_text(step)
    lead.refresh_from_db()
    assert lead.owner_team == people.teams["sales"]
    screenshot(samuel, "lead-detail-flow")
    assert_no_axe_violations(samuel)

    assert samuel.goto("/").status == 200
    expect(samuel.get_by_role("heading", level=1)).to_have_text("Dashboard")


def _lead(people, email: str = "lena@example.com", *, stage: str = "mql"):
    from leads import services

    return services.lead_create(
        data={"first_name": "Lena", "last_name": "Lead", "email": email, "company": "Globex"},
        team=people.teams["marketing"],
        by=people.users["marion"],
        stage=stage,
    )


def test_a_viewer_is_not_offered_a_hand_off_and_a_forced_post_is_refused(page, login, people, active_sla):
    from leads.models import Lead

    _speak_english(people, "victor")
    lead = _lead(people)
    login(page, "victor")
    page.goto(f"/leads/{lead.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lena Lead")
    for name in ["transition", "handoff", "accept", "reject", "take", "activity"]:
        expect(page.locator(f"form[action$='/do/{name}/']")).to_have_count(0)
    expect(page.get_by_text("Hand off to sales")).to_have_count(0)

    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"/leads/{lead.pk}/do/handoff/",
        form={"team": str(people.teams["sales"].pk)},
        headers={"X-CSRFToken": csrf, "Referer": page.url},
        max_redirects=0,
    )
    assert response.status == 403
    # Refused by the permission check (the styled 403 page), not by the CSRF guard.
    assert "Not allowed" in response.text() and "came from another site" not in response.text()
    lead.refresh_from_db()
    assert lead.owner_team == people.teams["marketing"] and not lead.handoffs.exists()
    assert Lead.objects.count() == 1


def test_phone_width_leads_list_and_report(phone_page, login, people, active_sla, screenshot):
    import datetime as dt

    from django.utils import timezone

    from reporting.services import report_compute

    _speak_english(people, "marion")
    for n in range(3):
        _lead(people, f"phone{n}@example.com", stage="prospect")
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = report_compute(sla=active_sla, month=last_month)

    login(phone_page, "marion")
    phone_page.goto("/leads/")
    expect(phone_page.locator("main")).to_contain_text("phone0@example.com")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone_page, "leads-list")

    assert phone_page.goto(f"/reports/{report.pk}/").status == 200
    expect(phone_page.get_by_role("heading", level=1)).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone_page, "report")


def test_a_manager_imports_a_csv_previews_it_and_sees_the_job_finish(page, login, people, active_sla, screenshot):
    from leads.models import Lead

    _speak_english(people, "marion")
    csv = (
        "first_name,last_name,email,company\n"
        "Iris,Import,iris@example.com,Initech\n"
        "Ivan,Import,ivan@example.com,Initech\n"
        "Ines,Import,ines@example.com,Hooli\n"
    )
    login(page, "marion")
    page.goto("/leads/import/")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "leads.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_label("Default marketing team").select_option(str(people.teams["marketing"].pk))
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator("main")).to_contain_text("3 rows")
    expect(page.locator("main table")).to_contain_text("ivan@example.com")
    page.get_by_role("button", name="Import all rows").click()

    expect(page).to_have_url(re.compile(r"/leads/import/jobs/\d+/$"))
    expect(page.locator("#job")).to_contain_text("3 leads imported from the file.")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    screenshot(page, "lead-import-done")
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "iris@example.com",
        "ivan@example.com",
        "ines@example.com",
    }


def test_the_goal_planner_computes_the_reverse_funnel_in_french(page, login, people, screenshot):
    _speak_english(people, "marion")
    login(page, "marion")
    page.goto("/slas/planner/")
    page.get_by_label("Revenue target").fill("1000000")
    page.get_by_label("Average deal size").fill("10000")
    page.get_by_label("Overall prospect → client rate (%)").fill("2")
    page.get_by_role("button", name="Compute", exact=True).click()
    rows = page.locator("main table tbody tr")
    expect(rows.filter(has_text=re.compile(r"^\s*Client"))).to_contain_text("100")
    expect(rows.filter(has_text=re.compile(r"^\s*Prospect"))).to_contain_text("5000")

    # Switch the interface to French with the footer form; the planner speaks French.
    page.locator("#language-select").select_option("fr")
    page.locator("footer form button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Planificateur")
    screenshot(page, "goal-planner")


def test_an_sla_is_submitted_signed_by_both_teams_amended_and_compared(new_page, login, people, screenshot):
    from slas.models import SLA
    from slas.tests.factories import make_sla

    _speak_english(people, "marion", "sacha")
    draft = make_sla(
        people.teams["marketing"], people.teams["sales"], start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31)
    )

    marion = new_page()
    login(marion, "marion")
    marion.goto(f"/slas/{draft.pk}/")
    marion.get_by_role("button", name="Submit for signature").click()
    expect(marion.locator("main")).to_contain_text("In signature")
    # Signing goes through a confirmation that names the version and its fingerprint.
    marion.get_by_role("link", name=re.compile(r"^Sign for ")).click()
    draft.refresh_from_db()
    expect(marion.locator("#sign-fingerprint")).to_have_text(draft.fingerprint)
    marion.get_by_role("button", name=re.compile(r"^Sign version 1 ")).click()
    expect(marion.get_by_role("link", name=re.compile(r"^Sign for "))).to_have_count(0)

    sacha = new_page()
    login(sacha, "sacha")
    sacha.goto(f"/slas/{draft.pk}/")
    sacha.get_by_role("link", name=re.compile(r"^Sign for ")).click()
    sacha.get_by_role("button", name=re.compile(r"^Sign version 1 ")).click()
    expect(sacha.locator("main .badge").first).to_have_text("Active")
    screenshot(sacha, "sla-detail-signed")
    draft.refresh_from_db()
    assert draft.status == SLA.Status.ACTIVE and draft.signatures.count() == 2

    marion.goto(f"/slas/{draft.pk}/")
    marion.get_by_role("button", name="Amend").click()
    amendment = SLA.objects.get(series=draft.series, version=2)
    assert amendment.status == SLA.Status.DRAFT and amendment.amends_id == draft.pk
    assert marion.goto(f"/slas/{amendment.pk}/compare/").status == 200
    expect(marion.locator("#compare-summary")).to_contain_text("From version 1 (Active) to version 2 (Draft)")
