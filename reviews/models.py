"""The monthly smarketing review: a meeting per SLA series and closed month, its participants, their
points, the notes taken per agenda item, the decisions and the action items — then the frozen minutes.

The agenda itself is not stored while the review is open: it is read from the data
(``reviews.agenda``). Closing the review freezes everything into ``Review.minutes`` (like a report
snapshot): the minutes never change afterwards; what a later meeting decides is a new review.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from slas.clock import Month
from slas.models import (
    AT_MOST_HOURS,
    COMMITMENT_CATALOGUE,
    MAX_BUSINESS_HOURS,
    SLA,
    CommitmentKey,
    Function,
    MaturityCategory,
    Unit,
)

DEFAULT_DURATION_MINUTES = 60


class ReviewQuerySet(models.QuerySet):
    def of_series(self, series):
        return self.filter(series=series)

    def open(self):
        return self.filter(status=Review.Status.OPEN)

    def closed(self):
        return self.filter(status=Review.Status.CLOSED)

    def upcoming(self, now: dt.datetime | None = None):
        """Open reviews whose meeting has not ended yet, soonest first."""
        now = now or timezone.now()
        return self.open().filter(ends_at__gt=now).order_by("scheduled_at", "pk")


class Review(models.Model):
    """The review meeting of one SLA series about one closed month.

    ``kind`` ``monthly`` is the one prepared when the month's report is computed (one per series
    and month); ``extra`` meetings are added by hand. ``sla`` is the version whose targets applied
    in the month. ``sequence`` is the iCalendar SEQUENCE of the invitation: bumped at each
    reschedule so calendars replace the event whose UID is the review's.
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("Monthly review")
        EXTRA = "extra", _("Extra meeting")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    series = models.UUIDField(
        db_index=True, editable=False, verbose_name=_("series"), help_text=_("All versions of the SLA.")
    )
    sla = models.ForeignKey(SLA, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("SLA"))
    month = models.DateField(_("month reviewed"), help_text=_("First day of the month, in the SLA's time zone."))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MONTHLY)
    title = models.CharField(_("title"), max_length=200, blank=True)
    scheduled_at = models.DateTimeField(_("meeting time"))
    ends_at = models.DateTimeField(editable=False, verbose_name=_("ends"))
    location = models.CharField(_("place or video link"), max_length=300, blank=True)
    sequence = models.PositiveIntegerField(default=0, editable=False, verbose_name=_("invitation sequence"))
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.OPEN, editable=False, verbose_name=_("status")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created"))
    closed_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("closed on"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("closed by"),
    )
    # The frozen minutes (agenda, notes, decisions, action items, participants) written at closing.
    minutes = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        verbose_name=_("minutes"),
        help_text=_("Frozen at closing: agenda, notes, decisions, action items, participants."),
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "-scheduled_at", "-pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "month"], condition=Q(kind="monthly"), name="review_one_monthly_per_series_month"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False), name="review_closed_has_closing_time"
            ),
        ]
        indexes = [models.Index(fields=["status", "scheduled_at"])]

    def __str__(self) -> str:
        return f"{self.display_title} – {self.sla.title}"

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.pk])

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return _("Review of %(month)s") % {"month": date_format(self.month, "F Y")}

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def reviewed_month(self) -> Month:
        return self.sla.month(self.month)

    @property
    def duration(self) -> dt.timedelta:
        return self.ends_at - self.scheduled_at

    def ical_uid(self) -> str:
        """Stable for the life of the review: every invitation updates the same calendar event."""
        host = settings.SITE_URL.split("//")[-1].split("/")[0].split(":")[0] or "smarketing"
        return f"review-{self.pk}@{host}"


class Participant(models.Model):
    """Someone invited to the meeting: both teams' managers by default, anyone added."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="participants", verbose_name=_("review"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_participations", verbose_name=_("user")
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(default=timezone.now, verbose_name=_("added"))

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "user"], name="participant_once_per_review")]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return _("%(user)s in review #%(id)s") % {"user": self.user, "id": self.review_id}


class AgendaPoint(models.Model):
    """A point a participant adds to the agenda before (or during) the meeting."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="points", verbose_name=_("review"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("point"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("agenda point")
        verbose_name_plural = _("agenda points")

    def __str__(self) -> str:
        return self.text[:60]


