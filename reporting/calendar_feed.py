"""The private iCalendar feed of a user: open follow-ups (due times) and their teams' SLA milestones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from icalendar import Calendar, Event

from leads.models import FollowUp
from slas.models import SLA, Membership, Milestone

# Repeating milestones are expanded this many months ahead (and one back).
MILESTONE_MONTHS_AHEAD = 12


def user_feed(user, *, now: dt.datetime | None = None) -> bytes:
    """The user's feed as iCalendar bytes; follow-up times are in their SLA's time zone."""
    now = now or timezone.now()
    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "smarketing"
    feed = Calendar()
    feed.add("prodid", "-//smarketing//calendar feed//EN")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", "smarketing")
    followups = FollowUp.objects.open().mine(user).select_related("lead", "sla__calendar").order_by("due_at", "pk")
    for followup in followups:
        tz = ZoneInfo(followup.sla.time_zone) if followup.sla else dt.UTC
        event = Event()
        event.add("uid", f"followup-{followup.pk}@{host}")
        event.add("summary", f"{followup.get_kind_display()}: {followup.lead}")
        event.add("dtstart", followup.due_at.astimezone(tz))
        event.add("dtend", followup.due_at.astimezone(tz) + dt.timedelta(minutes=15))
        event.add("dtstamp", now)
        event.add("url", f"{settings.SITE_URL}/leads/{followup.lead_id}/")
        feed.add_component(event)
    # Every signed version of the user's teams' SLAs: each lists its milestones only on the days
    # it governs (``Milestone.occurrences``), so a series shows each review once across amendments.
    team_ids = Membership.objects.filter(user=user).values("team_id")
    slas = SLA.objects.signed().filter(Q(marketing_team_id__in=team_ids) | Q(sales_team_id__in=team_ids))
    milestones = Milestone.objects.filter(sla__in=slas).select_related("sla", "owner_team").order_by("due_date", "pk")
    first, horizon = now.date() - dt.timedelta(days=31), (now + dt.timedelta(days=31 * MILESTONE_MONTHS_AHEAD)).date()
    for milestone in milestones:
        for day in milestone.occurrences(first, horizon):
            event = Event()
            event.add("uid", f"milestone-{milestone.pk}-{day.isoformat()}@{host}")
            event.add("summary", f"{milestone.title} ({milestone.sla.title})")
            event.add("dtstart", day)
            event.add("dtend", day + dt.timedelta(days=1))
            event.add("dtstamp", now)
            event.add("description", str(milestone.owner_team))
            feed.add_component(event)
    feed.add_missing_timezones()
    return feed.to_ical()
