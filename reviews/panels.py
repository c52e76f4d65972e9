"""What reviews add to the pages of the apps below it, through ``smarketing.hooks``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import FollowUp
from slas.models import SLA

from .models import Decision, Review


def dashboard_panel(*, request, slas: list[SLA], now: dt.datetime | None = None, **kwargs) -> dict | None:
    """The next review of each series on the dashboard, and the open action items per team."""
    now = now or timezone.now()
    series = {sla.series for sla in slas}
    upcoming = {}
    for review in Review.objects.upcoming(now).filter(series__in=series).select_related("sla"):
        upcoming.setdefault(review.series, review)
    open_items = FollowUp.objects.open().filter(kind=FollowUp.Kind.ACTION_ITEM)
    per_team = (
        open_items.values("owner_team", "owner_team__name")
        .annotate(count=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by("owner_team__name")
    )
    if not upcoming and not per_team:
        return None
    return {
        "template": "reviews/_dashboard_panel.html",
        "context": {
            "next_reviews": sorted(upcoming.values(), key=lambda review: review.scheduled_at),
            "action_items_per_team": list(per_team),
        },
    }


def sla_links(*, sla: SLA, **kwargs) -> list[dict]:
    """On an SLA version's page: the review decisions that opened it as an amendment."""
    decisions = Decision.objects.filter(amendment=sla).select_related("review")
    return [
        {
            "label": _("Proposed in “%(review)s”: %(text)s")
            % {"review": decision.review.display_title, "text": decision.text[:120]},
            "url": decision.get_absolute_url(),
        }
        for decision in decisions
    ]
