"""The review's two e-mails, built by the project's one e-mail builder (``reporting.emails.build``)
and delivered through the notification outbox (``reporting.notifications.outbox``): exactly once per
recipient — the invitation once per (review, sequence), the minutes once per review.

Both render in the recipient's language and time zone (``Profile``).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from reporting.emails import build
from reporting.models import Notification
from reporting.pdf import render_pdf
from slas.models import Profile

from . import ics, presentation
from .models import Review


def _review(notification: Notification) -> Review:
    return Review.objects.select_related("sla__calendar", "sla__marketing_team", "sla__sales_team").get(
        pk=notification.payload["review"]
    )


def invitation(notification: Notification) -> EmailMultiAlternatives:
    """The invitation (or its update after a reschedule) with the meeting as an .ics attachment."""
    review = _review(notification)
    recipient = notification.recipient
    profile = Profile.for_user(recipient)
    payload = notification.payload
    start = parse_datetime(payload["scheduled_at"])
    end = parse_datetime(payload["ends_at"])
    participants = [p.user for p in review.participants.select_related("user").order_by("user__last_name", "pk")]
    context = {
        "review": review,
        "sla": review.sla,
        "start": start,
        "end": end,
        "location": payload.get("location", ""),
        "update": payload.get("sequence", 0) > 0,
        "participants": participants,
        "review_url": f"{settings.SITE_URL}{review.get_absolute_url()}",
        "recipient": recipient,
    }
    message = build(
        "review-invitation", to=recipient.email, context=context, language=profile.language, time_zone=profile.time_zone
    )
    with translation.override(profile.language):
        summary = _("%(title)s, %(sla)s") % {"title": review.display_title, "sla": review.sla.title}
        description = _("Agenda and notes: %(url)s") % {"url": context["review_url"]}
    calendar = ics.invitation(
        review,
        sequence=payload.get("sequence", 0),
        start=start,
        end=end,
        location=context["location"],
        summary=summary,
        description=description,
    )
    message.attach("invitation.ics", calendar, "text/calendar; method=REQUEST; charset=utf-8")
    return message


def minutes_context(review: Review) -> dict:
    return {
        "review": review,
        "sla": review.sla,
        "minutes": presentation.review_minutes(review),
        "review_url": f"{settings.SITE_URL}{review.get_absolute_url()}",
        "site_url": settings.SITE_URL,
    }


def minutes_pdf(review: Review) -> bytes:
    """The minutes as a PDF, in the current language (``reporting.pdf``: the project's PDF path)."""
    return render_pdf("reviews/minutes_pdf.html", {**minutes_context(review), "generated_at": dt.datetime.now(dt.UTC)})


def minutes(notification: Notification) -> EmailMultiAlternatives:
    """The frozen minutes: HTML and text, with the PDF attached, in the recipient's language."""
    review = _review(notification)
    recipient = notification.recipient
    profile = Profile.for_user(recipient)
    with translation.override(profile.language), timezone.override(ZoneInfo(profile.time_zone)):
        context = {**minutes_context(review), "recipient": recipient}
        pdf = minutes_pdf(review)
    message = build(
        "review-minutes", to=recipient.email, context=context, language=profile.language, time_zone=profile.time_zone
    )
    message.attach(f"minutes-{review.month:%Y-%m}-{review.pk}.pdf", pdf, "application/pdf")
    return message
