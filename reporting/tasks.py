"""Celery tasks of the reporting app: thin wrappers that take ids and call the ``reporting.notifications`` modules.

Every task is idempotent (work is claimed with unique rows or conditional updates), acknowledged
late and re-queued when its worker dies, and bounded by soft and hard time limits.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 120, "time_limit": 180}


@shared_task(**TASK_OPTIONS)
def deliver_notification(notification_id: int) -> bool:
    from .notifications.outbox import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(**TASK_OPTIONS)
def relay_notifications() -> int:
    from .notifications.outbox import notifications_relay

    return len(notifications_relay())


@shared_task(**TASK_OPTIONS)
def scan_overdue_followups() -> int:
    from .notifications.overdue import followups_alert_overdue, followups_escalate_overdue

    # Well inside the soft time limit: a backlog bigger than that is taken on by the next run,
    # from the watermark, rather than killed with its chunk.
    return followups_alert_overdue(budget_seconds=TASK_OPTIONS["soft_time_limit"] / 2) + followups_escalate_overdue()


@shared_task(**TASK_OPTIONS)
def scan_at_risk_commitments() -> int:
    """Alert once per (SLA series, commitment, month) when a commitment of the current month turns at risk."""
    from django.utils import timezone

    from slas.models import SLA

    from . import compliance
    from .notifications.at_risk import notify_at_risk

    now = timezone.now()
    count = 0
    # The version of each series in force now, in its own time zone.
    for sla in SLA.objects.in_force_at(now).select_related("calendar"):
        month = sla.current_month(now)
        status = compliance.compute(sla, month, now=now)
        count += notify_at_risk(sla, month.first_day, status["commitments"])
    return count


@shared_task(**TASK_OPTIONS)
def dispatch_digests() -> int:
    from .notifications.digests import digest_dispatch

    return digest_dispatch()


@shared_task(**TASK_OPTIONS)
def dispatch_monthly_reports() -> int:
    """Queue the report run of every (SLA, month) that is due and not sent yet."""
    from .notifications.monthly import monthly_reports_due

    due = monthly_reports_due()
    for sla, month in due:
        send_monthly_reports_for.delay(sla.pk, month.isoformat())
    return len(due)


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def send_monthly_reports_for(sla_id: int, month: str) -> int:
    """Compute the SLA's report for ``month`` (YYYY-MM-DD, first day) if missing, then queue its e-mails."""
    from slas.models import SLA

    from .notifications.monthly import monthly_report_get_or_compute, monthly_report_send

    sla = SLA.objects.get(pk=sla_id)
    report = monthly_report_get_or_compute(
        sla=sla, month=dt.date.fromisoformat(month), task_name="reporting.tasks.send_monthly_reports_for"
    )
    return monthly_report_send(report=report)
