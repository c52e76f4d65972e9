"""The daily digest: alerts of users who chose the digest, gathered into one message per local day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from slas.models import Profile

from ..models import Notification
from .outbox import notification_queue

DIGEST_LOCAL_TIME = dt.time(8)


def digest_date_due(now: dt.datetime, time_zone: str) -> dt.date | None:
    """The local date whose digest is due for a user in ``time_zone`` at ``now`` (from 08:00 local), else None."""
    local = now.astimezone(ZoneInfo(time_zone))
    return local.date() if local.time() >= DIGEST_LOCAL_TIME else None


def digest_dispatch(*, now: dt.datetime | None = None) -> int:
    """Send each user who has waiting alerts one digest per local day, from 08:00 in their time zone."""
    now = now or timezone.now()
    user_ids = (
        Notification.objects.filter(status=Notification.Status.DIGESTED)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for user in get_user_model().objects.filter(pk__in=list(user_ids)).select_related("profile"):
        day = digest_date_due(now, Profile.for_user(user).time_zone)
        if day is not None and digest_create(user=user, day=day):
            sent += 1
    return sent


@transaction.atomic
def digest_create(*, user, day: dt.date) -> Notification | None:
    """Gather the user's waiting alerts into one digest notification for ``day`` (once per day)."""
    # Alerts carried by a digest still on its way are not repeated; those of a digest that failed for good are.
    pending = Notification.objects.filter(
        recipient=user, kind=Notification.Kind.DIGEST, status=Notification.Status.QUEUED
    ).values_list("payload", flat=True)
    carried = {pk for payload in pending for pk in payload.get("items", [])}
    waiting = [
        notification
        for notification in Notification.objects.select_for_update()
        .filter(recipient=user, status=Notification.Status.DIGESTED)
        .order_by("kind", "created_at", "pk")
        if notification.pk not in carried
    ]
    if not waiting:
        return None
    return notification_queue(
        kind=Notification.Kind.DIGEST,
        recipient=user,
        dedupe_key=f"digest:{day.isoformat()}",
        payload={"day": day.isoformat(), "items": [n.pk for n in waiting]},
        subject=f"Daily digest {day.isoformat()}",
    )


def digest_groups(notification: Notification) -> list[tuple[str, list[Notification]]]:
    """The digest's alerts grouped by kind (label, rows), in a stable order."""
    items = Notification.objects.filter(pk__in=notification.payload.get("items", [])).order_by("created_at", "pk")
    groups: dict[str, list[Notification]] = {}
    for item in items:
        groups.setdefault(item.kind, []).append(item)
    order = [Notification.Kind.OVERDUE, Notification.Kind.ESCALATION, Notification.Kind.AT_RISK]
    return [(Notification.Kind(kind).label, groups[kind]) for kind in order if kind in groups]
