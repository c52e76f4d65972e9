"""The shared lead funnel: leads, their append-only history, activities, handoffs, follow-ups.

The compliance engine (``reporting``) reads only the append-only rows here — events,
activities, handoffs and follow-ups — never the mutable fields of ``Lead``, so that a closed
month gives the same figures whatever happens to the leads afterwards.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from slas.models import SLA, Function, MaturityCategory, Team
from smarketing.keyset import rows_of_branches

# A record entered more than this long after it happened is a "late entry" everywhere.
LATE_ENTRY_AFTER = dt.timedelta(hours=24)


class Stage(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    PROSPECT = "prospect", _("Prospect")
    MQL = "mql", _("MQL")
    SQL = "sql", _("SQL")
    OPPORTUNITY = "opportunity", _("Opportunity")
    CLIENT = "client", _("Client")
    LOST = "lost", _("Lost")


FUNNEL_ORDER = [Stage.VISITOR, Stage.PROSPECT, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CLIENT]
MARKETING_STAGES = frozenset({Stage.VISITOR, Stage.PROSPECT, Stage.MQL})
SALES_STAGES = frozenset({Stage.SQL, Stage.OPPORTUNITY, Stage.CLIENT})
OPEN_STAGES = frozenset(FUNNEL_ORDER) - {Stage.CLIENT}


def stage_function(stage: str) -> str:
    return Function.MARKETING if stage in MARKETING_STAGES else Function.SALES


class Source(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    CAPTURE_FORM = "capture_form", _("Capture form")
    API = "api", _("API")
    IMPORT = "import", _("CSV import")


class LeadQuerySet(models.QuerySet):
    def _has_overdue(self, now: dt.datetime | None = None) -> Exists:
        return Exists(FollowUp.objects.overdue(now).filter(lead=OuterRef("pk")))

    def overdue(self, now: dt.datetime | None = None):
        """Leads with at least one overdue follow-up (``FollowUp.objects.overdue``)."""
        return self.filter(self._has_overdue(now))

    def not_overdue(self, now: dt.datetime | None = None):
        return self.exclude(self._has_overdue(now))

    def with_overdue_flag(self, now: dt.datetime | None = None):
        """Each lead annotated with ``has_overdue`` (one EXISTS per row, no extra query)."""
        return self.annotate(has_overdue=self._has_overdue(now))

    def in_stage(self, *stages: str):
        return self.filter(stage__in=stages)

    def with_email(self, *emails: str):
        """Leads with one of these e-mail addresses, case-insensitively: ``LOWER(email)``, the
        expression of the unique index ``lead_unique_email_ci`` (``email__iexact`` compiles to
        ``UPPER(email)``, which no index serves). The one e-mail lookup of capture, API create,
        edit and import."""
        wanted = [email.strip().lower() for email in emails if email and email.strip()]
        return self.alias(email_ci=Lower("email")).filter(email_ci__in=wanted)


class Lead(models.Model):
    """A person (or an anonymous visitor) moving through the funnel, owned by one team."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, null=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.MANUAL)
    channel = models.CharField(_("channel"), max_length=60, blank=True, help_text=_("e.g. seo, ads, event"))
    capture_form = models.ForeignKey(
        "CaptureForm",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("capture form"),
    )

    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.PROSPECT)
    stage_entered_at = models.DateTimeField(_("in this stage since"), default=timezone.now)
    lost_reason = models.TextField(_("reason lost"), blank=True)
    lost_from_stage = models.CharField(
        max_length=16, choices=Stage.choices, blank=True, verbose_name=_("lost at stage")
    )

    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="leads", verbose_name=_("owner team"))
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_leads",
        verbose_name=_("owner"),
    )
    # The SLA that governs the lead's obligations (set when marketing hands it to sales).
    sla = models.ForeignKey(
        SLA,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        verbose_name=_("SLA"),
        help_text=_("The SLA that governs the lead's obligations (set at the handoff to sales)."),
    )
    # Temporary sales ownership of a category 2–3 lead, and the team it goes back to.
    temporary_until = models.DateTimeField(_("temporarily with sales until"), null=True, blank=True)
    return_team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("returns to team"),
        help_text=_("The team a lead taken temporarily by sales goes back to."),
    )

    # Qualification answers and the maturity category derived from them (or overridden).
    budget_voted = models.BooleanField(_("budget voted"), default=False)
    team_formed = models.BooleanField(_("project team formed"), default=False)
    timing_defined = models.BooleanField(_("timing defined"), default=False)
    scope_defined = models.BooleanField(_("scope defined"), default=False)
    pain_identified = models.BooleanField(_("pain identified"), default=False)
    maturity_category = models.PositiveSmallIntegerField(
        _("maturity category"), choices=MaturityCategory.choices, null=True, blank=True
    )
    category_overridden = models.BooleanField(default=False, verbose_name=_("category overridden"))
    category_override_reason = models.TextField(_("reason for the category"), blank=True)

    deal_value = models.DecimalField(
        _("deal value"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    consent_to_contact = models.BooleanField(_("agreed to be contacted"), default=False)
    consent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("consent given"))

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
    # Occurred time of the newest event: nothing may be back-dated before it.
    last_event_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        verbose_name=_("last event"),
        help_text=_("When the newest event happened: nothing may be dated before it."),
    )
    # Bumped by every change; a form or API call based on an older version is refused.
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        verbose_name=_("version"),
        help_text=_("Bumped by every change: an edit based on an older version is refused."),
    )

    objects = LeadQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="lead_unique_email_ci", condition=Q(email__isnull=False)),
        ]
        indexes = [
            models.Index(fields=["stage", "owner_team"]),
            # The board: each column's newest cards, and its (capped) count, from the index.
            models.Index(fields=["stage", "-stage_entered_at"], name="leads_lead_stage_entered"),
            # The list's default order (keyset pages walk it).
            models.Index(fields=["-created_at", "-id"], name="leads_lead_created_id"),
            models.Index(fields=["owner_user", "stage"]),
            models.Index(fields=["maturity_category"]),
            models.Index(fields=["channel"]),
            models.Index(fields=["created_at"]),
            models.Index(fields=["company"]),
            models.Index(fields=["last_name", "first_name"]),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def currency(self) -> str:
        """The currency of the lead's deal value: its SLA's (load ``sla`` with the lead), else euros."""
        return self.sla.currency if self.sla_id else "EUR"

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or _("Anonymous visitor #%(pk)s") % {"pk": self.pk}

    @property
    def owner_function(self) -> str:
        return self.owner_team.function

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def is_temporarily_with_sales(self) -> bool:
        return self.temporary_until is not None

    def derived_category(self) -> int | None:
        """The documented rule (SPEC §2, seeds): 1 all defined; 2 ~80% defined; 3 a clear pain."""
        answers = [self.budget_voted, self.team_formed, self.timing_defined, self.scope_defined, self.pain_identified]
        if all(answers):
            return MaturityCategory.SHORT_TERM
        # Medium term: the project is identified (team and timing) and at most the budget
        # vote or the scope is still open.
        if self.team_formed and self.timing_defined and self.pain_identified and sum(answers) >= 4:
            return MaturityCategory.MEDIUM_TERM
        if self.pain_identified or any(answers):
            return MaturityCategory.LONG_TERM
        return None

    def is_overdue(self, now: dt.datetime | None = None) -> bool:
        return FollowUp.objects.overdue(now).filter(lead=self).exists()

    @staticmethod
    def identity_error(stage: str, *, first_name: str = "", last_name: str = "", email: str | None = "") -> str:
        """The one rule on who a lead is: only a visitor may be anonymous.

        From prospect on, a lead names a person — a first or last name, or an e-mail address —
        or it is refused (creation, edits, captures, imports and moves out of visitor alike).
        Returns the refusal, or "" when the lead is identified enough.
        """
        if stage in (Stage.VISITOR, Stage.LOST):
            return ""
        if (first_name or "").strip() or (last_name or "").strip() or (email or "").strip():
            return ""
        return str(_("A prospect or later needs a name or an e-mail address; only a visitor may be anonymous."))

    def clean(self) -> None:
        super().clean()
        problem = self.identity_error(
            self.stage, first_name=self.first_name, last_name=self.last_name, email=self.email
        )
        if problem:
            raise ValidationError({"last_name": problem})


class LeadEvent(models.Model):
    """One append-only entry of a lead's history. Never edited, never deleted."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CAPTURED_AGAIN = "captured_again", _("Captured again")
        UPDATED = "updated", _("Details updated")
        STAGE_CHANGED = "stage_changed", _("Stage changed")
        HANDED_OFF = "handed_off", _("Handed off to sales")
        ACCEPTED = "accepted", _("Handoff accepted")
        REJECTED = "rejected", _("Handoff rejected")
        TAKEN = "taken", _("Taken temporarily by sales")
        RETURNED = "returned", _("Returned to marketing")
        LOST = "lost", _("Marked lost")
        REOPENED = "reopened", _("Reopened")
        OWNER_CHANGED = "owner_changed", _("Owner changed")
        CATEGORY_CHANGED = "category_changed", _("Maturity category changed")
        ACTIVITY = "activity", _("Activity")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="events", verbose_name=_("lead"))
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred"))
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded"))
    is_late_entry = models.BooleanField(default=False, verbose_name=_("late entry"))
    from_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True, verbose_name=_("from stage"))
    to_stage = models.CharField(max_length=16, choices=Stage.choices, blank=True, verbose_name=_("to stage"))
    # True on the event by which the lead reached ``to_stage`` for the first time.
    first_reach = models.BooleanField(
        default=False,
        verbose_name=_("first time at this stage"),
        help_text=_("The event by which the lead reached this stage for the first time."),
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    sla = models.ForeignKey(
        SLA, null=True, blank=True, on_delete=models.PROTECT, related_name="lead_events", verbose_name=_("SLA")
    )
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    # The deal value as recorded when the lead became a client (won revenue reads this).
    deal_value = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        verbose_name=_("deal value"),
        help_text=_("The deal value when the lead became a client (won revenue reads it)."),
    )
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("payload"))

    class Meta:
        ordering = ["occurred_at", "pk"]
        verbose_name = _("lead event")
        verbose_name_plural = _("lead events")
        indexes = [
            models.Index(fields=["lead", "occurred_at"]),
            models.Index(fields=["kind", "occurred_at"]),
            models.Index(fields=["to_stage", "first_reach", "occurred_at"]),
            # The compliance engine reads one month of a series: its versions' events by time,
            # plus the marketing team's events that predate any handoff (no SLA yet).
            models.Index(fields=["sla", "occurred_at"], name="leads_event_sla_occurred"),
            models.Index(
                fields=["team", "occurred_at"], name="leads_event_nosla_team_occ", condition=Q(sla__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.lead_id} @ {self.occurred_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def late(occurred_at: dt.datetime, recorded_at: dt.datetime) -> bool:
        return recorded_at - occurred_at > LATE_ENTRY_AFTER


class Activity(models.Model):
    """A touch on a lead: call, e-mail, meeting or note, with its outcome."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("E-mail")
        MEETING = "meeting", _("Meeting")
        NOTE = "note", _("Note")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        LEFT_MESSAGE = "left_message", _("Left a message")
        MEETING_BOOKED = "meeting_booked", _("Meeting booked")
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        DONE = "done", _("Done")

    CONTACT_KINDS = frozenset({Kind.CALL, Kind.EMAIL, Kind.MEETING})

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="activities", verbose_name=_("lead"))
    event = models.OneToOneField(
        LeadEvent, on_delete=models.PROTECT, related_name="activity", verbose_name=_("lead event")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.DONE)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("done by"),
    )
    # The function on whose behalf it was done: sales contact attempts count for the SLA.
    side = models.CharField(
        max_length=16,
        choices=Function.choices,
        verbose_name=_("on behalf of"),
        help_text=_("Sales contact attempts count for the SLA."),
    )
    occurred_at = models.DateTimeField(verbose_name=_("occurred"))
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded"))
    is_late_entry = models.BooleanField(default=False, verbose_name=_("late entry"))

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["lead", "occurred_at"]),
            models.Index(fields=["side", "kind", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_outcome_display()})"

    @property
    def is_contact_attempt(self) -> bool:
        return self.kind in self.CONTACT_KINDS and self.side == Function.SALES


