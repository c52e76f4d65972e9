from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (label, URL name, Bootstrap icon). Entries whose page is not installed are left out.
NAVIGATION = [
    (_("Dashboard"), "home", "speedometer2"),
    (_("Leads"), "leads:list", "people"),
    (_("Pipeline"), "leads:board", "kanban"),
    (_("My follow-ups"), "leads:followups", "alarm"),
    (_("SLAs"), "slas:list", "file-earmark-check"),
    (_("Goal planner"), "slas:goal_planner", "bullseye"),
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
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"label": label, "url": url, "icon": icon, "active": active})
    role = ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from slas.permissions import role_summary

        role = role_summary(user)
    return {"nav_items": items, "nav_role": role}
