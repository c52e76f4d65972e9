"""Issue 13: every page runs under the Content-Security-Policy without a single violation.

The pages are those of the permission matrix (smarketing/tests/test_permission_matrix.py): each
page an administrator may open, each page a manager opens for their own webhooks, and the public
pages, loaded in Chromium. The ``new_page`` fixture fails the test on
any Content-Security-Policy error Chromium reports (a blocked inline script, handler or style).
"""

from __future__ import annotations

import pytest

from smarketing.tests.pages import page_paths
from smarketing.tests.test_permission_matrix import build_world

pytestmark = pytest.mark.e2e


def _visit_all(page, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(path, wait_until="load")
        assert response is not None and response.status < 500, (path, response and response.status)


def test_no_page_breaks_the_content_security_policy(new_page, settings, transactional_db):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    world = build_world()
    for role in ("admin", "mkt_manager"):
        page = new_page()
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(role)
        page.locator("#id_password").fill("pass-word-123")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        paths = page_paths(world, role)
        assert len(paths) > (60 if role == "admin" else 20)
        _visit_all(page, paths)
    _visit_all(new_page(), page_paths(world, "anonymous"))
