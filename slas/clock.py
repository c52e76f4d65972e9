"""The SLA's clock: calendar months in the SLA's time zone.

Every period the product reports on is a calendar month in the time zone of the SLA's working
calendar (SPEC §4). ``Month`` is the one place that turns such a month into instants (its
bounds, midnight to midnight, in UTC), walks to the next or previous one, and says whether an
instant falls in it. It is plain Python, like ``business_time``: no database.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in a time zone; ``first_day`` is always the 1st."""

    first_day: dt.date
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        if self.first_day.day != 1:
            object.__setattr__(self, "first_day", self.first_day.replace(day=1))

    # --- building one ------------------------------------------------------------------

    @classmethod
    def of(cls, day: dt.date, time_zone: str = "UTC") -> Month:
        """The month ``day`` (a local date) falls in."""
        return cls(day.replace(day=1), time_zone)

    @classmethod
    def containing(cls, moment: dt.datetime, time_zone: str) -> Month:
        """The month an aware instant falls in, as seen in ``time_zone``."""
        return cls.of(moment.astimezone(ZoneInfo(time_zone)).date(), time_zone)

    @classmethod
    def parse(cls, text: str, time_zone: str = "UTC") -> Month:
        """'YYYY-MM' → the month; ValueError otherwise."""
        parsed = dt.datetime.strptime(text.strip(), "%Y-%m").date()
        if not 1900 <= parsed.year <= 9998:
            raise ValueError(text)
        return cls(parsed, time_zone)

    def in_zone(self, time_zone: str) -> Month:
        """The same calendar month seen in another time zone."""
        return Month(self.first_day, time_zone)

    # --- reading it --------------------------------------------------------------------

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def last_day(self) -> dt.date:
        return self.first_day.replace(day=calendar.monthrange(self.first_day.year, self.first_day.month)[1])

    @property
    def start(self) -> dt.datetime:
        """Midnight of the 1st in the time zone, as an aware UTC datetime."""
        return dt.datetime.combine(self.first_day, dt.time(0), tzinfo=self.tz).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """Midnight of the next month's 1st (exclusive bound), as an aware UTC datetime."""
        return self.next().start

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware UTC datetimes."""
        return self.start, self.end

    def next(self) -> Month:
        return self.shift(1)

    def previous(self) -> Month:
        return self.shift(-1)

    def shift(self, months: int) -> Month:
        index = self.first_day.month - 1 + months
        return Month(dt.date(self.first_day.year + index // 12, index % 12 + 1, 1), self.time_zone)

    def contains(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def contains_day(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    def day(self, number: int) -> dt.date:
        """Day ``number`` of the month, or its last day when the month is shorter (monthly repeats)."""
        return self.first_day.replace(day=min(number, self.last_day.day))

    @property
    def label(self) -> str:
        return f"{self.first_day:%Y-%m}"

    def __str__(self) -> str:
        return self.label

    def back(self, count: int) -> list[Month]:
        """``count`` months ending with this one, oldest first."""
        return [self.shift(offset) for offset in range(1 - count, 1)]


def end_of_day(value: dt.date | dt.datetime, time_zone: str) -> dt.datetime:
    """An aware instant from a deadline: a date means the end of that day in ``time_zone``
    (23:59:59.999999 local, so "until the 20th" includes the 20th); a naive time is read in
    ``time_zone``; an aware one is kept."""
    zone = ZoneInfo(time_zone)
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time.max, tzinfo=zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)
