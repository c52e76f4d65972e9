"""Notifications: who is told what, once — and the delivery of those messages, exactly once.

Every notification is first written as a ``Notification`` row (unique per dedupe key and
recipient) in the same transaction as the decision that causes it; a task then delivers the row:
it claims it with a conditional update, sends it, and marks it sent once SMTP accepted it. A
failure backs off exponentially (with jitter) for at least an hour before the row is marked
failed. A periodic relay re-enqueues rows whose task was lost (broker outage, killed worker).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import time
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from leads.models import FollowUp
from slas.clock import Month
from slas.models import SLA, Membership, Profile, Side
from smarketing.webhooks import emit_event

from .models import MonthlyReport, Notification, OverdueAlert, ReportSubscription, ScanWatermark

logger = logging.getLogger(__name__)

# A claimed row not marked sent within this time belongs to a dead worker; the relay releases it.
CLAIM_LEASE = dt.timedelta(minutes=10)
# A row is retried for at least this long before it is marked failed.
RETRY_WINDOW = dt.timedelta(hours=1)
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(minutes=20)
MONTHLY_SEND_LOCAL_TIME = dt.time(6)
DIGEST_LOCAL_TIME = dt.time(8)
ALERT_KINDS = {Notification.Kind.OVERDUE, Notification.Kind.ESCALATION, Notification.Kind.AT_RISK}


# --- Writing notification rows ------------------------------------------------------------


def _profile(user) -> Profile:
    try:
        return user.profile
    except Profile.DoesNotExist:
        return Profile.for_user(user)


def notification_queue(
    *, kind: str, recipient, dedupe_key: str, payload: dict, subject: str = ""
) -> Notification | None:
    """Write one notification row unless it exists; deliver it after commit. Returns the new row or None.

    Alerts to users who chose the daily digest wait as ``digested`` rows for the digest.
    """
    from .tasks import deliver_notification

    status = Notification.Status.QUEUED
    if kind in ALERT_KINDS and _profile(recipient).alert_mode == Profile.AlertMode.DIGEST:
        status = Notification.Status.DIGESTED
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            recipient=recipient,
            defaults={"kind": kind, "payload": payload, "subject": subject[:255], "status": status},
        )
    if not created:
        return None
    if status == Notification.Status.QUEUED:
        transaction.on_commit(lambda: deliver_notification.delay(notification.pk))
    return notification


def _team_users(team_ids: Iterable[int], role: str | None = None):
    memberships = Membership.objects.filter(team_id__in=list(team_ids), user__is_active=True)
    if role:
        memberships = memberships.filter(role=role)
    user_ids = memberships.values("user_id")
    return get_user_model().objects.filter(pk__in=user_ids).select_related("profile").order_by("pk")


def _followup_subject(followup: FollowUp, recipient, escalation: bool) -> str:
    from django.utils.translation import gettext as _

    with translation.override(_profile(recipient).language):
        if escalation:
            return _("Escalation: %(kind)s overdue for %(lead)s") % {
                "kind": followup.get_kind_display(),
                "lead": followup.subject,
            }
        return _("Overdue: %(kind)s for %(lead)s") % {"kind": followup.get_kind_display(), "lead": followup.subject}


# --- Overdue follow-ups and escalation ---------------------------------------------------


def escalation_time(followup: FollowUp) -> dt.datetime:
    """When the owning team's managers hear of an overdue follow-up: the SLA's delay in business hours."""
    sla = followup.sla
    if sla is None:
        return followup.due_at + dt.timedelta(hours=4)
    return sla.business_calendar.add_business_hours(followup.due_at, float(sla.escalation_delay_hours))


def newly_overdue(now: dt.datetime | None = None):
    """Overdue follow-ups (``FollowUp.objects.overdue``) nobody was alerted about yet.

    No lower bound on the due time: a follow-up that was already overdue when it was recorded
    (back-dated handoffs, the first scan after an install or an outage) is alerted once too. The
    anti-join on the one-to-one ``OverdueAlert`` keeps the scan to the follow-ups not yet alerted.
    """
    return (
        FollowUp.objects.overdue(now)
        .filter(overdue_alert__isnull=True)
        .select_related("lead", "sla__calendar", "owner_user__profile", "owner_team")
        .order_by("due_at", "pk")
    )


@transaction.atomic
def followups_alert_overdue(*, now: dt.datetime | None = None) -> int:
    """Alert the owner of every follow-up that became overdue since the last scan, once. Returns the count.

    The watermark row is locked for the whole scan, so two concurrent scans run one after the other;
    the one-to-one ``OverdueAlert`` row makes each follow-up alerted once even across overlapping windows.
    """
    scan_time = now
    now = now or timezone.now()
    watermark, _created = ScanWatermark.objects.select_for_update().get_or_create(
        name="overdue", defaults={"scanned_until": now}
    )
    count = 0
    for followup in newly_overdue(scan_time):
        OverdueAlert.objects.create(followup=followup, owner_alerted_at=now, escalate_at=escalation_time(followup))
        emit_event(
            "followup.overdue",
            {
                "id": followup.pk,
                "kind": followup.kind,
                "lead": followup.lead_id,
                "sla": followup.sla_id,
                "due_at": followup.due_at.isoformat(),
                "owner_team": followup.owner_team_id,
                "owner_user": followup.owner_user_id,
            },
        )
        recipients = [followup.owner_user] if followup.owner_user_id else list(_team_users([followup.owner_team_id]))
        for recipient in recipients:
            notification_queue(
                kind=Notification.Kind.OVERDUE,
                recipient=recipient,
                dedupe_key=f"followup:{followup.pk}:owner",
                payload={"followup": followup.pk},
                subject=_followup_subject(followup, recipient, escalation=False),
            )
        count += 1
    watermark.scanned_until = max(watermark.scanned_until, now)
    watermark.save(update_fields=["scanned_until"])
    return count


@transaction.atomic
def followups_escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """Tell the owning team's managers about follow-ups still open after the escalation delay, once."""
    now = now or timezone.now()
    due = (
        OverdueAlert.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(escalated_at__isnull=True, escalate_at__lte=now)
        .select_related("followup__lead")
    )
    count = 0
    for alert in due:
        alert.escalated_at = now
        alert.save(update_fields=["escalated_at"])
        followup = alert.followup
        if followup.status != FollowUp.Status.OPEN:
            continue
        for manager in _team_users([followup.owner_team_id], role=Membership.Role.MANAGER):
            notification_queue(
                kind=Notification.Kind.ESCALATION,
                recipient=manager,
                dedupe_key=f"followup:{followup.pk}:manager",
                payload={"followup": followup.pk},
                subject=_followup_subject(followup, manager, escalation=True),
            )
        count += 1
    return count