class Handoff(models.Model):
    """Marketing hands an MQL to a sales team, which must accept or reject it in time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending decision")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    lead = models.ForeignKey(Lead, on_delete=models.PROTECT, related_name="handoffs", verbose_name=_("lead"))
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+", verbose_name=_("from team"))
    to_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="handoffs_received", verbose_name=_("to team")
    )
    sla = models.ForeignKey(
        SLA, null=True, blank=True, on_delete=models.PROTECT, related_name="handoffs", verbose_name=_("SLA")
    )
    handed_off_at = models.DateTimeField(verbose_name=_("handed off"))
    handed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("handed off by")
    )
    decision_due_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decision due"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    maturity_category = models.PositiveSmallIntegerField(
        choices=MaturityCategory.choices, null=True, blank=True, verbose_name=_("maturity category")
    )

    class Meta:
        ordering = ["-handed_off_at"]
        verbose_name = _("handoff")
        verbose_name_plural = _("handoffs")
        constraints = [
            models.UniqueConstraint(
                fields=["lead"], condition=Q(status="pending"), name="handoff_one_pending_per_lead"
            ),
        ]
        indexes = [
            models.Index(fields=["sla", "handed_off_at"], name="leads_handoff_sla_handed"),
            models.Index(fields=["sla", "decided_at"]),
            models.Index(fields=["sla", "decision_due_at"]),
            models.Index(fields=["to_team", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.lead} → {self.to_team} ({self.get_status_display()})"


class FollowUpQuerySet(models.QuerySet):
    """The read rules of obligations: open, overdue, mine, counted — one definition each."""

    def open(self):
        return self.filter(status=FollowUp.Status.OPEN)

    def open_at(self, moment: dt.datetime):
        """Obligations still open at ``moment``: neither done nor cancelled by then.

        A follow-up done or cancelled after ``moment`` was open at ``moment``, so a closed
        month's count of open follow-ups never changes afterwards.
        """
        return self.filter(
            Q(status=FollowUp.Status.OPEN)
            | Q(status=FollowUp.Status.DONE, done_at__gt=moment)
            | Q(status=FollowUp.Status.CANCELLED, cancelled_at__gt=moment)
        )

    def overdue(self, at: dt.datetime | None = None):
        """Open and past due at ``at`` (default: now) — the one definition of *overdue*.

        Completions and cancellations are never recorded in the future, so for the present
        moment "open at" is simply ``status = open``, which the (status, due_at) index answers;
        a given moment (a month's end, a scan's time) is judged with ``open_at``.
        """
        if at is None:
            return self.open().filter(due_at__lt=timezone.now())
        return self.open_at(at).filter(due_at__lt=at)

    def with_overdue_flag(self, at: dt.datetime | None = None):
        """Each row annotated with ``is_overdue`` by the same rule (for lists and serializers)."""
        return self.annotate(is_overdue=Exists(FollowUp.objects.overdue(at).filter(pk=OuterRef("pk"))))

    def mine(self, user):
        """ "My follow-ups": assigned to the user, or unassigned in one of the user's teams."""
        from slas.models import Membership

        team_ids = Membership.objects.filter(user=user).values("team_id") if user.pk else []
        return self.filter(Q(owner_user=user) | Q(owner_user__isnull=True, owner_team_id__in=team_ids))

    def mine_first(self, user, limit: int) -> list[FollowUp]:
        """The first ``limit`` rows of ``self.mine(user)`` in due order — one query, index-served.

        ``mine`` is an OR that PostgreSQL answers by walking every row of ``self`` (all the
        open overdue follow-ups, ~100 k at a million leads, for the dashboard's "my overdue")
        and filtering. Here each side of the OR is its own ``ORDER BY due_at LIMIT`` branch of
        a ``UNION ALL`` — the user's rows (index ``(owner_user, status, due_at)``), then one
        branch per team of the user for its unassigned rows (partial index
        ``leads_followup_team_open``) — so each branch reads at most ``limit`` index entries.
        The user's teams come from ``slas.permissions.teams_of`` (cached for the request).
        """
        from slas.permissions import teams_of

        if not user.pk:
            return []
        order = ("due_at", "pk")
        branches = [self.filter(owner_user=user).order_by(*order)[:limit]]
        branches += [
            self.filter(owner_user__isnull=True, owner_team_id=team.pk).order_by(*order)[:limit]
            for team in teams_of(user)
        ]
        rows = rows_of_branches(branches)
        rows.sort(key=lambda followup: (followup.due_at, followup.pk))
        return rows[:limit]

    def obligations(self):
        """Follow-ups that count for compliance: the SLA's obligations, but those cancelled before
        they fell due.

        A lead lost (or won) before a deadline cancels that obligation; one cancelled after its
        deadline had already been missed and stays counted. Legacy cancellations without a
        time are left out, as they always were. Action items (decided in a review meeting) are
        follow-ups of their owner but never an SLA obligation: they never count.
        """
        return self.exclude(kind__in=FollowUp.NOT_SLA_OBLIGATIONS).exclude(
            Q(status=FollowUp.Status.CANCELLED) & (Q(cancelled_at__isnull=True) | Q(cancelled_at__lte=F("due_at")))
        )

    def sla_obligations(self):
        """Follow-ups generated from the SLA (every kind but action items), whatever their status."""
        return self.exclude(kind__in=FollowUp.NOT_SLA_OBLIGATIONS)


