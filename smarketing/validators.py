"""Validators shared by models, forms and serializers (domain-free)."""

from __future__ import annotations

import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA names this machine knows (tzdata); read once, the set does not change at run time."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    """A time zone a user or an SLA may have: exactly a name of ``zoneinfo.available_timezones()``.

    ``ZoneInfo("Europe/Pariss")`` fails only when used; a profile saved with it made every alert
    to that user fail. Every place a time zone is entered (profile page, SLA calendar, admin, API)
    validates with this, through the model fields.
    """
    if value not in time_zone_names():
        raise ValidationError(_("“%(value)s” is not a known time zone."), code="time_zone", params={"value": value})