# --- At-risk commitments ----------------------------------------------------------------


def _month_label(month: dt.date | str) -> str:
    return month if isinstance(month, str) else f"{month:%Y-%m}"


def notify_at_risk(sla: SLA, month: dt.date | str, commitments: Iterable[dict]) -> int:
    """Alert the managers of the owning side once per (SLA series, commitment, month) that turned ``at_risk``
    (an amendment in the month does not alert again).

    ``commitments`` are the status rows of the compliance engine (``{key, side, target, actual,
    projected, status}``); callable from the dashboard or the reporting code at any time.
    """
    label = _month_label(month)
    count = 0
    with transaction.atomic():
        for commitment in commitments:
            if commitment.get("status") != "at_risk":
                continue
            side = commitment.get("side")
            teams = {Side.MARKETING: [sla.marketing_team_id], Side.SALES: [sla.sales_team_id]}.get(
                side, [sla.marketing_team_id, sla.sales_team_id]
            )
            newly_alerted = False
            for manager in _team_users(teams, role=Membership.Role.MANAGER):
                created = notification_queue(
                    kind=Notification.Kind.AT_RISK,
                    recipient=manager,
                    dedupe_key=f"atrisk:{sla.series}:{commitment['key']}:{label}",
                    payload={"sla": sla.pk, "month": label, **{k: _jsonable(v) for k, v in commitment.items()}},
                    subject=f"{sla.title}: {commitment['key']} at risk ({label})",
                )
                count += created is not None
                newly_alerted = newly_alerted or created is not None
            if newly_alerted:
                payload = {k: _jsonable(v) for k, v in commitment.items()}
                emit_event("sla.at_risk", {"sla": sla.pk, "month": label, **payload})
    return count


def _jsonable(value):
    return float(value) if isinstance(value, Decimal) else value


# --- Daily digest -----------------------------------------------------------------------


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
        day = digest_date_due(now, _profile(user).time_zone)
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


# --- Monthly reports --------------------------------------------------------------------


def report_month_due(now: dt.datetime, time_zone: str) -> dt.date:
    """The month whose report is due at ``now`` in ``time_zone``: the previous one from the 1st 06:00 local."""
    this_month = Month.containing(now, time_zone)
    local = now.astimezone(this_month.tz)
    started = local.day > 1 or local.time() >= MONTHLY_SEND_LOCAL_TIME
    return (this_month.previous() if started else this_month.shift(-2)).first_day


def monthly_reports_due(now: dt.datetime | None = None) -> list[tuple[SLA, dt.date]]:
    """(SLA, month) pairs, one per series, whose report must be computed and sent now and was not sent yet.

    A series is due, from its local 1st at 06:00, for the previous month if one of its versions was
    in force on any day of it. Candidates are the versions in force in either of the last two UTC
    months (time zones shift the boundary).
    """
    now = now or timezone.now()
    utc_month = Month.containing(now, "UTC")
    candidates = (
        SLA.objects.in_force_between(utc_month.shift(-2).first_day, utc_month.previous().last_day)
        .select_related("calendar")
        .order_by("series", "-version")
    )
    sent = set(
        MonthlyReport.objects.current()
        .filter(sent_at__isnull=False, month__gte=utc_month.shift(-3).first_day)
        .values_list("series", "month")
    )
    due, seen = [], set()
    for sla in candidates:
        month = report_month_due(now, sla.time_zone)
        key = (sla.series, month)
        if key in seen or key in sent:
            continue
        seen.add(key)
        if SLA.objects.filter(series=sla.series).in_force_during(sla.month(month)).exists():
            due.append((sla, month))
    return due


