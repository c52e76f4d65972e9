"""The private iCalendar feed of a user: open follow-ups (due times) and their teams' SLA milestones.

What a subscriber sees (RFC 5545): titles and descriptions in the user's profile language (not the
fetching client's ``Accept-Language``); each follow-up with its lead, company, owner, the SLA rule
that set its due time and a link; due times at the business-time instant the SLA counts (to the
minute, never in the middle of the night); milestones on the last working day when their date
falls on a closed day; one RRULE-based ``VTIMEZONE`` per time zone (Outlook ignores a list of dates).
Done follow-ups leave the feed; a changed due time bumps the event's ``SEQUENCE``.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from leads.models import FollowUp
from slas.models import SLA, Membership, Milestone, Profile

# Repeating milestones are expanded this many months ahead (and one back).
MILESTONE_MONTHS_AHEAD = 12


def business_due(followup: FollowUp) -> dt.datetime:
    """The instant a follow-up is due in business time, to the minute.

    A due time computed across a closed period (a night, a weekend) is the end of the last business
    hour before it: no business time passes in between, so that is when the SLA is missed.
    """
    due = followup.due_at.replace(second=0, microsecond=0)
    sla = followup.sla
    if sla is None:
        return due
    calendar = sla.business_calendar
    if calendar.is_working_time(due):
        return due
    day = calendar.local_date(due)
    for _step in range(31):
        ends = [end for _start, end in calendar.intervals_on(day) if end <= due]
        if ends:
            return max(ends)
        day -= dt.timedelta(days=1)
    return due


def last_working_day(sla: SLA, day: dt.date) -> dt.date:
    """``day``, or the working day before it when the SLA's calendar is closed that day."""
    calendar = sla.business_calendar
    moved = day
    for _step in range(31):
        if calendar.is_working_day(moved):
            return moved
        moved -= dt.timedelta(days=1)
    return day


