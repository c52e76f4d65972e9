"""Monthly report snapshots, their audit trail, and the notification log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slas.models import SLA


class MonthlyReportQuerySet(models.QuerySet):
    def current(self):
        """The reports of the series (leaving out per-version snapshots folded into one)."""
        return self.filter(replaced_by__isnull=True)


class MonthlyReport(models.Model):
    """The immutable compliance snapshot of one SLA series for one calendar month.

    ``sla`` is the version whose targets applied (the one in force at the month's end); the
    figures cover every version of the ``series``.
    """

    sla = models.ForeignKey(SLA, on_delete=models.PROTECT, related_name="reports", verbose_name=_("SLA"))
    series = models.UUIDField(
        db_index=True, help_text=_("The agreement: all versions of the SLA."), verbose_name=_("series")
    )
    month = models.DateField(help_text=_("First day of the month, in the SLA's time zone."), verbose_name=_("month"))
    data = models.JSONField(default=dict, verbose_name=_("figures"))
    engine_version = models.CharField(max_length=20, verbose_name=_("engine version"))
    computed_at = models.DateTimeField(default=timezone.now, verbose_name=_("computed"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("computed by"),
    )
    computed_by_task = models.CharField(max_length=120, blank=True, verbose_name=_("computed by task"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent"))
    # Reports made per version before the series rule: when two versions of one series had a
    # report for the same month, the older version's is kept (history) and points to the other.
    replaced_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("replaced by"),
        help_text=_("Another version's report for the same month, kept as history."),
    )

    objects = MonthlyReportQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "sla"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "month"],
                condition=models.Q(replaced_by__isnull=True),
                name="report_unique_series_month",
            )
        ]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")

    def __str__(self) -> str:
        return f"{self.sla} – {self.month:%Y-%m}"

    def save(self, *args, **kwargs):
        if self.series is None and self.sla_id:
            self.series = self.sla.series
        super().save(*args, **kwargs)


class ReportAudit(models.Model):
    """Who recomputed a report, when, and what changed."""

    report = models.ForeignKey(MonthlyReport, on_delete=models.PROTECT, related_name="audits", verbose_name=_("report"))
    recomputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recomputed by"),
    )
    recomputed_at = models.DateTimeField(default=timezone.now, verbose_name=_("recomputed"))
    changes = models.JSONField(default=dict, verbose_name=_("changes"))

    class Meta:
        verbose_name = _("report recomputation")
        verbose_name_plural = _("report recomputations")
        ordering = ["-recomputed_at"]

    def __str__(self) -> str:
        return _("%(report)s recomputed on %(when)s") % {
            "report": self.report,
            "when": f"{self.recomputed_at:%Y-%m-%d %H:%M}",
        }


class ReportSubscription(models.Model):
    """A user who receives an SLA's monthly report besides both teams' managers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions", verbose_name=_("user")
    )
    sla_series = models.UUIDField(help_text=_("All versions of the SLA."), verbose_name=_("SLA series"))
    unsubscribed = models.BooleanField(default=False, verbose_name=_("unsubscribed"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "sla_series"], name="subscription_unique")]

    def __str__(self) -> str:
        return f"{self.user} ← {self.sla_series}"


class NotificationQuerySet(models.QuerySet):
    def unread_for(self, user) -> NotificationQuerySet:
        """The notifications sent to ``user`` that they have not marked as read (the navigation's badge)."""
        return self.filter(recipient=user, read_at__isnull=True)


class Notification(models.Model):
    """One message to one recipient; the unique key makes every notification happen once."""

    class Kind(models.TextChoices):
        MONTHLY_REPORT = "monthly_report", _("Monthly report")
        OVERDUE = "overdue", _("Overdue follow-up")
        ESCALATION = "escalation", _("Escalation to manager")
        DIGEST = "digest", _("Daily digest")
        AT_RISK = "at_risk", _("Commitment at risk")
        REVIEW_INVITATION = "review_invitation", _("Review meeting invitation")
        REVIEW_MINUTES = "review_minutes", _("Review meeting minutes")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        DIGESTED = "digested", _("Waiting for the digest")

    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    # e.g. "report:12", "followup:44:owner", "atrisk:3:first_contact:2026-11": once per key and recipient.
    dedupe_key = models.CharField(
        max_length=200, verbose_name=_("deduplication key"), help_text=_("Sent once per key and recipient.")
    )
    subject = models.CharField(max_length=255, blank=True, verbose_name=_("subject"))
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt"))
    # Set by the delivery task that claimed the row; a stale claim (worker died) is released by the relay.
    claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name=_("claimed"),
        help_text=_("Set by the delivery task that claimed it; a stale claim is released."),
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent"))
    # Set when the recipient marks it as read in the notifications centre (never by delivery).
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key", "recipient"], name="notification_once_per_key_recipient")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The unread badge on every page: a count over one recipient's unread rows only.
            models.Index(
                fields=["recipient", "-created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"


class OverdueAlert(models.Model):
    """Bookkeeping of one overdue follow-up: the owner was alerted, the escalation is due at ``escalate_at``.

    The row is the claim: it is created once (one-to-one) in the transaction that writes the owner
    notifications, and the escalation scan walks only rows not escalated yet whose time has come.
    """

    followup = models.OneToOneField(
        "leads.FollowUp", on_delete=models.CASCADE, related_name="overdue_alert", verbose_name=_("follow-up")
    )
    owner_alerted_at = models.DateTimeField(default=timezone.now, verbose_name=_("owner alerted"))
    escalate_at = models.DateTimeField(verbose_name=_("escalation due"))
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("escalated"))

    class Meta:
        verbose_name = _("overdue alert")
        verbose_name_plural = _("overdue alerts")
        indexes = [models.Index(fields=["escalated_at", "escalate_at"])]

    def __str__(self) -> str:
        return _("overdue alert for follow-up #%(id)s") % {"id": self.followup_id}


class ScanWatermark(models.Model):
    """How far a periodic scan got, so the next run only looks at what is new since then.

    The overdue scan (``reporting.notifications.overdue``) walks follow-ups in ``(due_at, id)``
    order in chunks, each committed with the position it reached (``cursor_due_at``,
    ``cursor_id``): a scan killed between two chunks resumes after the last committed one.
    ``scanned_until`` is the time of the last scan that reached the end; ``pass_alerted`` and
    ``chunk_at`` tell how far the current pass is (progress, in the admin and the logs).
    """

    name = models.CharField(max_length=60, unique=True, verbose_name=_("name"))
    scanned_until = models.DateTimeField(verbose_name=_("scanned until"))
    cursor_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("cursor due date"))
    cursor_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("cursor ID"))
    pass_alerted = models.PositiveIntegerField(default=0, verbose_name=_("alerts in this pass"))
    chunk_at = models.DateTimeField(null=True, blank=True, verbose_name=_("chunk started"))

    class Meta:
        verbose_name = _("scan watermark")
        verbose_name_plural = _("scan watermarks")

    def __str__(self) -> str:
        return _("%(name)s until %(when)s") % {"name": self.name, "when": f"{self.scanned_until:%Y-%m-%d %H:%M}"}
