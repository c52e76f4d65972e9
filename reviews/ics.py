"""The invitation's iCalendar object (RFC 5545 / iTIP RFC 5546): METHOD:REQUEST, one VEVENT whose
UID is the review's for its whole life and whose SEQUENCE goes up at each reschedule, so a calendar
that received an earlier invitation moves the same event instead of adding a second one."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Review


def _address(user) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.get_full_name() or user.get_username())
    return address


def invitation(
    review: Review,
    *,
    sequence: int,
    start: dt.datetime,
    end: dt.datetime,
    location: str,
    summary: str,
    description: str,
    now: dt.datetime | None = None,
) -> bytes:
    """The .ics of one invitation (the values as they were when it was queued)."""
    tz = review.sla.business_calendar.tz
    calendar = Calendar()
    calendar.add("prodid", "-//smarketing//review meeting//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", review.ical_uid())
    event.add("sequence", sequence)
    event.add("dtstamp", now or timezone.now())
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", end.astimezone(tz))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", f"{settings.SITE_URL}{review.get_absolute_url()}")
    if location:
        event.add("location", location)
    event.add("status", "CONFIRMED")
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["cn"] = vText(name or "smarketing")
    event.add("organizer", organizer)
    for participant in review.participants.select_related("user").order_by("pk"):
        if not participant.user.email:
            continue
        attendee = _address(participant.user)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("NEEDS-ACTION")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
