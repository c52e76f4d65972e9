"""Business-time arithmetic for an SLA's working calendar.

Durations are real elapsed time inside working intervals: each interval's ends are local
wall-clock times in the calendar's time zone, turned into aware datetimes, so an interval
that spans a DST change counts the hours that really pass. Weekends (days with no interval),
a country's public holidays (the ``holidays`` library) and extra closed dates are skipped.

``BusinessCalendar`` is plain Python (no database), so it can be property-tested quickly;
``slas.models.WorkingCalendar`` builds one from its rows and delegates to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays as holidays_lib

# How far the clock searches for working time. The SLA's bounds (``slas.models``: at most 2,000
# business hours or 60 business days, at least one working hour a week, at most 366 extra closed
# dates) need at most ~2,400 weeks in the worst case, so every allowed deadline is found; a
# calendar with no working time at all fails loudly instead of looping forever.
MAX_SEARCH_DAYS = 60 * 366

Interval = tuple[dt.time, dt.time]


class NoWorkingTime(ValueError):
    """The calendar has no working time in the searched range."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday (0 = Monday), holidays and closed dates in a time zone."""

    time_zone: str
    weekly: Mapping[int, tuple[Interval, ...]]
    country: str = ""
    subdivision: str = ""
    closed_dates: frozenset[dt.date] = field(default_factory=frozenset)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def _holiday_cache(self) -> dict[int, frozenset[dt.date]]:
        return {}

    def holidays_in(self, year: int) -> frozenset[dt.date]:
        if not self.country:
            return frozenset()
        cache = self._holiday_cache
        if year not in cache:
            calendar = holidays_lib.country_holidays(self.country, subdiv=self.subdivision or None, years=year)
            cache[year] = frozenset(calendar.keys())
        return cache[year]

    def is_closed(self, day: dt.date) -> bool:
        return day in self.closed_dates or day in self.holidays_in(day.year)

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.weekly.get(day.weekday())) and not self.is_closed(day)

    @cached_property
    def _interval_cache(self) -> dict[dt.date, tuple[tuple[dt.datetime, dt.datetime], ...]]:
        return {}

    def intervals_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The day's working intervals as aware datetimes (UTC), in order.

        Computed once per day and calendar object: a scan that adds business hours to a thousand
        due times reuses the same few days (issue 12).
        """
        cache = self._interval_cache
        if day not in cache:
            cache[day] = tuple(self._compute_intervals(day))
        return list(cache[day])

    def _compute_intervals(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.is_closed(day):
            return []
        result = []
        for start, end in sorted(self.weekly.get(day.weekday(), ())):
            local_start = dt.datetime.combine(day, start, tzinfo=self.tz)
            if end == dt.time(0, 0):
                local_end = dt.datetime.combine(day + dt.timedelta(days=1), end, tzinfo=self.tz)
            else:
                local_end = dt.datetime.combine(day, end, tzinfo=self.tz)
            utc_start = local_start.astimezone(dt.UTC)
            utc_end = local_end.astimezone(dt.UTC)
            if utc_end > utc_start:
                result.append((utc_start, utc_end))
        return result

    def _days_from(self, day: dt.date, limit: int = MAX_SEARCH_DAYS) -> Iterator[dt.date]:
        for offset in range(limit):
            try:
                yield day + dt.timedelta(days=offset)
            except OverflowError:  # the end of the calendar (year 9999): no working time left
                return

    def local_date(self, moment: dt.datetime) -> dt.date:
        return _aware(moment).astimezone(self.tz).date()

    def is_working_time(self, moment: dt.datetime) -> bool:
        moment = _aware(moment)
        day = self.local_date(moment)
        # The previous day too: an interval ending at midnight ends on the next local date.
        intervals = self.intervals_on(day - dt.timedelta(days=1)) + self.intervals_on(day)
        return any(start <= moment <= end for start, end in intervals)

    def add_business_hours(self, start: dt.datetime, hours: float | int) -> dt.datetime:
        """The moment when ``hours`` of working time have passed since ``start``."""
        start = _aware(start)
        try:
            remaining = dt.timedelta(hours=float(hours))
        except (OverflowError, ValueError) as exc:  # e.g. 1e308 hours, NaN: no such deadline
            raise NoWorkingTime(f"{hours} business hours cannot be counted") from exc
        if remaining <= dt.timedelta(0):
            return start
        # Start one day early: an interval ending after midnight belongs to the previous day.
        for day in self._days_from(self.local_date(start) - dt.timedelta(days=1)):
            for interval_start, interval_end in self.intervals_on(day):
                if interval_end <= start:
                    continue
                segment_start = max(interval_start, start)
                available = interval_end - segment_start
                if remaining <= available:
                    return (segment_start + remaining).astimezone(dt.UTC)
                remaining -= available
        raise NoWorkingTime(f"no working time within {MAX_SEARCH_DAYS} days of {start.isoformat()}")

    def business_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working hours between two moments; negative when ``end`` is before ``start``."""
        start, end = _aware(start), _aware(end)
        if end < start:
            return -self.business_hours_between(end, start)
        total = dt.timedelta(0)
        first_day = self.local_date(start) - dt.timedelta(days=1)
        last_day = self.local_date(end)
        for day in _date_range(first_day, last_day):
            for interval_start, interval_end in self.intervals_on(day):
                overlap_start = max(interval_start, start)
                overlap_end = min(interval_end, end)
                if overlap_end > overlap_start:
                    total += overlap_end - overlap_start
        return total.total_seconds() / 3600

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The same wall-clock time as ``start`` on the ``days``-th following working day."""
        start = _aware(start)
        local = start.astimezone(self.tz)
        if days <= 0:
            return start
        counted = 0
        for day in self._days_from(local.date() + dt.timedelta(days=1)):
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    return dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=self.tz).astimezone(
                        dt.UTC
                    )
        raise NoWorkingTime(f"fewer than {days} working days within {MAX_SEARCH_DAYS} days")

    def working_days_between(self, first: dt.date, last: dt.date) -> int:
        """Working days from ``first`` to ``last``, both included."""
        return sum(1 for day in _date_range(first, last) if self.is_working_day(day))


def _date_range(first: dt.date, last: dt.date) -> Iterable[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
    return moment


STANDARD_WEEK: dict[int, tuple[Interval, ...]] = {weekday: ((dt.time(9, 0), dt.time(18, 0)),) for weekday in range(5)}
