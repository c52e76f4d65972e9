from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slas.business_time import STANDARD_WEEK, BusinessCalendar, NoWorkingTime

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


STANDARD = BusinessCalendar(time_zone="Europe/Paris", weekly=STANDARD_WEEK, country="FR")
SPLIT = BusinessCalendar(
    time_zone="Europe/Paris",
    weekly={d: ((dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(18))) for d in range(5)},
    country="FR",
    closed_dates=frozenset({dt.date(2026, 8, 14)}),
)
# Every night 01:00–04:00, so the intervals themselves cross the DST changes.
NIGHTS = BusinessCalendar(time_zone="Europe/Paris", weekly={d: ((dt.time(1), dt.time(4)),) for d in range(7)})
# Evening shift ending at midnight.
EVENINGS = BusinessCalendar(time_zone="Europe/Paris", weekly={d: ((dt.time(20), dt.time(0)),) for d in range(5)})


def test_friday_afternoon_plus_four_hours_is_monday_noon():
    assert STANDARD.add_business_hours(paris(2026, 3, 6, 17), 4) == paris(2026, 3, 9, 12)
    assert STANDARD.business_hours_between(paris(2026, 3, 6, 17), paris(2026, 3, 9, 12)) == 4


def test_public_holidays_are_skipped():
    # Friday 1 May 2026 is Labour Day: Thursday 17:00 + 4h lands on Monday 4 May 12:00.
    assert STANDARD.add_business_hours(paris(2026, 4, 30, 17), 4) == paris(2026, 5, 4, 12)
    assert not STANDARD.is_working_day(dt.date(2026, 5, 1))
    assert STANDARD.working_days_between(dt.date(2026, 5, 1), dt.date(2026, 5, 8)) == 4  # 8 May is a holiday too


def test_extra_closed_dates_are_skipped():
    assert SPLIT.add_business_hours(paris(2026, 8, 13, 17), 2) == paris(2026, 8, 17, 10)


def test_several_intervals_a_day():
    assert SPLIT.add_business_hours(paris(2026, 3, 2, 12), 1) == paris(2026, 3, 2, 14)
    assert SPLIT.add_business_hours(paris(2026, 3, 2, 12, 45), 1) == paris(2026, 3, 2, 14, 30)
    assert SPLIT.business_hours_between(paris(2026, 3, 2, 9), paris(2026, 3, 2, 18)) == 8
    assert SPLIT.business_hours_between(paris(2026, 3, 2, 18), paris(2026, 3, 2, 9)) == -8


def test_starting_outside_working_time_begins_at_the_next_interval():
    assert STANDARD.add_business_hours(paris(2026, 3, 7, 10), 1) == paris(2026, 3, 9, 10)
    assert STANDARD.add_business_hours(paris(2026, 3, 9, 7), 0.5) == paris(2026, 3, 9, 9, 30)


def test_dst_spring_forward_counts_the_hours_that_really_pass():
    # 29 March 2026: 02:00 becomes 03:00, the 01:00–04:00 interval lasts two real hours.
    assert NIGHTS.business_hours_between(paris(2026, 3, 29, 0), paris(2026, 3, 29, 5)) == 2
    assert NIGHTS.add_business_hours(paris(2026, 3, 29, 1), 2) == paris(2026, 3, 29, 4)
    assert STANDARD.add_business_hours(paris(2026, 3, 27, 17), 4) == paris(2026, 3, 30, 12)


def test_dst_autumn_back_counts_the_extra_hour():
    # 25 October 2026: 03:00 becomes 02:00 again, the 01:00–04:00 interval lasts four hours.
    assert NIGHTS.business_hours_between(paris(2026, 10, 25, 0), paris(2026, 10, 25, 5)) == 4
    assert NIGHTS.add_business_hours(paris(2026, 10, 25, 1), 4) == paris(2026, 10, 25, 4)
    assert STANDARD.add_business_hours(paris(2026, 10, 23, 17), 4) == paris(2026, 10, 26, 12)


def test_an_interval_ending_at_midnight():
    assert EVENINGS.add_business_hours(paris(2026, 3, 2, 23), 2) == paris(2026, 3, 3, 21)
    assert EVENINGS.business_hours_between(paris(2026, 3, 2, 19), paris(2026, 3, 3, 1)) == 4


def test_business_days_keep_the_wall_clock_time_across_weekends_holidays_and_dst():
    assert STANDARD.add_business_days(paris(2026, 3, 27, 15), 1) == paris(2026, 3, 30, 15)
    assert STANDARD.add_business_days(paris(2026, 4, 30, 10), 2) == paris(2026, 5, 5, 10)


def test_naive_datetimes_and_empty_calendars_are_refused():
    with pytest.raises(ValueError, match="aware"):
        STANDARD.add_business_hours(dt.datetime(2026, 3, 2, 9), 1)
    with pytest.raises(NoWorkingTime):
        BusinessCalendar(time_zone="UTC", weekly={}).add_business_hours(paris(2026, 3, 2, 9), 1)


# --- properties --------------------------------------------------------------------------

CALENDARS = st.sampled_from([STANDARD, SPLIT, NIGHTS, EVENINGS])
STARTS = st.datetimes(min_value=dt.datetime(2025, 12, 1), max_value=dt.datetime(2027, 1, 31), timezones=st.just(dt.UTC))
MINUTES = st.integers(min_value=1, max_value=60 * 80)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS, minutes=MINUTES)
def test_adding_then_measuring_gives_back_the_hours(calendar, start, minutes):
    end = calendar.add_business_hours(start, minutes / 60)
    assert calendar.business_hours_between(start, end) == pytest.approx(minutes / 60, abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS, minutes=MINUTES)
def test_the_result_is_inside_working_time(calendar, start, minutes):
    end = calendar.add_business_hours(start, minutes / 60)
    assert end > start
    assert calendar.is_working_time(end)


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS, later_by=st.integers(min_value=0, max_value=60 * 24 * 10), minutes=MINUTES)
def test_adding_is_monotonic_in_the_start(calendar, start, later_by, minutes):
    later = start + dt.timedelta(minutes=later_by)
    assert calendar.add_business_hours(start, minutes / 60) <= calendar.add_business_hours(later, minutes / 60)


def test_the_end_of_an_interval_ending_at_midnight_is_working_time():
    # Found by the property test: Friday 20:00–24:00 ends at Saturday 00:00 local time.
    assert EVENINGS.is_working_time(paris(2025, 12, 6, 0))
    assert not EVENINGS.is_working_time(paris(2025, 12, 6, 0, 1))