class Note(models.Model):
    """What was said about one agenda item (``item``: the agenda item's key, e.g. ``miss:first_contact``)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="notes", verbose_name=_("review"))
    item = models.CharField(_("agenda item"), max_length=60)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")

    def __str__(self) -> str:
        return self.text[:60]


# The commitments whose response time (H) a decision can change.
RESPONSE_TIME_KEYS = (CommitmentKey.HANDOFF_RESPONSE, CommitmentKey.FIRST_CONTACT)


class Decision(models.Model):
    """What the meeting decided; it may propose an amendment of the SLA (``proposal``).

    A proposal is one change: a commitment's new ``target``, a new ``response_time`` (H business
    hours of handoff response or first contact — of one maturity category for first contact), or
    a maturity ``category_rule`` (response time and, optionally, the owning function).
    ``amendment`` is the draft it opened (``reviews.services.decision_open_amendment``).
    """

    class Proposal(models.TextChoices):
        NONE = "", _("No change to the SLA")
        TARGET = "target", _("New target")
        RESPONSE_TIME = "response_time", _("New response time")
        CATEGORY_RULE = "category_rule", _("New maturity category rule")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("review"))
    item = models.CharField(_("agenda item"), max_length=60, blank=True)
    text = models.TextField(_("decision"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    proposal = models.CharField(
        _("proposed change"), max_length=20, choices=Proposal.choices, blank=True, default=Proposal.NONE
    )
    commitment_key = models.CharField(_("commitment"), max_length=32, choices=CommitmentKey.choices, blank=True)
    category = models.PositiveSmallIntegerField(
        _("maturity category"), choices=MaturityCategory.choices, null=True, blank=True
    )
    proposed_value = models.DecimalField(
        _("new value"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The new target, or the new response time in business hours."),
    )
    proposed_owner_function = models.CharField(
        _("owned by"), max_length=16, choices=Function.choices, blank=True, help_text=_("Category rule only.")
    )
    amendment = models.ForeignKey(
        SLA,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="review_decisions",
        editable=False,
        verbose_name=_("amendment"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.review_id]) + f"#decision-{self.pk}"

    @property
    def proposes_amendment(self) -> bool:
        return bool(self.proposal)

    def clean(self) -> None:
        """A proposal names exactly what it changes, within the SLA's bounds."""
        errors: dict[str, str] = {}
        value = self.proposed_value
        if self.proposal == self.Proposal.NONE:
            return
        if self.proposal in (self.Proposal.TARGET, self.Proposal.RESPONSE_TIME) and not self.commitment_key:
            errors["commitment_key"] = _("Choose the commitment to change.")
        if value is None:
            errors["proposed_value"] = _("Give the new value.")
        elif value <= 0:
            errors["proposed_value"] = _("The new value must be above 0.")
        if self.proposal == self.Proposal.TARGET and self.commitment_key and value is not None:
            unit = COMMITMENT_CATALOGUE[self.commitment_key]["unit"]
            if unit == Unit.PERCENT and value > 100:
                errors["proposed_value"] = _("A rate is a percentage between 0 and 100.")
        if self.proposal == self.Proposal.RESPONSE_TIME:
            if self.commitment_key and self.commitment_key not in RESPONSE_TIME_KEYS:
                errors["commitment_key"] = _("Only handoff response and first contact have a response time.")
            if self.category and self.commitment_key != CommitmentKey.FIRST_CONTACT:
                errors["category"] = _("Only first contact has a response time per maturity category.")
        if self.proposal == self.Proposal.CATEGORY_RULE and not self.category:
            errors["category"] = _("Choose the maturity category.")
        is_hours = self.proposal in (self.Proposal.RESPONSE_TIME, self.Proposal.CATEGORY_RULE)
        if is_hours and value is not None and value > MAX_BUSINESS_HOURS:
            errors["proposed_value"] = AT_MOST_HOURS % {"limit_value": MAX_BUSINESS_HOURS}
        if self.proposed_owner_function and self.proposal != self.Proposal.CATEGORY_RULE:
            errors["proposed_owner_function"] = _("Only a category rule changes who owns the lead.")
        if errors:
            raise ValidationError(errors)

    def proposal_summary(self) -> str:
        """The proposed change in words (for the pages, the minutes and the API)."""
        if not self.proposal:
            return ""
        value = _plain(self.proposed_value)
        if self.proposal == self.Proposal.TARGET:
            return _("%(commitment)s: target %(value)s") % {
                "commitment": CommitmentKey(self.commitment_key).label,
                "value": value,
            }
        if self.proposal == self.Proposal.RESPONSE_TIME:
            if self.category:
                return _("%(commitment)s: %(value)s business hours for category %(category)s") % {
                    "commitment": CommitmentKey(self.commitment_key).label,
                    "value": value,
                    "category": self.category,
                }
            return _("%(commitment)s: %(value)s business hours") % {
                "commitment": CommitmentKey(self.commitment_key).label,
                "value": value,
            }
        summary = _("Category %(category)s: response within %(value)s business hours") % {
            "category": self.category,
            "value": value,
        }
        if self.proposed_owner_function:
            owner = Function(self.proposed_owner_function).label
            summary += " · " + str(_("owned by %(function)s") % {"function": owner})
        return summary


def _plain(value: Decimal | None) -> str:
    """2.00 → "2", 2.50 → "2.5"."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ActionItem(models.Model):
    """Something to do, owned by one person, due at a time: its ``followup`` (a ``FollowUp`` of kind
    ``action_item``) makes it appear in the owner's follow-ups, calendar feed and overdue alerts.

    It may be about a lead, a commitment or an SLA version. Its state (open, done) is the
    follow-up's, live; the minutes keep what it was at closing.
    """

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="action_items", verbose_name=_("review"))
    decision = models.ForeignKey(
        Decision,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
        verbose_name=_("decision"),
    )
    item = models.CharField(_("agenda item"), max_length=60, blank=True)
    title = models.CharField(_("action"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_action_items", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due date"))
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("lead")
    )
    commitment_key = models.CharField(_("commitment"), max_length=32, choices=CommitmentKey.choices, blank=True)
    sla = models.ForeignKey(
        SLA, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("SLA")
    )
    followup = models.OneToOneField(
        "leads.FollowUp",
        on_delete=models.PROTECT,
        related_name="action_item",
        editable=False,
        verbose_name=_("follow-up"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("reviews:detail", args=[self.review_id]) + f"#action-{self.pk}"