def _sequence(followup: FollowUp) -> int:
    """Grows whenever the due time moves later (the usual change: a new window); minutes since creation."""
    return max(int((followup.due_at - followup.created_at).total_seconds() // 60), 0)


def user_feed(user, *, now: dt.datetime | None = None) -> bytes:
    """The user's feed as iCalendar bytes, in their profile's language."""
    language = Profile.for_user(user).language
    with translation.override(language):
        return _feed(user, now=now or timezone.now())


def _feed(user, *, now: dt.datetime) -> bytes:
    from .emails import followup_facts

    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "smarketing"
    feed = Calendar()
    feed.add("prodid", "-//smarketing//calendar feed//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", _("smarketing: my follow-ups and milestones"))
    zones: set[str] = set()
    followups = (
        FollowUp.objects.open()
        .mine(user)
        .select_related("lead", "sla__calendar", "owner_user", "owner_team")
        .order_by("due_at", "pk")
    )
    for followup in followups:
        tz = ZoneInfo(followup.sla.time_zone) if followup.sla else dt.UTC
        with timezone.override(tz):
            facts = followup_facts(followup, now=now)
        due = business_due(followup).astimezone(tz)
        event = Event()
        event.add("uid", f"followup-{followup.pk}@{host}")
        event.add("sequence", _sequence(followup))
        event.add("summary", f"{facts['kind']}: {facts['subject']}")
        event.add("dtstart", due)
        event.add("dtend", due + dt.timedelta(minutes=15))
        event.add("dtstamp", now)
        event.add("url", facts["url"])
        event.add("description", _followup_description(facts))
        event.add("categories", [str(facts["kind"])])
        event.add("status", "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        feed.add_component(event)
        if followup.sla:
            zones.add(followup.sla.time_zone)
    # Every signed version of the user's teams' SLAs: each lists its milestones only on the days
    # it governs (``Milestone.occurrences``), so a series shows each review once across amendments.
    team_ids = Membership.objects.filter(user=user).values("team_id")
    slas = SLA.objects.signed().filter(Q(marketing_team_id__in=team_ids) | Q(sales_team_id__in=team_ids))
    milestones = (
        Milestone.objects.filter(sla__in=slas)
        .select_related("sla__calendar", "owner_team")
        .prefetch_related("sla__calendar__hours", "sla__calendar__closed_dates")
        .order_by("due_date", "pk")
    )
    first, horizon = now.date() - dt.timedelta(days=31), (now + dt.timedelta(days=31 * MILESTONE_MONTHS_AHEAD)).date()
    for milestone in milestones:
        for day in milestone.occurrences(first, horizon):
            shown = last_working_day(milestone.sla, day)
            event = Event()
            event.add("uid", f"milestone-{milestone.pk}-{day.isoformat()}@{host}")
            event.add("sequence", 0)
            event.add("summary", f"{milestone.title} ({milestone.sla.title})")
            event.add("dtstart", shown)
            event.add("dtend", shown + dt.timedelta(days=1))
            event.add("dtstamp", now)
            lines = [_("Owner: %(team)s") % {"team": milestone.owner_team}]
            if shown != day:
                lines.append(
                    _("Due on %(day)s, a closed day: shown on the last working day before it.")
                    % {"day": day.isoformat()}
                )
            event.add("description", "\n".join(lines))
            event.add("transp", "TRANSPARENT")
            feed.add_component(event)
    for name in sorted(zones):
        component = vtimezone(name)
        if component is not None:
            feed.add_component(component)
    return feed.to_ical()


def _followup_description(facts: dict) -> str:
    lines = []
    if facts["lead"] is not None:
        lead = facts["lead"].display_name + (f" · {facts['company']}" if facts["company"] else "")
        lines.append(_("Lead: %(lead)s") % {"lead": lead})
        lines.append(_("Stage: %(stage)s") % {"stage": facts["stage"]})
    lines.append(_("Owner: %(team)s") % {"team": facts["owner"]})
    if facts["rule"]:
        lines.append(_("SLA rule: %(rule)s") % {"rule": facts["rule"]})
    lines.append(facts["url"])
    return "\n".join(lines)


# --- RRULE-based VTIMEZONE from the zone's POSIX rule -------------------------------------------

_POSIX = re.compile(
    r"^(?P<std><[^>]+>|[A-Za-z]+)(?P<stdoff>[-+]?\d+(?::\d+)*)"
    r"(?:(?P<dst><[^>]+>|[A-Za-z]+)(?P<dstoff>[-+]?\d+(?::\d+)*)?"
    r",M(?P<sm>\d+)\.(?P<sw>\d)\.(?P<sd>\d)(?:/(?P<st>[-+]?\d+(?::\d+)*))?"
    r",M(?P<em>\d+)\.(?P<ew>\d)\.(?P<ed>\d)(?:/(?P<et>[-+]?\d+(?::\d+)*))?)?$"
)
_DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]


def _posix_rule(name: str) -> str | None:
    """The POSIX TZ string at the end of the zone's TZif file (``CET-1CEST,M3.5.0,M10.5.0/3``)."""
    import importlib.resources

    try:
        path = importlib.resources.files("tzdata").joinpath("zoneinfo", *name.split("/"))
        data = path.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        try:
            with open(f"/usr/share/zoneinfo/{name}", "rb") as handle:
                data = handle.read()
        except OSError:
            return None
    lines = data.rstrip(b"\n").split(b"\n")
    return lines[-1].decode() if data.startswith(b"TZif") and len(lines) > 1 else None


def _hours(text: str | None, default: int = 2) -> dt.timedelta:
    if not text:
        return dt.timedelta(hours=default)
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * dt.timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


def _name(text: str) -> str:
    return text.strip("<>")


def vtimezone(name: str) -> Timezone | None:
    """A VTIMEZONE with one STANDARD and one DAYLIGHT sub-component, each with a yearly RRULE."""
    rule = _posix_rule(name)
    match = _POSIX.match(rule or "")
    if match is None:
        return None
    # POSIX offsets are west-positive: "CET-1" is UTC+1.
    standard = -_hours(match["stdoff"], 0)
    component = Timezone()
    component.add("tzid", name)
    if not match["dst"]:
        part = TimezoneStandard()
        part.add("tzname", _name(match["std"]))
        part.add("dtstart", dt.datetime(1970, 1, 1))
        part.add("tzoffsetfrom", standard)
        part.add("tzoffsetto", standard)
        component.add_component(part)
        return component
    daylight = -_hours(match["dstoff"], 0) if match["dstoff"] else standard + dt.timedelta(hours=1)

    def transition(kind, tzname, month, week, day, at, offset_from, offset_to):
        part = kind()
        part.add("tzname", tzname)
        start = _first_occurrence(1970, int(month), int(week), int(day)) + _hours(at)
        part.add("dtstart", start)
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        by_day = f"{-1 if week == '5' else int(week)}{_DAYS[int(day)]}"
        part.add("rrule", {"freq": "yearly", "bymonth": int(month), "byday": by_day})
        return part

    component.add_component(
        transition(
            TimezoneDaylight,
            _name(match["dst"]),
            match["sm"],
            match["sw"],
            match["sd"],
            match["st"],
            standard,
            daylight,
        )
    )
    component.add_component(
        transition(
            TimezoneStandard,
            _name(match["std"]),
            match["em"],
            match["ew"],
            match["ed"],
            match["et"],
            daylight,
            standard,
        )
    )
    return component


def _first_occurrence(year: int, month: int, week: int, weekday: int) -> dt.datetime:
    """The ``week``-th (5 = last) ``weekday`` (0 = Sunday) of ``month`` in ``year``, at midnight."""
    first = dt.date(year, month, 1)
    offset = (weekday - (first.isoweekday() % 7)) % 7
    day = first + dt.timedelta(days=offset + 7 * (week - 1))
    while day.month != month:
        day -= dt.timedelta(days=7)
    return dt.datetime(day.year, day.month, day.day)
