"""The SLA editor in a real browser (issue 17, item 3): a manager drafts an SLA through the
stepper (rows added in place by the script, Back keeps what was typed, errors at the field),
reviews the document as it will be signed, both managers sign through the confirmation that
names the version and its fingerprint, and the amendment's comparison reads as sentences."""

from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def _language(people, **languages: str) -> None:
    from slas.models import Profile

    for username, language in languages.items():
        Profile.objects.update_or_create(user=people.users[username], defaults={"language": language})


def _next(page, step: str) -> None:
    page.get_by_role("button", name=re.compile(rf"^Next: {step}")).click()
    expect(page.locator("#step-title")).to_have_text(step)


def _figure(page, row: int, name: str):
    return page.locator(f"[name='commitments-{row}-{name}']")


def test_a_manager_drafts_reviews_both_sign_and_the_amendment_compares(
    new_page, login, people, screenshot, assert_no_axe_violations
):
    from slas.models import SLA

    _language(people, marion="en", sacha="en")
    marion = new_page()
    login(marion, "marion")
    marion.goto("/slas/new/")
    expect(marion.get_by_role("navigation", name="Steps of the SLA editor")).to_contain_text("Step 1 of 6")

    # 1. Parties & roles: a field error stays at its field and nothing is created.
    marion.get_by_label("Title").fill("Marketing × Sales 2027")
    marion.get_by_label("Marketing team").select_option(str(people.teams["marketing"].pk))
    marion.get_by_label("Sales team").select_option(str(people.teams["sales"].pk))
    marion.get_by_label("Start date").fill("2027-01-01")
    marion.get_by_label("End date").fill("2026-12-31")
    marion.get_by_role("button", name=re.compile(r"^Next: Shared goals")).click()
    expect(marion.locator("#id_end_date ~ .invalid-feedback, #id_end_date + .invalid-feedback").first).to_be_visible()
    assert not SLA.objects.exists()
    screenshot(marion, "sla-editor-parties-error", full_page=False)
    marion.get_by_label("End date").fill("2027-12-31")
    marion.get_by_label("Company objectives").fill("Grow recurring revenue by 20 % with fewer, better leads.")
    _next(marion, "Shared goals")
    sla = SLA.objects.get()

    # 2. Shared goals: one row to start; "Add a goal" adds one in place (no reload).
    marion.locator("[name='goals-0-specific']").fill("Three hundred sales-accepted MQLs")
    marion.locator("[name='goals-0-metric']").fill("Accepted MQLs")
    marion.locator("[name='goals-0-target']").fill("300")
    marion.locator("[name='goals-0-deadline']").fill("2027-12-31")
    url = marion.url
    marion.get_by_role("button", name="Add a goal").click()
    expect(marion.locator("#rows-goals [data-row]")).to_have_count(2)
    assert marion.url == url and marion.locator("[name='goals-TOTAL_FORMS']").input_value() == "2"
    marion.locator("[name='goals-1-specific']").fill("Forty new clients")
    marion.locator("[name='goals-1-metric']").fill("Clients")
    marion.locator("[name='goals-1-target']").fill("40")
    marion.locator("[name='goals-1-deadline']").fill("2027-12-31")
    _next(marion, "Commitments")
    assert sla.goals.count() == 2

    # 3. Commitments: choosing the commitment turns the row into its sentence, inputs in place.
    marion.locator("[name='commitments-0-key']").select_option("first_contact")
    sentence = marion.locator("#rows-commitments [data-row]").first.locator("[data-sentence]")
    expect(sentence).to_contain_text("% of accepted leads contacted within")
    expect(sentence).to_contain_text("category 1:")
    _figure(marion, 0, "target").fill("90")
    _figure(marion, 0, "hours").fill("8")
    _figure(marion, 0, "category_1").fill("2")
    _figure(marion, 0, "category_3").fill("24")
    expect(_figure(marion, 0, "attempts")).to_be_hidden()
    marion.get_by_role("button", name="Add a commitment").click()
    marion.locator("[name='commitments-1-key']").select_option("handoff_response")
    _figure(marion, 1, "target").fill("90")
    _figure(marion, 1, "hours").fill("4")
    marion.get_by_role("button", name="Add a commitment").click()
    marion.locator("[name='commitments-2-key']").select_option("mql_acceptance_rate")
    _figure(marion, 2, "target").fill("150")
    marion.get_by_role("button", name=re.compile(r"^Next: Maturity rules")).click()
    # Inline validation: the error at the row, the step not left, nothing saved.
    expect(marion.locator("#step-title")).to_have_text("Commitments")
    expect(marion.locator("#rows-commitments")).to_contain_text("A rate is a percentage between 0 and 100.")
    expect(_figure(marion, 2, "target")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert not sla.commitments.exists()
    assert_no_axe_violations(marion)  # inputs inside sentences are labelled, errors announced
    _figure(marion, 2, "target").fill("75")
    screenshot(marion, "sla-editor")
    _next(marion, "Maturity rules")
    first_contact = sla.commitments.get(key="first_contact")
    assert first_contact.category_hours == {"1": 2, "3": 24} and first_contact.hours == 8

    # Back keeps what was saved: the sentence shows the figures typed.
    marion.get_by_role("button", name="Back").click()
    expect(marion.locator("#step-title")).to_have_text("Commitments")
    expect(_figure(marion, 0, "category_3")).to_have_value("24")
    _next(marion, "Maturity rules")

    # 4. Maturity rules, 5. calendars (a working week to start from), 6. review.
    marion.locator("[name='maturity_rules-0-category']").select_option("1")
    marion.locator("[name='maturity_rules-0-owner_function']").select_option("sales")
    marion.locator("[name='maturity_rules-0-response_hours']").fill("4")
    _next(marion, "Calendars")
    expect(marion.locator("#rows-hours [data-row]")).to_have_count(5)
    screenshot(marion, "sla-editor-calendars")
    assert_no_axe_violations(marion)
    _next(marion, "Review & submit")
    document = marion.locator("#review-document")
    expect(document).to_contain_text(
        "90 % of accepted leads contacted within 8 business hours; category 1: 2 h, category 3: 24 h"
    )
    expect(document).to_contain_text("Three hundred sales-accepted MQLs")
    screenshot(marion, "sla-review")
    marion.get_by_role("button", name="Submit for signature").click()
    sla.refresh_from_db()
    assert sla.status == SLA.Status.IN_SIGNATURE

    # Signing: the confirmation names the version and the fingerprint that is signed.
    marion.get_by_role("link", name=re.compile(r"^Sign for ")).click()
    expect(marion.locator("#sign-version")).to_have_text("1")
    expect(marion.locator("#sign-fingerprint")).to_have_text(sla.fingerprint)
    screenshot(marion, "sla-sign-confirm", full_page=False)
    assert_no_axe_violations(marion)
    marion.get_by_role("button", name=re.compile(r"^Sign version 1 \(")).click()
    expect(marion.locator("#document-signatures")).to_contain_text("signed by Marion Martin")

    sacha = new_page()
    login(sacha, "sacha")
    sacha.goto(f"/slas/{sla.pk}/")
    sacha.get_by_role("link", name=re.compile(r"^Sign for ")).click()
    expect(sacha.locator("#sign-fingerprint")).to_have_text(sla.fingerprint)
    sacha.get_by_role("button", name=re.compile(r"^Sign version 1 \(")).click()
    expect(sacha.locator("main .badge").first).to_have_text("Active")
    assert {s.fingerprint for s in sla.signatures.all()} == {sla.fingerprint}

    # The amendment: handoff within 3 hours instead of 4, at 95 %; the comparison says so.
    sacha.get_by_role("button", name="Amend").click()
    amendment = SLA.objects.get(series=sla.series, version=2)
    sacha.goto(f"/slas/{amendment.pk}/edit/commitments/")
    row = next(
        i for i in range(3) if sacha.locator(f"[name='commitments-{i}-key']").input_value() == "handoff_response"
    )
    _figure(sacha, row, "hours").fill("3")
    _figure(sacha, row, "target").fill("95")
    sacha.get_by_role("button", name="Save draft").click()
    expect(sacha.get_by_role("status").or_(sacha.locator(".alert-success")).first).to_contain_text("Draft saved")
    sacha.goto(f"/slas/{amendment.pk}/compare/")
    commitments = sacha.locator("#diff-commitments")
    expect(commitments).to_contain_text("Handoff decided in time")
    expect(commitments).to_contain_text("Business hours: 4 h → 3 h")
    expect(commitments).to_contain_text("Target: 90 % → 95 %")
    expect(sacha.locator("#diff-goals")).to_contain_text("no change")
    screenshot(sacha, "sla-compare")
    assert_no_axe_violations(sacha)
    sacha.set_viewport_size(PHONE)
    screenshot(sacha, "sla-compare-390")
    assert sacha.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The same pages in French (Marion's language) and on a phone.
    _language(people, marion="fr")
    french = new_page(language="fr")
    login(french, "marion")
    french.goto(f"/slas/{amendment.pk}/compare/")
    expect(french.locator("#diff-commitments")).to_contain_text("Heures ouvrées : 4 h → 3 h")
    expect(french.locator("#diff-commitments")).to_contain_text("Cible : 90 % → 95 %")
    screenshot(french, "sla-compare")
    french.goto(f"/slas/{amendment.pk}/edit/commitments/")
    expect(french.locator("#rows-commitments")).to_contain_text("des leads acceptés contactés en")
    screenshot(french, "sla-editor")
    for path in (f"/slas/{amendment.pk}/edit/commitments/", f"/slas/{amendment.pk}/compare/"):
        french.set_viewport_size(PHONE)
        french.goto(path)
        assert french.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        screenshot(french, "sla-editor-390" if "edit" in path else "sla-compare-390")
    phone = new_page(device="phone")
    login(phone, "sacha")
    phone.set_viewport_size(PHONE)
    phone.goto(f"/slas/{amendment.pk}/edit/commitments/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "sla-editor-390")
    assert dt.date.today()  # the dates above are fixed: 2027 lies in the future of every run until then
