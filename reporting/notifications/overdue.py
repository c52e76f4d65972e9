"""Overdue follow-ups: alert their owner once, then escalate to the owning team's managers once.

Both scans are set-based and chunked: each chunk of at most ``OVERDUE_SCAN_CHUNK`` follow-ups is
one transaction that writes the alert marks, the notification rows (the e-mail outbox) and the
webhook deliveries together, with a constant number of queries whatever the chunk's size (the
recipients, their profiles and the SLAs' calendars are read once per chunk). A scan killed between
two chunks loses nothing and repeats nothing: what a committed chunk alerted is marked, and the
next run starts after the watermark's position.

Which follow-ups the alert scan reads (``newly_overdue``):

- **the walk**: overdue follow-ups after the watermark's ``(due_at, id)`` position, in that order
  (the ``(due_at, id)`` index). Its cost follows what fell due since the last scan, never the
  backlog of follow-ups overdue and alerted long ago;
- **late arrivals**: follow-ups already overdue when they were recorded (a back-dated handoff, an
  import), at or before the position, recorded since the last completed scan
  (``created_at`` index). ``LATE_ARRIVAL_MARGIN`` covers a transaction that recorded one before
  that scan started and committed after it.

The one-to-one ``OverdueAlert`` row stays the claim: a follow-up with one is never alerted again,
whichever way it is found.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from leads.models import FollowUp
from slas.models import Membership, Profile
from smarketing.keyset import keyset_after, rows_of_branches
from smarketing.webhooks import absolute_url, emit_events

from ..models import Notification, OverdueAlert, ScanWatermark
from .outbox import notifications_queue_many, team_users_by_team

logger = logging.getLogger(__name__)

WATERMARK = "overdue"
ORDER = ["due_at", "pk"]
# A follow-up recorded (created_at) up to this long before the last completed scan started, in a
# transaction that committed after it, is still found as a late arrival.
LATE_ARRIVAL_MARGIN = dt.timedelta(hours=1)


def _followup_subject(followup: FollowUp, recipient, escalation: bool) -> str:
    from django.utils.translation import gettext as _

    with translation.override(Profile.for_user(recipient).language):
        if escalation:
            return _("Escalation: %(kind)s overdue for %(lead)s") % {
                "kind": followup.get_kind_display(),
                "lead": followup.subject,
            }
        return _("Overdue: %(kind)s for %(lead)s") % {"kind": followup.get_kind_display(), "lead": followup.subject}


def escalation_time(followup: FollowUp, calendars: dict | None = None) -> dt.datetime:
    """When the owning team's managers hear of an overdue follow-up: the SLA's delay in business hours.

    ``calendars`` (SLA id → business calendar) lets a scan build each SLA's calendar once per chunk.
    """
    sla = followup.sla
    if sla is None:
        return followup.due_at + dt.timedelta(hours=4)
    calendars = {} if calendars is None else calendars
    if sla.pk not in calendars:
        calendars[sla.pk] = sla.business_calendar
    return calendars[sla.pk].add_business_hours(followup.due_at, float(sla.escalation_delay_hours))


def newly_overdue(now: dt.datetime, watermark: ScanWatermark | None = None):
    """Follow-ups overdue at ``now`` (``FollowUp.objects.overdue``) nobody was alerted about yet,
    as ``(walk, late)`` querysets in ``(due_at, id)`` order (see the module's docstring)."""
    not_alerted = FollowUp.objects.overdue(now).filter(overdue_alert__isnull=True)
    if watermark is None or watermark.cursor_due_at is None:
        return not_alerted.order_by(*ORDER), FollowUp.objects.none()
    position = [watermark.cursor_due_at, watermark.cursor_id]
    walk = not_alerted.filter(keyset_after(ORDER, position))
    late = not_alerted.filter(created_at__gte=watermark.scanned_until - LATE_ARRIVAL_MARGIN).exclude(
        keyset_after(ORDER, position)
    )
    return walk.order_by(*ORDER), late.order_by(*ORDER)


def _chunk_size(chunk: int | None) -> int:
    return max(1, chunk or settings.OVERDUE_SCAN_CHUNK)


def followups_alert_overdue(
    *, now: dt.datetime | None = None, chunk: int | None = None, budget_seconds: float | None = None
) -> int:
    """Alert the owner of every follow-up that became overdue since the last scan, once. Returns the count.

    Runs chunk after chunk until nothing is left, or until ``budget_seconds`` are spent (the next
    run goes on from the watermark: no task time limit can kill a whole backlog's work).
    """
    now = now or timezone.now()
    size = _chunk_size(chunk)
    started = time.monotonic()
    total = 0
    while True:
        alerted, finished = _alert_chunk(now, size)
        total += alerted
        if finished or (budget_seconds is not None and time.monotonic() - started >= budget_seconds):
            return total


@transaction.atomic
def _alert_chunk(now: dt.datetime, size: int) -> tuple[int, bool]:
    """One chunk, one transaction: the alert marks, notifications, webhooks and the new position.

    The watermark row is locked for the chunk, so two concurrent scans take chunks in turn; the
    one-to-one ``OverdueAlert`` row makes each follow-up alerted once even so.
    """
    watermark, _created = ScanWatermark.objects.select_for_update().get_or_create(
        name=WATERMARK, defaults={"scanned_until": now}
    )
    walk, late = newly_overdue(now, watermark)
    ids = rows_of_branches([late.values_list("pk", flat=True)[:size], walk.values_list("pk", flat=True)[:size]])
    followups = []
    if ids:
        followups = list(
            FollowUp.objects.filter(pk__in=ids)
            .select_related("lead", "sla__calendar", "owner_user__profile", "owner_team")
            .order_by(*ORDER)[:size]
        )
        _alert(followups, now)
    # The walk's rows taken in this chunk are those after the position; the last one is the new position.
    position = [watermark.cursor_due_at, watermark.cursor_id]
    walked = [f for f in followups if position[0] is None or _after(f, position)]
    finished = len(followups) < size
    if finished:
        # Everything overdue at ``now`` is alerted: the next walk starts at ``now``.
        if watermark.cursor_due_at is None or watermark.cursor_due_at < now:
            watermark.cursor_due_at, watermark.cursor_id = now, 0
        watermark.scanned_until = max(watermark.scanned_until, now)
    elif walked:
        watermark.cursor_due_at, watermark.cursor_id = walked[-1].due_at, walked[-1].pk
    watermark.pass_alerted = 0 if finished else watermark.pass_alerted + len(followups)
    watermark.chunk_at = timezone.now()
    watermark.save(update_fields=["scanned_until", "cursor_due_at", "cursor_id", "pass_alerted", "chunk_at"])
    if followups:
        logger.info("overdue scan: %s alerted in this chunk, %s in this pass", len(followups), watermark.pass_alerted)
    return len(followups), finished


def _after(followup: FollowUp, position: list) -> bool:
    return (followup.due_at, followup.pk) > (position[0], position[1])


def _alert(followups: list[FollowUp], now: dt.datetime) -> None:
    """Mark ``followups`` alerted and write their owners' notifications and webhooks, set-based."""
    calendars: dict = {}
    OverdueAlert.objects.bulk_create(
        [OverdueAlert(followup=f, owner_alerted_at=now, escalate_at=escalation_time(f, calendars)) for f in followups]
    )
    emit_events("followup.overdue", [(_webhook_data(f), f"followup:{f.pk}:overdue") for f in followups])
    members = team_users_by_team({f.owner_team_id for f in followups if not f.owner_user_id})
    notifications_queue_many(
        [
            _notification(followup, recipient, escalation=False)
            for followup in followups
            for recipient in (
                [followup.owner_user] if followup.owner_user_id else members.get(followup.owner_team_id, [])
            )
        ]
    )


def _notification(followup: FollowUp, recipient, *, escalation: bool) -> dict:
    """The owner's alert (once per follow-up and recipient) or the managers' escalation."""
    return {
        "kind": Notification.Kind.ESCALATION if escalation else Notification.Kind.OVERDUE,
        "recipient": recipient,
        "dedupe_key": f"followup:{followup.pk}:{'manager' if escalation else 'owner'}",
        "payload": {"followup": followup.pk},
        "subject": _followup_subject(followup, recipient, escalation=escalation),
    }


def _webhook_data(followup: FollowUp) -> dict:
    return {
        "id": followup.pk,
        "kind": followup.kind,
        "lead": followup.lead_id,
        "sla": followup.sla_id,
        "due_at": followup.due_at.isoformat(),
        "owner_team": followup.owner_team_id,
        "owner_user": followup.owner_user_id,
        "title": followup.subject,
        "status": followup.status,
        "starts_at": followup.starts_at.isoformat() if followup.starts_at else None,
        "api_url": absolute_url(reverse("api-lead-detail", args=[followup.lead_id])) if followup.lead_id else None,
        "web_url": absolute_url(followup.get_absolute_url()),
    }


def followups_escalate_overdue(*, now: dt.datetime | None = None, chunk: int | None = None) -> int:
    """Tell the owning team's managers about follow-ups still open after the escalation delay, once.

    Chunk by chunk, each one transaction (the escalation marks and the notifications together).
    """
    now = now or timezone.now()
    size = _chunk_size(chunk)
    total = 0
    while True:
        escalated, taken = _escalate_chunk(now, size)
        total += escalated
        if taken < size:
            return total


@transaction.atomic
def _escalate_chunk(now: dt.datetime, size: int) -> tuple[int, int]:
    alerts = list(
        OverdueAlert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(escalated_at__isnull=True, escalate_at__lte=now)
        .select_related("followup__lead")
        .order_by("escalate_at", "pk")[:size]
    )
    if not alerts:
        return 0, 0
    OverdueAlert.objects.filter(pk__in=[a.pk for a in alerts]).update(escalated_at=now)
    still_open = [a.followup for a in alerts if a.followup.status == FollowUp.Status.OPEN]
    managers = team_users_by_team({f.owner_team_id for f in still_open}, role=Membership.Role.MANAGER)
    notifications_queue_many(
        [
            _notification(followup, manager, escalation=True)
            for followup in still_open
            for manager in managers.get(followup.owner_team_id, [])
        ]
    )
    return len(still_open), len(alerts)