def monthly_report_recipients(report: MonthlyReport):
    """Managers of both teams and the SLA series' subscribers (not unsubscribed)."""
    sla = report.sla
    managers = Membership.objects.filter(
        team_id__in=[sla.marketing_team_id, sla.sales_team_id], role=Membership.Role.MANAGER
    ).values("user_id")
    subscribers = ReportSubscription.objects.filter(sla_series=report.series, unsubscribed=False).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=managers) | Q(pk__in=subscribers))
        .select_related("profile")
        .order_by("pk")
    )


def monthly_report_get_or_compute(*, sla: SLA, month: dt.date, task_name: str = "") -> MonthlyReport:
    """The stored snapshot of ``sla``'s series for ``month``, computed by the compliance engine if missing."""
    report = MonthlyReport.objects.current().filter(series=sla.series, month=month).first()
    if report is not None:
        return report
    from reporting.services import report_compute

    return report_compute(sla=sla, month=month, task_name=task_name)


@transaction.atomic
def monthly_report_send(*, report: MonthlyReport) -> int:
    """Queue the report e-mail to each recipient once (unique rows); returns how many were newly queued."""
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    count = 0
    for recipient in monthly_report_recipients(report):
        created = notification_queue(
            kind=Notification.Kind.MONTHLY_REPORT,
            recipient=recipient,
            dedupe_key=f"report:{report.pk}",
            payload={"report": report.pk},
            subject=f"{report.sla.title} – {report.month:%Y-%m}",
        )
        count += created is not None
    if report.sent_at is None:
        report.sent_at = timezone.now()
        report.save(update_fields=["sent_at"])
    return count


# --- Delivery ---------------------------------------------------------------------------


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with ±50 % jitter, so many failed rows do not hammer SMTP together."""
    base = min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)
    return base * random.uniform(0.5, 1.5)  # retry jitter, not a secret  # nosec B311


def _test_pause() -> None:
    """Test-only: the real-worker crash test makes delivery slow between claim and send."""
    pause = float(os.environ.get("SMARKETING_TEST_DELIVERY_PAUSE", "0") or 0)
    if pause:
        time.sleep(pause)


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Claim, send and mark one notification. Returns True when this call sent it.

    Deliberately not one transaction: the claim commits before SMTP is contacted, and the row
    is marked sent only after SMTP accepted the message.
    """
    from . import emails

    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, status=Notification.Status.QUEUED, next_attempt_at__lte=now, claimed_at__isnull=True
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return False
    notification = Notification.objects.select_related("recipient__profile").get(pk=notification_id)
    _test_pause()
    try:
        message = emails.message_for(notification)
        message.send()
    except Exception as exc:  # noqa: BLE001 - any SMTP or network failure: retry later, never lose the row
        logger.warning("notification %s: delivery failed: %s", notification_id, exc)
        failed_for_good = now - notification.created_at >= RETRY_WINDOW
        Notification.objects.filter(pk=notification_id, claimed_at=now).update(
            claimed_at=None,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            status=Notification.Status.FAILED if failed_for_good else Notification.Status.QUEUED,
            next_attempt_at=now + retry_delay(notification.attempts),
        )
        return False
    Notification.objects.filter(pk=notification_id, claimed_at=now).update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        claimed_at=None,
        last_error="",
        subject=message.subject[:255],
    )
    if notification.kind == Notification.Kind.DIGEST:
        # The alerts it carried are delivered now, not before (a failed digest leaves them for the next one).
        Notification.objects.filter(
            pk__in=notification.payload.get("items", []), status=Notification.Status.DIGESTED
        ).update(status=Notification.Status.SENT, sent_at=timezone.now())
    return True


def notifications_relay(*, now: dt.datetime | None = None) -> list[int]:
    """Release stale claims and re-enqueue every queued row that is due; returns the ids enqueued.

    Enqueueing a row twice is harmless: only one delivery task can claim it.
    """
    from .tasks import deliver_notification

    now = now or timezone.now()
    Notification.objects.filter(status=Notification.Status.QUEUED, claimed_at__lt=now - CLAIM_LEASE).update(
        claimed_at=None
    )
    due = list(
        Notification.objects.filter(
            status=Notification.Status.QUEUED, next_attempt_at__lte=now, claimed_at__isnull=True
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        deliver_notification.delay(pk)
    return due
