"""Teams and roles, and the SLA document that binds a marketing team to a sales team."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
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


class Function(models.TextChoices):
    MARKETING = "marketing", _("Marketing")
    SALES = "sales", _("Sales")


class Team(models.Model):
    """A marketing or sales team; several of each may exist (e.g. inside and field sales)."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    function = models.CharField(_("function"), max_length=16, choices=Function.choices)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
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

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
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
    calendar_token = models.CharField(max_length=64, unique=True, default=_new_calendar_token, editable=False)

    class Meta:
        verbose_name = _("profile")

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @classmethod
    def for_user(cls, user) -> Profile:
        profile, _created = cls.objects.get_or_create(user=user)
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


class SLAQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date):
        """SLAs that govern ``day``: active (or later superseded/expired) and covering it."""
        return self.filter(
            status__in=[SLA.Status.ACTIVE, SLA.Status.SUPERSEDED, SLA.Status.EXPIRED],
            start_date__lte=day,
            end_date__gte=day,
        ).filter(Q(superseded_on__isnull=True) | Q(superseded_on__gt=day))

    def active(self):
        return self.filter(status=SLA.Status.ACTIVE)

    def for_teams(self, marketing_team, sales_team):
        return self.filter(marketing_team=marketing_team, sales_team=sales_team)

    def governing(self, marketing_team, sales_team, day: dt.date):
        """The one SLA in force between two teams on a day, or None."""
        return self.for_teams(marketing_team, sales_team).in_force_on(day).order_by("-version").first()


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
        validators=[MinValueValidator(Decimal("0.25"))],
    )

    # Versions: every amendment is a new row of the same series.
    series = models.UUIDField(editable=False, db_index=True, null=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    amends = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments", editable=False
    )
    superseded_on = models.DateField(null=True, blank=True, editable=False)

    # Optimistic locking of drafts: an edit based on an older revision is refused.
    revision = models.PositiveIntegerField(default=1, editable=False)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

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
        if self.marketing_team_id and self.marketing_team.function != Function.MARKETING:
            errors["marketing_team"] = _("Choose a marketing team.")
        if self.sales_team_id and self.sales_team.function != Function.SALES:
            errors["sales_team"] = _("Choose a sales team.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_signed(self) -> bool:
        return self.status in {self.Status.ACTIVE, self.Status.EXPIRED, self.Status.SUPERSEDED}

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.end_date

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

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="goals")
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

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="commitments")
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
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Business hours allowed."),
    )
    attempts = models.PositiveSmallIntegerField(
        _("attempts (K)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    days = models.PositiveSmallIntegerField(_("days (D)"), null=True, blank=True, validators=[MinValueValidator(1)])
    # Per maturity category overrides of H for first contact: {"1": 4, "2": 24, "3": 72}.
    category_hours = models.JSONField(_("hours per maturity category"), default=dict, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["sla", "key"], name="commitment_unique_key_per_sla")]
        verbose_name = _("commitment")

    def __str__(self) -> str:
        return f"{self.get_key_display()} ≥ {self.target}"

    @property
    def side(self) -> str:
        return COMMITMENT_CATALOGUE[self.key]["side"]

    @property
    def unit(self) -> str:
        return COMMITMENT_CATALOGUE[self.key]["unit"]

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
            errors["category_hours"] = _("Hours per category must be positive numbers for categories 1 to 3.")
        for category, value in (self.category_hours if isinstance(self.category_hours, dict) else {}).items():
            try:
                ok = str(category) in {"1", "2", "3"} and float(value) > 0
            except (TypeError, ValueError):
                ok = False
            if not ok:
                errors["category_hours"] = _("Hours per category must be positive numbers for categories 1 to 3.")
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


class MaturityCategory(models.IntegerChoices):
    SHORT_TERM = 1, _("1 – short-term project")
    MEDIUM_TERM = 2, _("2 – medium-term project")
    LONG_TERM = 3, _("3 – long-term or ill-defined project")


class MaturityRule(models.Model):
    """Per maturity category: who owns the lead, how fast it must be worked, temporary takes."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="maturity_rules")
    category = models.PositiveSmallIntegerField(_("category"), choices=MaturityCategory.choices)
    owner_function = models.CharField(_("owned by"), max_length=16, choices=Function.choices)
    response_hours = models.DecimalField(
        _("response time (business hours)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    sales_may_take = models.BooleanField(_("sales may take it temporarily"), default=False)
    take_max_days = models.PositiveSmallIntegerField(
        _("longest temporary take (days)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["category"]
        constraints = [models.UniqueConstraint(fields=["sla", "category"], name="maturity_rule_unique_category")]
        verbose_name = _("maturity rule")

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

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner team"))
    due_date = models.DateField(_("due date"))
    repeats_monthly = models.BooleanField(_("repeats every month"), default=False)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("milestone")

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date})"

    def canonical(self) -> dict:
        return {
            "title": self.title,
            "owner_team": self.owner_team_id,
            "due_date": self.due_date.isoformat(),
            "repeats_monthly": self.repeats_monthly,
        }


class WorkingCalendar(models.Model):
    """The SLA's clock: time zone, weekly working hours, public holidays and closed dates."""

    sla = models.OneToOneField(SLA, on_delete=models.CASCADE, related_name="calendar")
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=settings.TIME_ZONE, validators=[validate_time_zone]
    )
    country = models.CharField(
        _("public holidays of"), max_length=8, blank=True, default="FR", help_text=_("ISO country code, e.g. FR.")
    )
    subdivision = models.CharField(_("region"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("working calendar")

    def __str__(self) -> str:
        return f"{self.time_zone} {self.country}"

    def clean(self) -> None:
        import holidays as holidays_lib

        errors = {}
        if self.country and self.country.upper() not in holidays_lib.list_supported_countries():
            errors["country"] = _("No public-holiday calendar for this country code.")
        if errors:
            raise ValidationError(errors)

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

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="hours")
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

    calendar = models.ForeignKey(WorkingCalendar, on_delete=models.CASCADE, related_name="closed_dates")
    date = models.DateField(_("date"))
    label = models.CharField(_("label"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="closed_date_unique")]
        verbose_name = _("closed date")

    def __str__(self) -> str:
        return f"{self.date} {self.label}".strip()


class Signature(models.Model):
    """A manager's signature of an SLA version for one team, with the content fingerprint."""

    sla = models.ForeignKey(SLA, on_delete=models.CASCADE, related_name="signatures")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)
    fingerprint = models.CharField(max_length=64)

    class Meta:
        ordering = ["signed_at"]
        constraints = [models.UniqueConstraint(fields=["sla", "team"], name="signature_unique_team")]
        verbose_name = _("signature")

    def __str__(self) -> str:
        return f"{self.team} by {self.signed_by} at {self.signed_at:%Y-%m-%d %H:%M}"


class GoalPlan(models.Model):
    """A saved reverse-funnel computation (inputs and the volumes it gives)."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    inputs = models.JSONField(default=dict)
    result = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("goal plan")

    def __str__(self) -> str:
        return self.name or f"plan #{self.pk}"
