"""State changes of the reporting app: computing and recomputing monthly report snapshots."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from reporting import compliance
from reporting.models import MonthlyReport, Notification, ReportAudit, ReportSubscription
from reporting.signals import report_created
from slas.models import SLA
from slas.permissions import can_recompute_report
from smarketing.webhooks import absolute_url, emit_event


def _closed_month_version(sla: SLA, month: dt.date) -> tuple[SLA, dt.date]:
    """The version whose targets apply to a closed ``month`` of ``sla``'s series, and the month's 1st."""
    local_month = sla.month(month)
    if local_month.end > timezone.now():
        raise ValidationError({"month": _("A report can only be made for a month that has ended.")})
    version = sla.version_for(local_month)
    if version is None:
        raise ValidationError({"month": _("This SLA was not in force in that month.")})
    return version, local_month.first_day


@transaction.atomic
def report_compute(*, sla: SLA, month: dt.date, by=None, task_name: str = "") -> MonthlyReport:
    """The snapshot of ``sla``'s series for ``month``: created once, then returned as stored.

    ``sla`` may be any version of the series; the report belongs to the series and names the
    version whose targets applied. Computations of one (series, month) are serialised by a row
    lock on that version, so a second worker waits and then finds the stored report; should two
    still race (another code path, a lock released by a dead connection), the unique
    (series, month) constraint refuses the second insert and it reads the first one.
    ``report_created`` is sent once, in this transaction, when the snapshot is stored.
    """
    version, month = _closed_month_version(sla, month)
    SLA.objects.select_for_update().filter(pk=version.pk).first()
    existing = MonthlyReport.objects.current().filter(series=version.series, month=month).first()
    if existing is not None:
        return existing
    data = compliance.compute(version, month)
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                sla=version,
                series=version.series,
                month=month,
                data=data,
                engine_version=compliance.ENGINE_VERSION,
                computed_at=timezone.now(),
                computed_by=by,
                computed_by_task=task_name,
            )
            report_created.send(sender=MonthlyReport, report=report)
            overall = data.get("overall")
            emit_event(
                "report.ready",
                {
                    "id": report.pk,
                    "sla": version.pk,
                    "series": str(version.series),
                    "month": f"{month:%Y-%m}",
                    "overall": overall,
                    "sla_title": version.title,
                    "engine_version": report.engine_version,
                    "api_url": absolute_url(reverse("api-report-detail", args=[report.pk])),
                    "web_url": absolute_url(reverse("reporting:report_detail", args=[report.pk])),
                },
                key=f"report:{report.pk}",
            )
            return report
    except IntegrityError:
        return MonthlyReport.objects.current().get(series=version.series, month=month)


def _changes(old: dict, new: dict) -> dict:
    """What a recomputation changed: overall figures and each commitment's actual/status."""
    changes: dict = {}
    if old.get("overall") != new.get("overall"):
        changes["overall"] = {"before": old.get("overall"), "after": new.get("overall")}
    before = {c["key"]: c for c in old.get("commitments", [])}
    for commitment in new.get("commitments", []):
        previous = before.get(commitment["key"], {})
        for field in ("target", "actual", "status"):
            if previous.get(field) != commitment.get(field):
                changes.setdefault("commitments", {}).setdefault(commitment["key"], {})[field] = {
                    "before": previous.get(field),
                    "after": commitment.get(field),
                }
    if old.get("engine_version") != new.get("engine_version"):
        changes["engine_version"] = {"before": old.get("engine_version"), "after": new.get("engine_version")}
    return changes


@transaction.atomic
def report_recompute(*, report: MonthlyReport, by) -> MonthlyReport:
    """A manager recomputes a stored report (e.g. after late entries); audited with the diff."""
    if not can_recompute_report(by, report.sla):
        raise PermissionDenied(_("Only a manager of one of the SLA's teams may recompute its report."))
    report = MonthlyReport.objects.select_for_update().select_related("sla").get(pk=report.pk)
    data = compliance.compute(report.sla, report.month)
    changes = _changes(report.data, data)
    report.sla_id = data["sla"]  # the version whose targets apply (any version may be stored)
    report.data = data
    report.engine_version = compliance.ENGINE_VERSION
    report.computed_at = timezone.now()
    report.computed_by = by
    report.computed_by_task = ""
    report.save(update_fields=["sla", "data", "engine_version", "computed_at", "computed_by", "computed_by_task"])
    ReportAudit.objects.create(report=report, recomputed_by=by, recomputed_at=report.computed_at, changes=changes)
    return report


def report_subscription_set(*, user, series, subscribed: bool) -> ReportSubscription:
    """Start or stop the monthly report of an SLA series for ``user`` (a manager's choice is kept too)."""
    subscription, _created = ReportSubscription.objects.update_or_create(
        user=user, sla_series=series, defaults={"unsubscribed": not subscribed}
    )
    return subscription


def notifications_mark_read(*, user, pks: list[int] | None = None) -> int:
    """Mark ``user``'s unread notifications as read: those of ``pks``, or all of them. Someone
    else's notification is left alone (it is not in their unread set). Returns how many changed."""
    unread = Notification.objects.unread_for(user)
    if pks is not None:
        unread = unread.filter(pk__in=pks)
    return unread.update(read_at=timezone.now())
