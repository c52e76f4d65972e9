"""The daily work pages in a real browser: drag cards on the pipeline board (to an allowed, a
refused and a detail-asking column), qualify a lead and see its category, log a meeting with
feedback as sales and read it as marketing. Screenshots of the board and the lead page at
desktop and phone width."""

from __future__ import annotations

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def _speak_english(people, *usernames: str) -> None:
    from slas.models import Profile

    for username in usernames:
        Profile.objects.update_or_create(user=people.users[username], defaults={"language": "en"})


def _lead(people, first_name: str, email: str, stage: str = "prospect", **data):
    from leads import services

    return services.lead_create(
        data={"first_name": first_name, "last_name": "Test", "email": email, "company": "Globex", **data},
        team=people.teams["marketing"],
        by=people.users["marion"],
        stage=stage,
    )


def _drag(page, card, target) -> None:
    """Press on the card's text (not its link or form), move in steps, release over the column."""
    handle = card.locator(".small.text-body-secondary").first
    box = handle.bounding_box()
    goal = target.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + 20, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + min(goal["height"] / 2, 30), steps=15)
    page.mouse.up()


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: scrollWidth {width[0]} > innerWidth {width[1]}"


def test_drag_cards_to_an_allowed_a_refused_and_a_detail_asking_column(new_page, login, people, screenshot):
    from leads.models import Lead

    _speak_english(people, "marion")
    dana = _lead(people, "Dana", "dana@example.com")
    lena = _lead(people, "Lena", "lena@example.com", stage="mql", deal_value=12000)
    page = new_page()
    page.set_viewport_size(DESKTOP)
    login(page, "marion")
    page.goto("/leads/board/")
    _no_sideways_scroll(page)
    expect(page.locator("[data-stage-column='mql'] .smk-board-total")).to_have_text("Deals: €12,000")

    def card(lead):
        return page.locator(f"[data-card][data-move-url='/leads/{lead.pk}/do/transition/']")

    def cards_of(stage):
        return page.locator(f"[data-stage-column='{stage}'] [data-cards]")

    # A refused column: the card goes back and the board says why; nothing changed.
    _drag(page, card(dana), cards_of("client"))
    expect(page.locator("#board-status")).to_contain_text("A lead cannot move from Prospect to Client.")
    expect(cards_of("prospect")).to_contain_text("Dana Test")
    dana.refresh_from_db()
    assert dana.stage == "prospect"

    # An allowed column: the move is sent and the board comes back with the card there.
    page.wait_for_timeout(1000)  # the refused card's return animation ends before the next drag
    _drag(page, card(dana), cards_of("mql"))
    expect(page.get_by_role("alert")).to_contain_text("The lead moved to its new stage.")
    expect(cards_of("mql")).to_contain_text("Dana Test")
    dana.refresh_from_db()
    assert dana.stage == "mql"

    # A column that needs details: the dialog asks for the reason, then the lead is lost.
    _drag(page, card(lena), cards_of("lost"))
    dialog = page.locator("#board-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Lena Test → Lost")
    dialog.get_by_label("Why was the lead lost?").fill("Chose a competitor")
    dialog.get_by_role("button", name="Confirm").click()
    expect(cards_of("lost")).to_contain_text("Lena Test")
    lena.refresh_from_db()
    assert lena.stage == "lost" and lena.lost_reason == "Chose a competitor"
    assert Lead.objects.count() == 2
    screenshot(page, "board")

    phone = new_page(device="phone")
    phone.set_viewport_size(PHONE)
    login(phone, "marion")
    phone.goto("/leads/board/")
    _no_sideways_scroll(phone)
    screenshot(phone, "board")


def test_qualify_a_lead_then_sales_meeting_feedback_reaches_marketing(
    new_page, login, people, active_sla, screenshot, assert_no_axe_violations
):
    from leads import services

    _speak_english(people, "marion", "samuel")
    lead = _lead(people, "Quinn", "quinn@example.com")
    marion = new_page()
    marion.set_viewport_size(DESKTOP)
    login(marion, "marion")
    marion.goto(f"/leads/{lead.pk}/")
    expect(marion.locator(".smk-next-actions")).to_contain_text("Qualify the prospect, then mark it MQL")
    panel = marion.locator("#action-qualify")
    for question in ["budget voted", "project team formed", "timing defined", "scope defined", "pain identified"]:
        panel.get_by_label(question, exact=False).check()
    panel.get_by_role("button", name="Save the answers").click()
    expect(marion.get_by_role("alert")).to_contain_text("Qualification saved.")
    expect(marion.locator(".smk-derived")).to_have_text("1 – short-term project")
    lead.refresh_from_db()
    assert lead.maturity_category == 1

    services.lead_transition(lead=lead, to="mql", by=people.users["marion"])
    services.lead_handoff(lead=lead, team=people.teams["sales"], by=people.users["marion"])
    services.lead_accept(lead=lead, by=people.users["samuel"])

    samuel = new_page()
    login(samuel, "samuel")
    samuel.goto(f"/leads/{lead.pk}/")
    expect(samuel.locator(".smk-next-due")).to_contain_text("due in")
    form = samuel.locator("form[action$='/do/activity/']")
    form.locator("xpath=ancestor::details").locator("summary").click()
    form.locator("select[name=kind]").select_option("meeting")
    form.locator("select[name=outcome]").select_option("interested")
    form.locator("textarea[name=note]").fill("They need single sign-on before the pilot.")
    form.get_by_role("button").click()
    expect(samuel.get_by_role("alert")).to_contain_text("Activity logged.")

    marion.goto(f"/leads/{lead.pk}/")
    feedback = marion.locator(".smk-feedback")
    expect(feedback).to_contain_text("They need single sign-on before the pilot.")
    expect(feedback).to_contain_text("Meeting · Interested")
    expect(marion.locator("ol.smk-timeline")).to_contain_text("Samuel Sanchez logged an activity: Meeting — Interested")
    _no_sideways_scroll(marion)
    screenshot(marion, "lead-page")
    assert_no_axe_violations(marion)

    phone = new_page(device="phone")
    phone.set_viewport_size(PHONE)
    login(phone, "marion")
    phone.goto(f"/leads/{lead.pk}/")
    _no_sideways_scroll(phone)
    screenshot(phone, "lead-page")