class FollowUp(models.Model):
    """An obligation with a due time: generated from the governing SLA for a lead, or an action
    item decided in a review meeting (``kind`` ``action_item``: a ``title``, a ``link`` to the
    review, and a lead only when the item is about one).

    Everything that lists, alerts or feeds follow-ups shows both; only the SLA's kinds count for
    compliance (``FollowUpQuerySet.obligations``).
    """

    class Kind(models.TextChoices):
        HANDOFF_DECISION = "handoff_decision", _("Handoff decision due")
        FIRST_CONTACT = "first_contact", _("First contact due")
        CONTACT_ATTEMPTS = "contact_attempts", _("Contact attempts due")
        ATTEMPT = "attempt", _("Contact attempt due")
        RETURN_DUE = "return_due", _("Return to marketing due")
        ACTION_ITEM = "action_item", _("Action item")

    # Kinds that are follow-ups of a person but not obligations of the SLA.
    NOT_SLA_OBLIGATIONS = (Kind.ACTION_ITEM,)

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    # Every SLA obligation is about a lead; an action item may be about none.
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.PROTECT, related_name="followups", verbose_name=_("lead")
    )
    sla = models.ForeignKey(
        SLA, null=True, blank=True, on_delete=models.PROTECT, related_name="followups", verbose_name=_("SLA")
    )
    handoff = models.ForeignKey(
        Handoff, null=True, blank=True, on_delete=models.PROTECT, related_name="followups", verbose_name=_("handoff")
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, verbose_name=_("kind"))
    # What to do and where it was decided (action items); SLA obligations are named by kind and lead.
    title = models.CharField(_("title"), max_length=200, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True, help_text=_("The page it comes from (a review)."))
    attempt_number = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("attempt number"))
    required_attempts = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("attempts required"))
    starts_at = models.DateTimeField(
        help_text=_("When the clock started (handoff, acceptance, take)."), verbose_name=_("clock starts")
    )
    due_at = models.DateTimeField(verbose_name=_("due"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done on"))
    done_on_time = models.BooleanField(null=True, blank=True, verbose_name=_("done on time"))
    # When the obligation lapsed (lead lost, won or returned): it was open until then.
    cancelled_at = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name=_("cancelled on"),
        help_text=_("When the obligation lapsed (lead lost, won or returned)."),
    )
    # Business hours from start to completion, stored when done (time-to-first-contact figures).
    business_hours_taken = models.FloatField(
        null=True,
        blank=True,
        verbose_name=_("business hours taken"),
        help_text=_("Business hours from start to completion."),
    )
    owner_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="followups", verbose_name=_("owner team")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["sla", "kind", "due_at"]),
            models.Index(fields=["owner_user", "status", "due_at"]),
            models.Index(fields=["lead", "status"]),
            # A month's obligations of a series, whatever their kind (compliance engine).
            models.Index(fields=["sla", "due_at"], name="leads_followup_sla_due"),
            # The overdue scan: its keyset walk from the watermark, and the follow-ups recorded
            # since the last scan that were already overdue (reporting.notifications.overdue).
            models.Index(fields=["due_at", "id"], name="leads_followup_due_id"),
            models.Index(fields=["created_at"], name="leads_followup_created"),
            # A team's unassigned open follow-ups in due order ("my overdue", ``mine_first``), and
            # the open action items per team (the reviews' dashboard panel): both read a handful
            # of entries instead of every open follow-up.
            models.Index(
                fields=["owner_team", "due_at"],
                condition=Q(status="open", owner_user__isnull=True),
                name="leads_followup_team_open",
            ),
            models.Index(
                fields=["owner_team", "due_at"],
                condition=Q(status="open", kind="action_item"),
                name="leads_followup_action_open",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(lead__isnull=False) | Q(kind="action_item"), name="followup_lead_unless_action_item"
            ),
        ]

    def __str__(self) -> str:
        return _("%(kind)s – %(subject)s, due %(when)s") % {
            "kind": self.get_kind_display(),
            "subject": self.subject,
            "when": f"{self.due_at:%Y-%m-%d %H:%M}",
        }

    def get_absolute_url(self) -> str:
        """The page to open: where the action item was decided, or the lead."""
        if self.link:
            return self.link
        return reverse("leads:detail", args=[self.lead_id]) if self.lead_id else ""

    @property
    def subject(self) -> str:
        """What it is about, for lists, alerts and the calendar: the action item's title, or the lead."""
        return self.title or (str(self.lead) if self.lead_id else "")


