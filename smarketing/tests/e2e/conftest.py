"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Fixtures (see each docstring):

- ``browser`` (package): one headless Chromium for all browser tests; the tests are skipped, with
  the reason printed, when Chromium or Playwright is missing.
- ``people``: the demo teams and users of ``smarketing.demo.seed_people()`` (admin, marion,
  mathis, maya, sacha, samuel, sofia, victor; password ``DEMO_PASSWORD``) in the live
  server's database.
- ``active_sla``: an active SLA between those two teams covering last month and this one.
- ``new_page(device="desktop"|"phone", language="en")``: a fresh browser context and page whose
  relative URLs go to the live server; ``page`` and ``phone_page`` are the two usual ones. Any
  Content-Security-Policy violation on any page the test opened fails the test.
- ``login(page, username)``: signs in through the real form and waits for the dashboard.
- ``screenshot(page, name)``: saves ``test-artifacts/screenshots/<name>-<lang>-<device>.png``.
- ``axe(page)``: runs axe-core and returns the serious and critical violations;
  ``assert_no_axe_violations(page)`` fails with a readable list.

A flow test is a plain function in this folder (marked ``e2e`` automatically) asking for
these fixtures::

    def test_a_manager_hands_off_an_mql(page, login, people, active_sla, screenshot):
        login(page, "marion")
        page.goto("/leads/")
        page.get_by_role("button", name="Hand off").click()
        expect(page.get_by_role("status")).to_contain_text("handed off")
        screenshot(page, "leads-list")

A forbidden action is checked with the response of ``page.goto``:
``assert page.goto("/slas/1/edit/").status == 403``. Each test starts with an empty database
(``transactional_db``); create data with the services or the factories, in the test itself.
``make e2e`` (``pytest -m e2e``) runs only the browser tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 860}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
PHONE_MAX_WIDTH = 576  # Bootstrap's "sm" breakpoint
SCREENSHOT_DIR = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Fail fast: a page of this app answers in well under this many milliseconds.
DEFAULT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test, whether or not it says so."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def chromium_executable() -> str | None:
    """Debian's Chromium (CHROMIUM_PATH wins): Playwright never downloads a browser here."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    return path if path and Path(path).exists() else None


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium shared by the browser tests (a launch costs about a second).

    While Playwright's sync API is alive, an asyncio loop counts as running in this thread,
    and Django refuses ORM calls there unless DJANGO_ALLOW_ASYNC_UNSAFE says it is deliberate.
    The variable is set only for as long as the browser lives (this package's tests), because
    subprocesses started by other tests would inherit it (``check --deploy`` rejects it).
    """
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH); CI installs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -r requirements-dev.txt)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def people(transactional_db):
    """The demo teams and users (``context.users["marion"]``…), visible to the live server."""
    from smarketing.demo import seed_people

    return seed_people()


@pytest.fixture
def active_sla(people):
    """An SLA in force this month between the demo "marketing" and "sales" teams.

    Built by ``slas.tests.factories.make_sla`` (09:00–18:00 Monday–Friday, French holidays,
    three maturity rules, all nine commitments), from the first of last month to a year on.
    """
    import datetime as dt

    from django.utils import timezone

    from slas.models import SLA
    from slas.tests.factories import make_sla

    first_of_month = timezone.localdate().replace(day=1)
    start = (first_of_month - dt.timedelta(days=1)).replace(day=1)
    return make_sla(
        people.teams["marketing"],
        people.teams["sales"],
        start=start,
        end=start.replace(year=start.year + 1),
        status=SLA.Status.ACTIVE,
    )


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable]:
    """Open a page in a fresh context (own cookies): ``new_page(device="phone", language="fr")``.

    ``language`` sets the browser's Accept-Language; relative URLs (``page.goto("/")``) go to
    the live server. Every context is closed at the end of the test.
    """
    contexts = []
    csp_violations: list[str] = []

    def open_page(device: str = "desktop", language: str = "en"):
        context = browser.new_context(base_url=live_server.url, locale=language, **DEVICES[device])
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda message: _record_csp_violation(message, page, csp_violations))
        return page

    yield open_page
    for context in contexts:
        context.close()
    # Every page any browser test opened ran under the Content-Security-Policy: none was blocked.
    assert not csp_violations, "Content-Security-Policy violations:\n" + "\n".join(csp_violations)


def _record_csp_violation(message, page, violations: list[str]) -> None:
    """Chromium reports each blocked script, style or resource as a console error."""
    if message.type == "error" and "Content Security Policy" in message.text:
        violations.append(f"{page.url}: {message.text}")


@pytest.fixture
def page(new_page):
    """A desktop (1280 px) page in English."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A phone-sized (375×812, touch) page in English."""
    return new_page(device="phone")


@pytest.fixture
def login(people) -> Callable:
    """``login(page, "marion")``: sign in through the login form, then wait for the dashboard."""
    from smarketing.demo import DEMO_PASSWORD

    def sign_in(page, username: str, password: str = DEMO_PASSWORD, *, next_url: str = "") -> None:
        page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
        page.locator("#id_username").fill(username)
        page.locator("#id_password").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in


@pytest.fixture
def screenshot() -> Callable:
    """``screenshot(page, "dashboard")`` saves ``test-artifacts/screenshots/dashboard-en-desktop.png``.

    The language is read from ``<html lang>``, the device from the page; full-page by default.
    Returns the file's path.
    """

    def take(page, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        language = page.evaluate("document.documentElement.lang") or "xx"
        device = "phone" if page.viewport_size["width"] < PHONE_MAX_WIDTH else "desktop"
        path = SCREENSHOT_DIR / f"{name}-{language}-{device}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    return take


def _axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: an injected <script> would be (rightly) blocked
        # by the page's Content-Security-Policy.
        page.evaluate(AXE_SCRIPT.read_text())
    results = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
        })"""
    )
    return [violation for violation in results["violations"] if violation["impact"] in impacts]


def format_axe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines += [f"    {' '.join(node['target'])}: {node['failureSummary']}" for node in violation["nodes"][:5]]
    return "\n".join(lines)


@pytest.fixture
def axe() -> Callable:
    """``axe(page)`` → the page's serious and critical axe-core violations (list of dicts)."""
    if not AXE_SCRIPT.exists():
        pytest.skip(f"axe-core is not installed at {AXE_SCRIPT} (npm install)")
    return _axe_violations


@pytest.fixture
def assert_no_axe_violations(axe) -> Callable:
    """``assert_no_axe_violations(page)`` fails listing every serious or critical violation."""

    def check(page) -> None:
        violations = axe(page)
        assert not violations, f"axe-core on {page.url}:\n{format_axe_violations(violations)}"

    return check
