"""The SLA's clock (issue 11): months in the SLA's time zone and which version is in force."""

from __future__ import annotations

import datetime as dt

import pytest

from slas.clock import Month
from slas.models import SLA
from slas.tests.factories import make_sla

UTC = dt.UTC


def test_a_month_is_midnight_to_midnight_in_its_time_zone_across_dst():
    october = Month(dt.date(2026, 10, 1), "Europe/Paris")
    assert october.bounds() == (
        dt.datetime(2026, 9, 30, 22, tzinfo=UTC),  # CEST
        dt.datetime(2026, 10, 31, 23, tzinfo=UTC),  # CET after 25 October
    )
    assert october.contains(dt.datetime(2026, 10, 31, 22, 59, tzinfo=UTC))
    assert not october.contains(dt.datetime(2026, 10, 31, 23, 0, tzinfo=UTC))
    assert (october.first_day, october.last_day, october.label) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
        "2026-10",
    )


def test_walking_months_and_reading_one():
    january = Month(dt.date(2026, 1, 17), "UTC")  # any day: the month
    assert january.first_day == dt.date(2026, 1, 1)
    assert january.previous() == Month(dt.date(2025, 12, 1), "UTC")
    assert january.next().next() == Month(dt.date(2026, 3, 1), "UTC")
    assert january.shift(13).label == "2027-02"
    assert [m.label for m in january.back(3)] == ["2025-11", "2025-12", "2026-01"]
    assert Month(dt.date(2026, 2, 1)).day(31) == dt.date(2026, 2, 28)  # monthly repeats: last day
    assert Month.parse("2026-07", "America/New_York").start == dt.datetime(2026, 7, 1, 4, tzinfo=UTC)
    assert Month.containing(dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "Europe/Paris").label == "2026-12"
    assert Month.containing(dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC), "America/New_York").label == "2026-11"
    for bad in ("2026-13", "march", "0001-01"):
        with pytest.raises(ValueError):
            Month.parse(bad)


@pytest.mark.django_db
def test_the_governing_sla_is_judged_in_each_slas_own_time_zone(roles):
    """Near midnight the server's zone must not decide (issue 11: ``_local_day`` used it)."""
    # Auckland: an SLA that starts on 1 March local time, i.e. 28 February 11:00 UTC.
    auckland = make_sla(
        roles.marketing,
        roles.sales,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 12, 31),
        status=SLA.Status.ACTIVE,
        time_zone="Pacific/Auckland",
    )
    earlier = make_sla(
        roles.marketing,
        roles.sales,
        start=dt.date(2025, 3, 1),
        end=dt.date(2026, 2, 28),
        status=SLA.Status.ACTIVE,
        time_zone="Pacific/Auckland",
    )
    moment = dt.datetime(2026, 2, 28, 12, 0, tzinfo=UTC)  # 1 March 01:00 in Auckland, 28 Feb in Paris/UTC
    assert SLA.objects.governing(roles.marketing, roles.sales, moment) == auckland
    assert SLA.objects.governing(roles.marketing, roles.sales, moment - dt.timedelta(hours=2)) == earlier
    assert list(SLA.objects.in_force_at(moment)) == [auckland]
    assert auckland.today(moment) == dt.date(2026, 3, 1) and auckland.current_month(moment).label == "2026-03"


@pytest.mark.django_db
def test_in_force_during_a_month(roles):
    sla = make_sla(
        roles.marketing, roles.sales, start=dt.date(2026, 3, 15), end=dt.date(2026, 5, 10), status=SLA.Status.ACTIVE
    )
    make_sla(roles.other_marketing, roles.other_sales)  # a draft is never in force
    months = {
        label: list(SLA.objects.in_force_during(Month.parse(label)))
        for label in ("2026-02", "2026-03", "2026-05", "2026-06")
    }
    assert months == {"2026-02": [], "2026-03": [sla], "2026-05": [sla], "2026-06": []}
    SLA.objects.filter(pk=sla.pk).update(status=SLA.Status.SUPERSEDED, superseded_on=dt.date(2026, 4, 1))
    assert list(SLA.objects.in_force_during(Month.parse("2026-04"))) == []
    assert list(SLA.objects.in_force_during(Month.parse("2026-03"))) == [sla]