class VisitCount(models.Model):
    """Anonymous visitors as a monthly count per channel, pushed by an analytics client."""

    month = models.DateField(help_text=_("First day of the month."), verbose_name=_("month"))
    channel = models.CharField(max_length=60, verbose_name=_("channel"))
    count = models.PositiveIntegerField(verbose_name=_("visits"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("updated by")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated"))

    class Meta:
        ordering = ["-month", "channel"]
        constraints = [models.UniqueConstraint(fields=["month", "channel"], name="visit_count_unique_month_channel")]
        verbose_name = _("visit count")
        verbose_name_plural = _("visit counts")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.channel}: {self.count}"


class CaptureForm(models.Model):
    """A public form prospects fill in (``/capture/<slug>/``)."""

    slug = models.SlugField(
        unique=True, verbose_name=_("address name"), help_text=_("The end of the form's public address.")
    )
    name = models.CharField(_("name"), max_length=200)
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        related_name="capture_forms",
        limit_choices_to={"function": Function.MARKETING},
        verbose_name=_("team"),
    )
    channel = models.CharField(_("channel"), max_length=60, blank=True)
    is_active = models.BooleanField(default=True, verbose_name=_("active"))
    thank_you_message = models.TextField(blank=True, verbose_name=_("thank-you message"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("capture form")
        verbose_name_plural = _("capture forms")

    def __str__(self) -> str:
        return self.name


class ImportFileQuerySet(models.QuerySet):
    def stale(self, now: dt.datetime | None = None):
        """Uploads nobody confirmed within a day (a confirmed one is deleted by its job)."""
        return self.filter(created_at__lt=(now or timezone.now()) - dt.timedelta(days=1))


class ImportFile(models.Model):
    """An uploaded CSV, kept in the database from the upload through the preview to the import job.

    Bounded before it is stored (``IMPORT_MAX_BYTES``, ``IMPORT_MAX_ROWS``); deleted when its job
    ends, or after a day when never confirmed. Not in the cache: a draft is data, not a hint.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("team")
    )
    name = models.CharField(max_length=255, blank=True, verbose_name=_("file name"))
    headers = models.JSONField(default=list, verbose_name=_("columns"))
    text = models.TextField(verbose_name=_("content"))

    objects = ImportFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("uploaded import file")
        verbose_name_plural = _("uploaded import files")

    def __str__(self) -> str:
        return self.name or f"import #{self.pk}"
