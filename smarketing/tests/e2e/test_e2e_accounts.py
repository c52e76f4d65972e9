"""The pages every user meets first, in a real browser: sign-in, dashboard, language, phone."""

from __future__ import annotations

import re

import pytest
from django.core import mail

expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

pytestmark = pytest.mark.e2e

DASHBOARD = {"en": "Dashboard", "fr": "Tableau de bord"}


ROLES = [
    # (username, full name, the language the dashboard speaks)
    ("admin", "Ada Admin", "en"),
    ("marion", "Marion Martin", "fr"),  # the marketing manager saved French in her profile
    ("samuel", "Samuel Sanchez", "en"),  # sales member
    ("victor", "Victor Vidal", "en"),  # viewer
]


def test_each_role_signs_in_and_sees_the_dashboard(new_page, login):
    # One test for the four roles: each in its own browser context, one database set-up.
    for username, full_name, language in ROLES:
        page = new_page()
        login(page, username)

        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_text(DASHBOARD[language])
        expect(page.locator("#usermenu")).to_contain_text(full_name)


def test_a_wrong_password_shows_an_error_and_stays_signed_out(page, login, people):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("sacha")
    page.locator("#id_password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("main .alert-danger")).to_contain_text("correct username and password")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("#usermenu")).to_have_count(0)


def test_sign_out_from_the_user_menu(page, login):
    login(page, "sacha")
    page.locator("#usermenu").click()
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/"))


def test_the_first_run_dashboard_tells_an_admin_what_to_do(page, login, screenshot):
    login(page, "admin")

    guide = page.get_by_role("region", name="Getting started")
    expect(guide).to_contain_text("2 teams exist.")
    expect(guide).to_contain_text("Draft an SLA")
    screenshot(page, "dashboard-first-run")
    guide.get_by_role("link", name="Manage teams").click()

    expect(page).to_have_url(re.compile(r"/admin/slas/team/"))
    expect(page.locator("#result_list")).to_contain_text("Inside sales")
    screenshot(page, "admin-teams")


def test_a_viewer_is_not_offered_team_management(page, login):
    login(page, "victor")

    expect(page.get_by_role("region", name="Getting started")).to_be_visible()
    expect(page.get_by_role("link", name="Manage teams")).to_have_count(0)
    page.locator("#usermenu").click()
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)


def test_switching_to_french_and_back(page, login, screenshot):
    login(page, "sacha")
    screenshot(page, "dashboard")

    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    screenshot(page, "dashboard")

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_the_login_page_follows_the_browser_language(new_page, screenshot):
    page = new_page(language="fr")
    page.goto("/accounts/login/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    screenshot(page, "login")


def test_change_password_then_sign_in_with_the_new_one(page, login, screenshot, assert_no_axe_violations):
    login(page, "samuel")
    page.locator("#usermenu").click()
    page.get_by_role("link", name="Change password").click()
    assert_no_axe_violations(page)
    screenshot(page, "password-change")

    page.locator("#id_old_password").fill("demo-smarketing")
    page.locator("#id_new_password1").fill("An0ther-long-secret")
    page.locator("#id_new_password2").fill("An0ther-long-secret")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")

    page.context.clear_cookies()
    login(page, "samuel", "An0ther-long-secret")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_reset_a_forgotten_password_through_the_emailed_link(page, login, screenshot):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    screenshot(page, "password-reset")
    page.locator("#id_email").fill("sofia@demo.smarketing.localhost")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/reset/\S+", mail.outbox[0].body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.locator("#id_new_password1").fill("Brand-new-secret-42")
    page.locator("#id_new_password2").fill("Brand-new-secret-42")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password set")

    login(page, "sofia", "Brand-new-secret-42")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_on_a_phone_the_menu_collapses_and_the_toggler_opens_it(new_page, login, screenshot):
    page = new_page(device="phone")
    page.goto("/accounts/login/")
    screenshot(page, "login")
    login(page, "sacha")

    nav_link = page.locator("#mainnav").get_by_role("link", name="Dashboard")
    expect(nav_link).to_be_hidden()
    screenshot(page, "dashboard")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "the page scrolls sideways on a phone"

    page.get_by_role("button", name="Toggle navigation").click()
    expect(nav_link).to_be_visible()
    expect(page.locator("#usermenu")).to_be_visible()
    screenshot(page, "dashboard-menu-open", full_page=False)
    nav_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    french = new_page(device="phone")
    login(french, "marion")
    expect(french.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    screenshot(french, "dashboard")


def test_the_skip_link_is_the_first_tab_stop_and_jumps_to_the_content(page, login):
    login(page, "sacha")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("#main")).to_be_focused()


def test_the_main_pages_have_no_serious_accessibility_violations(new_page, login, assert_no_axe_violations):
    page = new_page()
    for path in ["/accounts/login/", "/accounts/password_reset/"]:
        page.goto(path)
        assert_no_axe_violations(page)
    for language in ["en", "fr"]:
        page = new_page(language=language)
        login(page, "admin")
        assert_no_axe_violations(page)
        page.locator("#usermenu").click()
        assert_no_axe_violations(page)


def test_status_badges_carry_an_icon_and_pass_contrast(page, people, screenshot, assert_no_axe_violations):
    # No page on this branch shows statuses yet: render the house classes into a real page.
    page.goto("/accounts/login/")
    page.locator("main").evaluate(
        """main => { main.innerHTML = ['met', 'missed', 'at_risk', 'on_track', 'no_data'].map(status =>
            `<p><span class="status-${status}">${status.replace('_', ' ')}</span>
             <span class="progress d-inline-flex w-50" role="progressbar" aria-label="${status}"
                   aria-valuenow="60" aria-valuemin="0" aria-valuemax="100">
             <span class="progress-bar bar-${status} smk-pct-60"></span></span></p>`).join(''); }"""
    )
    icons = page.locator("main [class^=status-]").evaluate_all(
        "badges => badges.map(badge => getComputedStyle(badge, '::before').content)"
    )
    assert len(icons) == 5
    assert all(icon not in ("none", "normal", '""') for icon in icons), icons
    assert_no_axe_violations(page)
    screenshot(page, "status-badges", full_page=False)


def test_the_getting_started_guide_gives_way_once_an_sla_exists(page, login, active_sla):
    login(page, "sacha")

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("region", name="Getting started")).to_have_count(0)
