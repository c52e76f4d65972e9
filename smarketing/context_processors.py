"""The navigation bar of every page (the role label beside it comes from ``slas.context_processors``)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# (label, URL name, Bootstrap icon). Entries whose page is not installed are left out.
NAVIGATION = [
    (_("Dashboard"), "home", "speedometer2"),
    (_("Leads"), "leads:list", "people"),
    (_("Pipeline"), "leads:board", "kanban"),
    (_("My follow-ups"), "leads:followups", "alarm"),
    (_("SLAs"), "slas:list", "file-earmark-check"),
    (pgettext_lazy("main navigation", "Goal planner"), "slas:goal_planner", "bullseye"),  # short in French
    (_("Reports"), "reporting:report_list", "bar-chart"),
    (_("Reviews"), "reviews:list", "journal-check"),
    (_("Notifications"), "notifications:list", "bell"),
]


def navigation(request):
    items = []
    for label, name, icon in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "icon": icon, "active": False, "name": name})
    # One highlighted entry: the longest URL the page is under (the board is not also "Leads").
    matches = [
        item
        for item in items
        if request.path == item["url"] or (item["url"] != "/" and request.path.startswith(item["url"]))
    ]
    if matches:
        max(matches, key=lambda item: len(item["url"]))["active"] = True
    return {"nav_items": items}
