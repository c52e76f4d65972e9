"""Issue 17: every page works on a 390 px phone — no sideways scrolling, nothing wider than the screen.

The pages are those of the permission matrix (``smarketing.tests.pages``), each with a real object of
its world, opened in Chromium at 390×844 by the roles that together may open all of them (the
administrator, the webhook owner and an anonymous visitor), in English and in French (French words
are longer). On each page: ``document.documentElement.scrollWidth <= window.innerWidth``, and no
element is wider than the viewport (a wide table inside a scroll box counts: the page must lay it
out for a phone, as cards or stacked cells).
"""

from __future__ import annotations

import pytest

from smarketing.tests.pages import page_paths
from smarketing.tests.test_permission_matrix import PASSWORD, build_world

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 1}
# Elements wider than the screen (at most five per page), and the page's own width.
OVERFLOW = """() => {
    const width = window.innerWidth;
    const wide = [];
    for (const element of document.body.querySelectorAll('*')) {
        const box = element.getBoundingClientRect();
        // What the page shows (a closed <details> or a hidden panel is not shown until opened).
        if (box.width > width + 1 && element.checkVisibility({visibilityProperty: true})) {
            const classes = element.classList.length ? '.' + [...element.classList].join('.') : '';
            const id = element.id ? '#' + element.id : '';
            wide.push(`${element.tagName.toLowerCase()}${id}${classes} ${Math.round(box.width)}px`);
        }
    }
    return {scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(-5)};
}"""


def speak(world, language: str) -> None:
    """Every user of the world reads ``language``: a signed-in user's profile wins over the browser's locale."""
    from slas.models import Profile

    for user in world.users.values():
        Profile.objects.update_or_create(user=user, defaults={"language": language})


def phone_problems(page, paths: list[str]) -> list[str]:
    problems = []
    for path in paths:
        response = page.goto(path, wait_until="load")
        assert response is not None and response.status < 500, (path, response and response.status)
        found = page.evaluate(OVERFLOW)
        if found["scrollWidth"] > found["width"] or found["wide"]:
            problems.append(
                f"{path}: scrollWidth {found['scrollWidth']} > {found['width']}; " + ", ".join(found["wide"])
            )
    return problems


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_page_fits_a_390_px_phone(browser, live_server, settings, transactional_db, language):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    world = build_world()
    speak(world, language)
    problems = []
    seen: set[str] = set()
    for role in ("admin", "mkt_manager", "anonymous"):
        context = browser.new_context(base_url=live_server.url, locale=language, **PHONE)
        page = context.new_page()
        if role != "anonymous":
            page.goto("/accounts/login/")
            page.locator("#id_username").fill(role)
            page.locator("#id_password").fill(PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
        paths = [path for path in page_paths(world, role, admin=False) if path not in seen]
        seen.update(paths)
        page.goto("/accounts/login/" if role == "anonymous" else "/")
        assert page.locator("html").get_attribute("lang") == language, (role, "reads the page in another language")
        problems += phone_problems(page, paths)
        context.close()
    assert len(seen) > 40
    assert not problems, "pages wider than a 390 px phone:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_expanded_navigation_fits_every_desktop_width(browser, live_server, settings, transactional_db, language):
    """From 1200 px the navigation is one line; in French its labels are longer (it overflowed at 1280)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    world = build_world()
    speak(world, language)
    user = world.users["admin"]
    user.first_name, user.last_name = "Marie-Christine", "de La Rochefoucauld-Montbel"  # a long name, too
    user.save()
    context = browser.new_context(base_url=live_server.url, locale=language, viewport={"width": 1200, "height": 800})
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    problems = []
    for width in (1200, 1280, 1366, 1440, 1536, 1680, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/notifications/")
        assert page.locator("html").get_attribute("lang") == language
        found = page.evaluate(OVERFLOW)
        items = page.locator("#mainnav .nav-link").count()
        right = page.evaluate("() => document.querySelector('#usermenu').getBoundingClientRect().right")
        top = page.evaluate(
            "() => [...document.querySelectorAll('#mainnav .nav-link')].map(a => a.getBoundingClientRect().top)"
        )
        if found["scrollWidth"] > width or found["wide"] or right > width or len(set(top)) > 1 or items < 9:
            problems.append(
                f"{width}px: scrollWidth {found['scrollWidth']}, menu ends at {right}, rows {set(top)} {found['wide']}"
            )
    context.close()
    assert not problems, "\n".join(problems)
