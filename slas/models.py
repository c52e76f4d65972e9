"""Teams and roles, and the SLA document that binds a marketing team to a sales team."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
import zoneinfo
from decimal import Decimal
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smarketing.validators import validate_time_zone

from .business_time import BusinessCalendar
from .clock import Month

# Bounds of the SLA's parameters (documented in docs/compliance.md): beyond them a deadline
# would fall decades away or overflow the business clock, so ``clean()`` refuses them.
MAX_BUSINESS_HOURS = Decimal(2000)
MAX_BUSINESS_DAYS = 60
MAX_ATTEMPTS = 50
MAX_TAKE_DAYS = 365
# The working calendar needs at least this much working time in a week, and at most this many
# extra closed dates, so that every bounded deadline exists within the business clock's horizon.
MIN_WEEKLY_WORKING_HOURS = 1
MAX_CLOSED_DATES = 366
# An SLA's period lies within these dates.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


AT_MOST_HOURS = _("At most %(limit_value)s business hours.")
AT_MOST_DAYS = _("At most %(limit_value)s days.")
AT_MOST_BUSINESS_DAYS = _("At most %(limit_value)s business days.")
AT_MOST_ATTEMPTS = _("At most %(limit_value)s attempts.")


class Function(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")


class Team(models.Model):
    """A marketing or sales team; several of each may exist (e.g. inside and field sales)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    function = models.CharField(_("function"), max_length=16, choices=Function.choices)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created"))

    class Meta:
        ordering = ["function", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A team's function is fixed once SLAs or members depend on it (they chose it for it)."""
        if not self.pk:
            return
        stored = Team.objects.filter(pk=self.pk).values_list("function", flat=True).first()
        if (
            stored is not None
            and stored != self.function
            and (self.memberships.exists() or SLA.objects.filter(Q(marketing_team=self) | Q(sales_team=self)).exists())
        ):
            raise ValidationError({"function": _("A team with SLAs or members keeps its function.")})

    @property
    def is_marketing(self) -> bool:
        return self.function == Function.MARKETING

    @property
    def is_sales(self) -> bool:
        return self.function == Function.SALES

    def managers(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(
            memberships__team=self, memberships__role=Membership.Role.MANAGER, is_active=True
        )

    def members(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.filter(memberships__team=self, is_active=True).distinct()


class Membership(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("team"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "team"], name="membership_unique_user_team")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} – {self.team} ({self.get_role_display()})"


def _new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Profile(models.Model):
    """Per-user preferences and the executive 'viewer' role (reads everything, writes nothing)."""

    class AlertMode(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately")
        DIGEST = "digest", _("Daily digest")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    is_viewer = models.BooleanField(
        _("viewer"), default=False, help_text=_("Executives who read everything and write nothing.")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    alert_mode = models.CharField(
        _("overdue alerts"), max_length=16, choices=AlertMode.choices, default=AlertMode.IMMEDIATE
    )
    calendar_token = models.CharField(
        max_length=64, unique=True, default=_new_calendar_token, editable=False, verbose_name=_("calendar token")
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return _("profile of %(user)s") % {"user": self.user}

    @classmethod
    def for_user(cls, user) -> Profile:
        """The user's profile (already loaded with the user when it was selected), created with
        the defaults if the user has none yet."""
        try:
            return user.profile
        except cls.DoesNotExist:
            profile, _created = cls.objects.get_or_create(user=user)
            user.profile = profile  # asked again for the same user (a scan's chunk): no query
            return profile

    def rotate_calendar_token(self) -> None:
        self.calendar_token = _new_calendar_token()
        self.save(update_fields=["calendar_token"])


# --- The SLA document ------------------------------------------------------------------


class Unit(models.TextChoices):
    COUNT = "count", _("count")
    AMOUNT = "amount", _("amount")
    PERCENT = "percent", _("percentage")


class CommitmentKey(models.TextChoices):
    PROSPECTS_VOLUME = "prospects_volume", _("New prospects")
    MQL_VOLUME = "mql_volume", _("New MQLs")
    MQL_ACCEPTANCE_RATE = "mql_acceptance_rate", _("MQL acceptance rate")
    HANDOFF_RESPONSE = "handoff_response", _("Handoff decided in time")
    FIRST_CONTACT = "first_contact", _("First contact in time")
    CONTACT_ATTEMPTS = "contact_attempts", _("Contact attempts made")
    RETURN_FEEDBACK = "return_feedback", _("Returns with feedback")
    WON_REVENUE = "won_revenue", _("Won revenue")
    NEW_CLIENTS = "new_clients", _("New clients")


class Side(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")
    SHARED = "shared", _("Shared")


# The catalogue of SPEC §4: who is accountable, what the target counts, which parameters apply.
COMMITMENT_CATALOGUE: dict[str, dict] = {
    CommitmentKey.PROSPECTS_VOLUME: {"side": Side.MARKETING, "unit": Unit.COUNT, "params": ()},
    CommitmentKey.MQL_VOLUME: {"side": Side.MARKETING, "unit": Unit.COUNT, "params": ()},
    CommitmentKey.MQL_ACCEPTANCE_RATE: {"side": Side.MARKETING, "unit": Unit.PERCENT, "params": ()},
    CommitmentKey.HANDOFF_RESPONSE: {"side": Side.SALES, "unit": Unit.PERCENT, "params": ("hours",)},
    CommitmentKey.FIRST_CONTACT: {"side": Side.SALES, "unit": Unit.PERCENT, "params": ("hours", "category_hours")},
    CommitmentKey.CONTACT_ATTEMPTS: {"side": Side.SALES, "unit": Unit.PERCENT, "params": ("attempts", "days")},
    CommitmentKey.RETURN_FEEDBACK: {"side": Side.SALES, "unit": Unit.PERCENT, "params": ()},
    CommitmentKey.WON_REVENUE: {"side": Side.SHARED, "unit": Unit.AMOUNT, "params": ()},
    CommitmentKey.NEW_CLIENTS: {"side": Side.SHARED, "unit": Unit.COUNT, "params": ()},
}


SIGNED_STATUSES = ("active", "superseded", "expired")


def in_force_q(first: dt.date, last: dt.date) -> Q:
    """SLAs in force on at least one day of [first, last] (local dates of each SLA).

    A signed version is in force from ``in_force_from`` (its start date, or for an amendment
    the day it took effect) to its end date, until the day it was superseded (exclusive).
    """
    return (
        Q(status__in=SIGNED_STATUSES, start_date__lte=last, end_date__gte=first)
        & (Q(in_force_from__isnull=True) | Q(in_force_from__lte=last))
        & (Q(superseded_on__isnull=True) | Q(superseded_on__gt=first))
    )


class SLAQuerySet(models.QuerySet):
    def signed(self):
        return self.filter(status__in=SIGNED_STATUSES)

    def in_force_between(self, first: dt.date, last: dt.date):
        """In force on at least one day from ``first`` to ``last`` (local dates)."""
        return self.filter(in_force_q(first, last))

    def in_force_on(self, day: dt.date):
        """SLAs that govern ``day`` (a local date of each SLA)."""
        return self.in_force_between(day, day)

    def in_force_during(self, month: Month):
        """SLAs in force on at least one day of ``month``."""
        return self.in_force_between(month.first_day, month.last_day)

    def in_force_at(self, moment: dt.datetime):
        """SLAs in force at an instant, each judged on the local date of its own time zone."""
        zones = set(WorkingCalendar.objects.values_list("time_zone", flat=True).distinct())
        zones.add(settings.TIME_ZONE)
        condition = Q(pk__in=[])
        for zone in sorted(zones):
            try:
                day = moment.astimezone(zoneinfo.ZoneInfo(zone)).date()
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
            in_zone = Q(calendar__time_zone=zone)
            if zone == settings.TIME_ZONE:
                in_zone |= Q(calendar__isnull=True)
            condition |= in_zone & in_force_q(day, day)
        return self.filter(condition)

    def active(self):
        return self.filter(status=SLA.Status.ACTIVE)

    def for_teams(self, marketing_team, sales_team):
        return self.filter(marketing_team=marketing_team, sales_team=sales_team)

    def governing(self, marketing_team, sales_team, at: dt.datetime | dt.date):
        """The one SLA version in force between two teams at an instant (judged in each SLA's own
        zone) or on a local date, or None."""
        pair = self.for_teams(marketing_team, sales_team)
        in_force = pair.in_force_at(at) if isinstance(at, dt.datetime) else pair.in_force_on(at)
        return in_force.order_by("-version").first()


class SLA(models.Model):
    """One version of the service level agreement between a marketing and a sales team.

    Signed versions are immutable; an amendment is a new draft version (``amends`` points at
    the version it changes) that supersedes the old one when it is signed.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_SIGNATURE = "in_signature", _("In signature")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Superseded")

    title = models.CharField(_("title"), max_length=200)
    marketing_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="slas_as_marketing", verbose_name=_("marketing team")
    )
    sales_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="slas_as_sales", verbose_name=_("sales team")
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    company_objectives = models.TextField(_("company objectives"), blank=True)
    marketing_role = models.TextField(_("marketing role and scope"), blank=True)
    sales_role = models.TextField(_("sales role and scope"), blank=True)
    escalation_delay_hours = models.DecimalField(
        _("escalation delay (business hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("4"),
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(MAX_BUSINESS_HOURS, AT_MOST_HOURS)],
    )

    # Versions: every amendment is a new row of the same series.
    series = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        db_index=True,
        verbose_name=_("series"),
        help_text=_("All versions of the SLA."),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    amends = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
        editable=False,
        verbose_name=_("amends"),
    )
    # The first day this version governs: its start date, or for an amendment signed after its
    # start date the day it took effect (an amendment never rewrites days already governed).
    in_force_from = models.DateField(
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("in force from"),
        help_text=_("The first day this version governs."),
    )
    superseded_on = models.DateField(null=True, blank=True, editable=False, verbose_name=_("superseded on"))

    # Optimistic locking of drafts: an edit based on an older revision is refused.
    revision = models.PositiveIntegerField(
        default=1,
        editable=False,
        verbose_name=_("revision"),
        help_text=_("Bumped by every edit of a draft: an edit based on an older revision is refused."),
    )
    fingerprint = models.CharField(max_length=64, blank=True, editable=False, verbose_name=_("fingerprint"))
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("submitted"))
    activated_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("activated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False, verbose_name=_("created"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    objects = SLAQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-version"]
        verbose_name = _("SLA")
        verbose_name_plural = _("SLAs")
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gt=models.F("start_date")), name="sla_end_after_start"),
            models.UniqueConstraint(fields=["series", "version"], name="sla_unique_series_version"),
        ]
        indexes = [models.Index(fields=["marketing_team", "sales_team", "status"])]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            errors["end_date"] = _("The end date must be after the start date.")
        for field in ("start_date", "end_date"):
            day = getattr(self, field)
            if day and not EARLIEST_DATE <= day <= LATEST_DATE:
                errors[field] = _("Choose a date between %(first)s and %(last)s.") % {
                    "first": EARLIEST_DATE.isoformat(),
                    "last": LATEST_DATE.isoformat(),
                }
        if self.marketing_team_id and self.marketing_team.function != Function.MARKETING:
            errors["marketing_team"] = _("Choose a marketing team.")
        if self.sales_team_id and self.sales_team.function != Function.SALES:
            errors["sales_team"] = _("Choose a sales team.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def missing_for_submission(self) -> dict[str, str]:
        """What a draft lacks before it can be sent for signature, by section ({} when complete)."""
        missing = {}
        if not self.commitments.exists():
            missing["commitments"] = _("An SLA needs at least one commitment.")
        if not WorkingCalendar.objects.filter(sla=self).exists():
            missing["calendar"] = _("An SLA needs a working calendar.")
        return missing

    @property
    def is_signed(self) -> bool:
        return self.status in {self.Status.ACTIVE, self.Status.EXPIRED, self.Status.SUPERSEDED}

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date

    # --- the clock: months and days in the SLA's time zone ------------------------------

    @property
    def time_zone(self) -> str:
        """The zone of the SLA's clock (its working calendar's; the site's when it has none)."""
        calendar = getattr(self, "calendar", None)
        return calendar.time_zone if calendar is not None else settings.TIME_ZONE

    def today(self, now: dt.datetime | None = None) -> dt.date:
        """The local date in the SLA's time zone."""
        return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    def month(self, day: dt.date) -> Month:
        """The calendar month of a local date, in the SLA's time zone."""
        return Month.of(day, self.time_zone)

    def current_month(self, now: dt.datetime | None = None) -> Month:
        return Month.containing(now or timezone.now(), self.time_zone)

    # --- the series: every version of one agreement -------------------------------------

    def series_versions(self):
        return SLA.objects.filter(series=self.series)

    def version_for(self, month: Month, now: dt.datetime | None = None) -> SLA | None:
        """The version of the series whose targets and parameters apply to ``month``.

        A closed month takes the version in force at its end; the current month the version
        in force now — in both cases the latest version in force between the 1st and that day.
        """
        today = (now or timezone.now()).astimezone(month.tz).date()
        cutoff = min(month.last_day, today)
        if cutoff < month.first_day:
            return None
        in_force = self.series_versions().in_force_between(month.first_day, cutoff).select_related("calendar")
        return in_force.order_by("-version").first()

    def commitment(self, key: str) -> Commitment | None:
        for commitment in self.commitments.all():
            if commitment.key == key:
                return commitment
        return None

    def maturity_rule(self, category: int | None) -> MaturityRule | None:
        for rule in self.maturity_rules.all():
            if rule.category == category:
                return rule
        return None

    @cached_property
    def business_calendar(self) -> BusinessCalendar:
        calendar = getattr(self, "calendar", None)
        if calendar is None:
            return WorkingCalendar.default_business_calendar()
        return calendar.business

    def canonical_content(self) -> dict:
        """Everything a signature vouches for, in a stable order (see ``compute_fingerprint``)."""
        calendar = getattr(self, "calendar", None)
        return {
            "title": self.title,
            "marketing_team": self.marketing_team_id,
            "sales_team": self.sales_team_id,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "currency": self.currency,
            "company_objectives": self.company_objectives,
            "marketing_role": self.marketing_role,
            "sales_role": self.sales_role,
            # Fixed decimals: an unsaved Decimal("4") and a loaded Decimal("4.00") sign alike.
            "escalation_delay_hours": f"{Decimal(self.escalation_delay_hours):.2f}",
            "goals": [goal.canonical() for goal in self.goals.order_by("pk")],
            "commitments": [c.canonical() for c in self.commitments.order_by("key", "pk")],
            "maturity_rules": [r.canonical() for r in self.maturity_rules.order_by("category")],
            "milestones": [m.canonical() for m in self.milestones.order_by("due_date", "pk")],
            "calendar": calendar.canonical() if calendar else None,
        }

    def compute_fingerprint(self) -> str:
        payload = json.dumps(self.canonical_content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class SharedGoal(models.Model):
    """A SMART goal both teams share (specific, measurable, achievable, realistic, time-bound)."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="goals", verbose_name=_("SLA"))
    specific = models.TextField(_("specific"))
    metric = models.CharField(_("measurable metric"), max_length=200)
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    achievable = models.TextField(_("achievable / realistic"), blank=True)
    deadline = models.DateField(_("deadline"))

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("shared goal")
        verbose_name_plural = _("shared goals")

    def __str__(self) -> str:
        return self.specific[:60]

    def canonical(self) -> dict:
        return {
            "specific": self.specific,
            "metric": self.metric,
            "target": str(self.target),
            "achievable": self.achievable,
            "deadline": self.deadline.isoformat(),
        }


class Commitment(models.Model):
    """A measurable promise of one side, checked every month (SPEC §4)."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("SLA"))
    key = models.CharField(_("commitment"), max_length=32, choices=CommitmentKey.choices)
    target = models.DecimalField(
        _("target"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    hours = models.DecimalField(
        _("hours (H)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_BUSINESS_HOURS, AT_MOST_HOURS)],
        help_text=_("Business hours allowed."),
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts (K)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ATTEMPTS, AT_MOST_ATTEMPTS)],
    )
    days = models.PositiveSmallIntegerField(
        _("days (D)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BUSINESS_DAYS, AT_MOST_BUSINESS_DAYS)],
    )
    # Per maturity category overrides of H for first contact: {"1": 4, "2": 24, "3": 72}.
    category_hours = models.JSONField(_("hours per maturity category"), default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["sla", "key"], name="commitment_unique_key_per_sla")]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return f"{self.get_key_display()} ≥ {self.target}"

    @property
    def side(self) -> str:
        return COMMITMENT_CATALOGUE[self.key]["side"]

    @property
    def unit(self) -> str:
        return COMMITMENT_CATALOGUE[self.key]["unit"]

    @property
    def side_label(self) -> str:
        return Side(self.side).label

    def hours_for_category(self, category: int | None) -> Decimal | None:
        if category is not None and isinstance(self.category_hours, dict) and str(category) in self.category_hours:
            return Decimal(str(self.category_hours[str(category)]))
        return self.hours

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if not self.key:
            return
        params = COMMITMENT_CATALOGUE[self.key]["params"]
        if self.unit == Unit.PERCENT and self.target is not None and self.target > 100:
            errors["target"] = _("A rate is a percentage between 0 and 100.")
        if "hours" in params and self.hours is None:
            errors["hours"] = _("Give the number of business hours allowed.")
        if "attempts" in params and self.attempts is None:
            errors["attempts"] = _("Give the number of contact attempts expected.")
        if "days" in params and self.days is None:
            errors["days"] = _("Give the number of business days of the attempt window.")
        if not isinstance(self.category_hours or {}, dict):
            errors["category_hours"] = _('Give the hours per category as {"1": 4, "2": 24, "3": 72}.')
        else:
            for category, value in (self.category_hours or {}).items():
                if str(category) not in {"1", "2", "3"} or not _is_bounded_hours(value):
                    errors["category_hours"] = _(
                        "Hours per category must be numbers above 0 and at most %(limit)s, for categories 1 to 3."
                    ) % {"limit": MAX_BUSINESS_HOURS}
                    break
        if errors:
            raise ValidationError(errors)

    def canonical(self) -> dict:
        return {
            "key": self.key,
            "target": str(self.target),
            "hours": str(self.hours) if self.hours is not None else None,
            "attempts": self.attempts,
            "days": self.days,
            "category_hours": {str(k): str(v) for k, v in sorted((self.category_hours or {}).items())},
        }


def _is_bounded_hours(value) -> bool:
    """A number of business hours above 0 and at most ``MAX_BUSINESS_HOURS`` (not NaN, not infinite)."""
    if isinstance(value, bool):
        return False
    try:
        hours = Decimal(str(value))
    except (ArithmeticError, TypeError, ValueError):
        return False
    return hours.is_finite() and Decimal(0) < hours <= MAX_BUSINESS_HOURS


class MaturityCategory(models.IntegerChoices):
    SHORT_TERM = 1, _("1 – short-term project")
    MEDIUM_TERM = 2, _("2 – medium-term project")
    LONG_TERM = 3, _("3 – long-term or ill-defined project")


class MaturityRule(models.Model):
    """Per maturity category: who owns the lead, how fast it must be worked, temporary takes."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="maturity_rules", verbose_name=_("SLA"))
    category = models.PositiveSmallIntegerField(_("category"), choices=MaturityCategory.choices)
    owner_function = models.CharField(_("owned by"), max_length=16, choices=Function.choices)
    response_hours = models.DecimalField(
        _("response time (business hours)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_BUSINESS_HOURS, AT_MOST_HOURS)],
    )
    sales_may_take = models.BooleanField(_("sales may take it temporarily"), default=False)
    take_max_days = models.PositiveSmallIntegerField(
        _("longest temporary take (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TAKE_DAYS, AT_MOST_DAYS)],
    )

    class Meta:
        ordering = ["category"]
        constraints = [models.UniqueConstraint(fields=["sla", "category"], name="maturity_rule_unique_category")]
        verbose_name = _("maturity rule")
        verbose_name_plural = _("maturity rules")

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.get_owner_function_display()}"

    def clean(self) -> None:
        if self.sales_may_take and not self.take_max_days:
            raise ValidationError({"take_max_days": _("Say how long sales may keep the lead.")})

    def canonical(self) -> dict:
        return {
            "category": self.category,
            "owner_function": self.owner_function,
            "response_hours": str(self.response_hours),
            "sales_may_take": self.sales_may_take,
            "take_max_days": self.take_max_days,
        }


class Milestone(models.Model):
    """An entry of the intervention calendar (calendrier d'intervention)."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("SLA"))
    title = models.CharField(_("title"), max_length=200)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner team"))
    due_date = models.DateField(_("due date"))
    repeats_monthly = models.BooleanField(_("repeats every month"), default=False)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date})"

    def occurrences(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Due dates from ``first`` to ``last`` while the milestone's SLA version governs.

        A monthly milestone repeats on the same day of each month (the last day of a shorter
        month). Only the days its version is in force count, so the versions of one series
        never list the same review twice.
        """
        sla = self.sla
        window_first = max(first, self.due_date, sla.in_force_from or sla.start_date)
        window_last = min(last, sla.end_date)
        if sla.superseded_on is not None:
            window_last = min(window_last, sla.superseded_on - dt.timedelta(days=1))
        if window_first > window_last:
            return []
        if not self.repeats_monthly:
            return [self.due_date] if window_first <= self.due_date <= window_last else []
        days = []
        month = Month.of(window_first)
        while month.first_day <= window_last:
            day = month.day(self.due_date.day)
            if window_first <= day <= window_last:
                days.append(day)
            month = month.next()
        return days

    def canonical(self) -> dict:
        return {
            "title": self.title,
            "owner_team": self.owner_team_id,
            "due_date": self.due_date.isoformat(),
            "repeats_monthly": self.repeats_monthly,
        }


class WorkingCalendar(models.Model):
    """The SLA's clock: time zone, weekly working hours, public holidays and closed dates."""

    sla = models.OneToOneField(SLA, on_delete=models.CASCADE, related_name="calendar", verbose_name=_("SLA"))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    country = models.CharField(
        _("public holidays of"), max_length=8, blank=True, default="FR", help_text=_("ISO country code, e.g. FR.")
    )
    subdivision = models.CharField(_("region"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("working calendar")
        verbose_name_plural = _("working calendars")

    def __str__(self) -> str:
        return f"{self.time_zone} {self.country}"

    def clean(self) -> None:
        import holidays as holidays_lib

        errors = {}
        if self.country and self.country.upper() not in holidays_lib.list_supported_countries():
            errors["country"] = _("No public-holiday calendar for this country code.")
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def check_working_time(intervals, closed_dates=()) -> dict[str, str]:
        """Errors (by section) of a calendar too poor for the business clock.

        ``intervals`` are (weekday, start, end) rows: together they must give at least
        ``MIN_WEEKLY_WORKING_HOURS`` a week, and there may be at most ``MAX_CLOSED_DATES``
        extra closed dates — so that every deadline the bounded parameters allow exists.
        """
        errors = {}
        weekly = dt.timedelta(0)
        for _weekday, start, end in intervals:
            if start is None or end is None:
                continue
            end_moment = dt.datetime.combine(dt.date.min + dt.timedelta(days=1 if end == dt.time(0) else 0), end)
            weekly += max(end_moment - dt.datetime.combine(dt.date.min, start), dt.timedelta(0))
        if weekly < dt.timedelta(hours=MIN_WEEKLY_WORKING_HOURS):
            errors["hours"] = _("The working hours must add up to at least %(hours)s hour(s) a week.") % {
                "hours": MIN_WEEKLY_WORKING_HOURS
            }
        if len(list(closed_dates)) > MAX_CLOSED_DATES:
            errors["closed_dates"] = _("At most %(count)s extra closed dates.") % {"count": MAX_CLOSED_DATES}
        return errors

    @cached_property
    def business(self) -> BusinessCalendar:
        weekly: dict[int, list] = {}
        for interval in self.hours.all():
            weekly.setdefault(interval.weekday, []).append((interval.start, interval.end))
        return BusinessCalendar(
            time_zone=self.time_zone,
            weekly={day: tuple(intervals) for day, intervals in weekly.items()},
            country=self.country.upper(),
            subdivision=self.subdivision,
            closed_dates=frozenset(closed.date for closed in self.closed_dates.all()),
        )

    @staticmethod
    def default_business_calendar() -> BusinessCalendar:
        from .business_time import STANDARD_WEEK

        return BusinessCalendar(time_zone=settings.TIME_ZONE, weekly=STANDARD_WEEK, country="FR")

    def add_business_hours(self, start: dt.datetime, hours) -> dt.datetime:
        return self.business.add_business_hours(start, hours)

    def business_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.business.business_hours_between(start, end)

    def add_business_days(self, start: dt.datetime, days: int) -> dt.datetime:
        return self.business.add_business_days(start, days)

    def canonical(self) -> dict:
        return {
            "time_zone": self.time_zone,
            "country": self.country,
            "subdivision": self.subdivision,
            "hours": [
                [h.weekday, h.start.isoformat(), h.end.isoformat()] for h in self.hours.order_by("weekday", "start")
            ],
            "closed_dates": [c.date.isoformat() for c in self.closed_dates.order_by("date")],
        }


class WorkingHours(models.Model):
    """One working interval on a weekday; a day may have several (e.g. 9–12 and 14–18)."""

    calendar = models.ForeignKey(
        WorkingCalendar, on_delete=models.CASCADE, related_name="hours", verbose_name=_("working calendar")
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=[
            (0, _("Monday")),
            (1, _("Tuesday")),
            (2, _("Wednesday")),
            (3, _("Thursday")),
            (4, _("Friday")),
            (5, _("Saturday")),
            (6, _("Sunday")),
        ],
        validators=[MaxValueValidator(6)],
    )
    start = models.TimeField(_("from"))
    end = models.TimeField(_("to"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError({"end": _("The interval must end after it starts.")})


class ClosedDate(models.Model):
    """An extra non-working date (company closure, bridge day) on top of public holidays."""

    calendar = models.ForeignKey(
        WorkingCalendar, on_delete=models.CASCADE, related_name="closed_dates", verbose_name=_("working calendar")
    )
    date = models.DateField(_("date"))
    label = models.CharField(_("label"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closed_date_unique")]
        verbose_name = _("closed date")
        verbose_name_plural = _("closed dates")

    def __str__(self) -> str:
        return f"{self.date} {self.label}".strip()


class Signature(models.Model):
    """A manager's signature of an SLA version for one team, with the content fingerprint."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("SLA"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("team"))
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(default=timezone.now, verbose_name=_("signed"))
    fingerprint = models.CharField(max_length=64, verbose_name=_("fingerprint"))

    class Meta:
        ordering = ["signed_at"]
        constraints = [models.UniqueConstraint(fields=["sla", "team"], name="signature_unique_team")]
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")

    def __str__(self) -> str:
        return _("%(team)s, signed by %(user)s on %(when)s") % {
            "team": self.team,
            "user": self.signed_by,
            "when": f"{self.signed_at:%Y-%m-%d %H:%M}",
        }


class LifecycleRecord(models.Model):
    """Append-only trace of the lifecycle steps that clear state, with who and when.

    Withdrawing a document from signature clears its signatures (kept here, as they were);
    deleting a draft removes the document (its title, series and version are kept here).
    Never edited, never deleted.
    """

    class Action(models.TextChoices):
        WITHDRAWN = "withdrawn", _("Withdrawn from signature")
        DRAFT_DELETED = "draft_deleted", _("Draft deleted")

    sla = models.ForeignKey(
        SLA, null=True, blank=True, on_delete=models.SET_NULL, related_name="lifecycle_records", verbose_name=_("SLA")
    )
    series = models.UUIDField(db_index=True, verbose_name=_("series"), help_text=_("All versions of the SLA."))
    version = models.PositiveIntegerField(verbose_name=_("version"))
    title = models.CharField(max_length=200, verbose_name=_("title"))
    action = models.CharField(max_length=20, choices=Action.choices, verbose_name=_("action"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("done by")
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("date"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    fingerprint = models.CharField(max_length=64, blank=True, verbose_name=_("fingerprint"))
    # [{"team": id, "team_name": …, "signed_by": id, "signed_by_username": …, "signed_at": iso, "fingerprint": …}]
    cleared_signatures = models.JSONField(default=list, blank=True, verbose_name=_("cleared signatures"))

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("SLA lifecycle record")
        verbose_name_plural = _("SLA lifecycle records")

    def __str__(self) -> str:
        return _("%(action)s: %(title)s v%(version)s by %(user)s on %(when)s") % {
            "action": self.get_action_display(),
            "title": self.title,
            "version": self.version,
            "user": self.actor,
            "when": f"{self.at:%Y-%m-%d %H:%M}",
        }


class GoalPlan(models.Model):
    """A saved reverse-funnel computation (inputs and the volumes it gives)."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    inputs = models.JSONField(default=dict, verbose_name=_("inputs"))
    result = models.JSONField(default=dict, verbose_name=_("result"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("goal plan")
        verbose_name_plural = _("goal plans")

    def __str__(self) -> str:
        return self.name or f"plan #{self.pk}"
