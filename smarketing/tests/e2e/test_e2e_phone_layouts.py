"""Issue 17: the phone layouts a person uses every day, at 390 px, with the demo's data, in English
and French — the leads list (filters in an off-canvas panel, stage as checkboxes, one block per
lead) and the notifications centre. Screenshots land in test-artifacts/screenshots/ (the ones in
docs/screenshots/ were copied from there and looked at)."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}


@pytest.fixture
def demo(transactional_db):
    from smarketing.demo import seed_all

    return seed_all()


def _fits(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: scrollWidth {width[0]} > innerWidth {width[1]}"


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_leads_list_on_a_phone(browser, live_server, demo, screenshot, language):
    page = _signed_in(browser, live_server, demo, "marion", language, PHONE)
    page.goto("/leads/")
    filters = page.locator("#lead-filters")
    expect(filters).to_be_hidden()  # the first screen shows leads, not filters
    expect(page.locator("table.smk-stack thead")).to_have_css("position", "absolute")  # one block per lead
    first_lead = page.locator("table.smk-stack tbody tr").first
    assert first_lead.bounding_box()["width"] <= 390
    _fits(page)
    screenshot(page, "leads", full_page=False)

    page.locator("button[aria-controls=lead-filters]").click()
    expect(filters).to_be_visible()
    stage_boxes = filters.locator("input[type=checkbox][name=stage]")
    assert stage_boxes.count() == 7  # checkboxes, not a tall multi-select
    expect(filters).not_to_have_class(re.compile(r"\bshowing\b"))  # the slide-in transition is over
    filters.locator("input[name=stage][value=mql]").check()
    screenshot(page, "leads-filters", full_page=False)
    # The panel is taller than the screen: reach its button as a keyboard user does (a tap on the
    # bottom of a fixed panel is hit-tested against the emulated phone's panned viewport).
    filters.locator("button.btn-primary").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**stage=mql**")
    expect(page.locator("button[aria-controls=lead-filters] .badge")).to_have_text("1")
    stages = page.locator("table.smk-stack tbody td[data-label]:nth-of-type(2)").all_inner_texts()
    assert stages and {text.strip() for text in stages} == {"MQL"}
    _fits(page)


DESKTOP = {"viewport": {"width": 1366, "height": 900}}


def _signed_in(browser, live_server, demo, username: str, language: str, device: dict):
    from slas.models import Profile
    from smarketing.demo import DEMO_PASSWORD

    Profile.objects.update_or_create(user=demo.users[username], defaults={"language": language})
    context = browser.new_context(base_url=live_server.url, locale=language, **device)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_notifications_centre_counts_links_and_marks_read(browser, live_server, demo, screenshot, language):
    from reporting.models import Notification

    user = demo.users["sacha"]
    Notification.objects.filter(recipient=user).update(read_at=None)
    unread = Notification.objects.unread_for(user).count()
    assert unread >= 2, "the demo sends the sales manager notifications"
    page = _signed_in(browser, live_server, demo, "sacha", language, DESKTOP)
    badge = page.locator("#mainnav a[href='/notifications/'] .smk-nav-badge")
    expect(badge).to_contain_text(str(min(unread, 99)) if unread <= 99 else "99+")
    page.goto("/notifications/")
    rows = page.locator(".smk-notifications .smk-unread")
    expect(rows).to_have_count(min(unread, 50))
    assert rows.first.locator(".smk-notification-subject a").get_attribute("href").startswith("/")
    screenshot(page, "notifications", full_page=False)
    rows.first.locator("form button").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(badge).to_contain_text(str(unread - 1))
    page.locator("form[action='/notifications/read/'] button").click()
    expect(page.locator(".smk-notifications .smk-unread")).to_have_count(0)
    expect(badge).to_have_count(0)
    phone = _signed_in(browser, live_server, demo, "sacha", language, PHONE)
    phone.goto("/notifications/")
    _fits(phone)


def test_capture_forms_the_sla_document_and_a_refusal_as_people_see_them(browser, live_server, demo, screenshot):
    from slas.models import SLA

    page = _signed_in(browser, live_server, demo, "marion", "en", DESKTOP)
    page.goto("/leads/capture-forms/")
    expect(page.locator("input[id^=capture-url-]").first).to_have_value(f"{live_server.url}/capture/website-contact/")
    screenshot(page, "capture-forms", full_page=False)
    sla = SLA.objects.filter(status=SLA.Status.ACTIVE).first()
    phone = _signed_in(browser, live_server, demo, "marion", "en", PHONE)
    phone.goto(f"/slas/{sla.pk}/")
    screenshot(phone, "sla-document")
    refused = _signed_in(browser, live_server, demo, "samuel", "fr", DESKTOP)
    assert refused.goto("/webhooks/").status == 403
    expect(refused.locator("main")).to_contain_text("Seuls les responsables d’équipe et les administrateurs")
    expect(refused.locator("main")).to_contain_text("Vous êtes connecté en tant que")
    screenshot(refused, "error-403", full_page=False)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("device", [PHONE, {"viewport": {"width": 1280, "height": 860}}], ids=["phone", "desktop"])
def test_the_sla_list_filters_status_with_chips(browser, live_server, demo, screenshot, language, device):
    """The status filter is a row of toggles (real checkboxes), not a tall multi-select: on a phone
    the filters and the first agreements share the first screen."""
    page = _signed_in(browser, live_server, demo, "marion", language, device)
    page.goto("/slas/")
    chips = page.locator("main form input.btn-check[type=checkbox][name=status]")
    assert chips.count() == 5
    assert page.locator("form select[name=status]").count() == 0
    status_box = page.locator("fieldset:has(input[name=status])").bounding_box()
    assert status_box["height"] <= 110, status_box  # two rows of chips at most, even on a phone
    _fits(page)
    page.locator("label[for=id_status_2]").click()  # "Active": the label is the chip
    expect(page.locator("#id_status_2")).to_be_checked()
    screenshot(page, "sla-list-filters", full_page=False)
    page.locator("main form button.btn-outline-primary[type=submit]").click()
    page.wait_for_url("**status=active**")
    expect(page.locator("#id_status_2")).to_be_checked()
    badges = page.locator("table.smk-stack tbody td .badge").all_inner_texts()
    assert badges and set(badges) == {"Active" if language == "en" else "Actif"}
    _fits(page)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_api_documentation_in_the_readers_language(browser, live_server, demo, screenshot, language):
    """/api/docs/: our header, the schema's summaries and descriptions in the reader's language (the
    schema is fetched with the profile's language); Swagger UI's own buttons stay English."""
    page = _signed_in(browser, live_server, demo, "marion", language, {"viewport": {"width": 1280, "height": 900}})
    page.goto("/api/docs/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    summary = "Move a lead along the funnel" if language == "en" else "Faire avancer un lead dans l’entonnoir"
    expect(page.locator(".opblock-summary-description", has_text=summary)).to_be_visible(timeout=20_000)
    expect(page.locator(".smk-api-header")).to_contain_text("Swagger UI")
    screenshot(page, "api-docs", full_page=False)
