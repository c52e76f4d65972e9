"""Every page of the site, for the walks (CSP, French, phone): the GET cases of the permission matrix.

The matrix must hold every URL pattern (``test_every_url_pattern_is_in_the_table``), and each of
its cases gives a parametrised URL a real object of the matrix's world, so a new page cannot escape
a walk. ``page_paths(world, role)`` lists the pages ``role`` may open, API endpoints and files left out.
"""

from __future__ import annotations

from smarketing.tests.test_permission_matrix import ALL_CASES, World

# Not HTML pages a browser renders: files, data, redirects to files, or nothing at all.
NOT_PAGES = {
    "api-schema",
    "reporting:report_csv",
    "reporting:report_xlsx",
    "reporting:report_pdf",
    "reviews:minutes_pdf",
    "reviews:invitation",
    "calendar_feed",
    "healthz",
    "admin:autocomplete",
    "admin:jsi18n",
    "admin:view_on_site",
    "admin/(?P<url>.*)$",
}


def page_paths(world: World, role: str, *, admin: bool = True) -> list[str]:
    """The paths of the HTML pages ``role`` may GET, in the order of the matrix (``admin=False``:
    without the Django admin's generated pages)."""
    found = []
    for name, cases in sorted(ALL_CASES.items()):
        if name in NOT_PAGES or (not admin and name.startswith(("admin:", "admin/"))):
            continue
        for case in cases:
            path = case.path(world)
            if case.method == "get" and role in case.allowed and not path.startswith("/api/v1/"):
                found.append(path)
    return found
