"""When a review meets, and when an action item is due — on the SLA's own calendar.

The review of month M meets on the intervention calendar's review milestone in month M + 1 (the
first milestone of the series whose title names a review, e.g. "Monthly SLA review meeting"),
moved forward to a working day of the SLA's calendar, at 10:00 local time (or the start of that
day's working hours when 10:00 is outside them). With no review milestone it meets on the third
working day of month M + 1.
"""

from __future__ import annotations

import datetime as dt

from slas.clock import Month
from slas.models import SIGNED_STATUSES, SLA, Milestone

from .models import DEFAULT_DURATION_MINUTES

# A milestone is the review meeting when its title holds one of these words (English, French).
REVIEW_WORDS = ("review", "revue", "réunion", "bilan", "retrospective", "rétrospective")
DEFAULT_LOCAL_TIME = dt.time(10)
FALLBACK_WORKING_DAY = 3
END_OF_DAY = dt.time(18)
# How far a date is moved to find a working day before giving up (a calendar with no working day).
SEARCH_DAYS = 60


def is_review_milestone(milestone: Milestone) -> bool:
    title = milestone.title.casefold()
    return any(word in title for word in REVIEW_WORDS)


def review_milestone_day(sla: SLA, month: Month) -> dt.date | None:
    """The first day in ``month`` a review milestone of ``sla``'s series falls on (signed versions only)."""
    milestones = Milestone.objects.filter(sla__series=sla.series, sla__status__in=SIGNED_STATUSES).select_related("sla")
    days = [
        day
        for milestone in milestones
        if is_review_milestone(milestone)
        for day in milestone.occurrences(month.first_day, month.last_day)
    ]
    return min(days) if days else None


def next_working_day(sla: SLA, day: dt.date) -> dt.date:
    """``day`` if the SLA's calendar works on it, else the next day it does (``day`` if none within reach)."""
    calendar = sla.business_calendar
    for offset in range(SEARCH_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    return day


def nth_working_day(sla: SLA, month: Month, number: int) -> dt.date:
    calendar = sla.business_calendar
    day, seen = month.first_day, 0
    for _offset in range(SEARCH_DAYS):
        if calendar.is_working_day(day):
            seen += 1
            if seen == number:
                return day
        day += dt.timedelta(days=1)
    return month.first_day


def meeting_start(sla: SLA, day: dt.date) -> dt.datetime:
    """10:00 local on ``day`` when it is working time, else the start of the day's first working interval."""
    calendar = sla.business_calendar
    preferred = dt.datetime.combine(day, DEFAULT_LOCAL_TIME, tzinfo=calendar.tz)
    intervals = calendar.intervals_on(day)
    if not intervals or any(start <= preferred < end for start, end in intervals):
        return preferred.astimezone(dt.UTC)
    later = [start for start, _end in intervals if start >= preferred]
    return (later[0] if later else intervals[0][0]).astimezone(dt.UTC)


def default_slot(sla: SLA, month: Month) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the review of ``month``: see the module docstring."""
    following = month.next()
    day = review_milestone_day(sla, following) or nth_working_day(sla, following, FALLBACK_WORKING_DAY)
    start = meeting_start(sla, next_working_day(sla, day))
    return start, start + dt.timedelta(minutes=DEFAULT_DURATION_MINUTES)


def due_at(sla: SLA, day: dt.date) -> dt.datetime:
    """An action item due on ``day`` is due at the end of that day's working hours (18:00 local when
    the day has none), in the SLA's time zone."""
    calendar = sla.business_calendar
    intervals = calendar.intervals_on(day)
    if intervals:
        return intervals[-1][1]
    return dt.datetime.combine(day, END_OF_DAY, tzinfo=calendar.tz).astimezone(dt.UTC)
