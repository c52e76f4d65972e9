"""Read-side helpers of the leads app."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from .models import FollowUp, Lead, LeadEvent, Stage


def mark_overdue(leads, now=None) -> list[Lead]:
    """A page of leads, each with ``has_overdue`` set (``FollowUp.objects.overdue``): one query.

    Lists flag their page after slicing it: an ``EXISTS`` in the list's own SELECT is planned
    as a hashed subplan over every open overdue follow-up (~100 k at a million leads) before
    the page's ``LIMIT`` applies; asking for the page's ids reads only their rows.
    """
    leads = list(leads)
    ids = [lead.pk for lead in leads]
    overdue = set()
    if ids:
        overdue = set(FollowUp.objects.overdue(now).filter(lead_id__in=ids).values_list("lead_id", flat=True))
    for lead in leads:
        lead.has_overdue = lead.pk in overdue
    return leads


def mark_followups_overdue(followups, now=None) -> list[FollowUp]:
    """A page of follow-ups, each with ``is_overdue`` set (``FollowUp.objects.overdue``): one query
    for the page's ids, instead of an ``EXISTS`` per row planned over the whole table."""
    followups = list(followups)
    ids = [followup.pk for followup in followups]
    overdue = set(FollowUp.objects.overdue(now).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    for followup in followups:
        followup.is_overdue = followup.pk in overdue
    return followups


def capped_counts(querysets: dict, cap: int) -> dict:
    """How many rows each queryset has, counting no further than ``cap + 1`` — in one query.

    A count of a big table on every request reads every row; a capped count reads at most
    ``cap + 1`` entries of the index that serves the filter, and "more than ``cap``" is all a
    board column needs to show.
    """
    parts, params = [], []
    for queryset in querysets.values():
        sql, query_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")  # noqa: S608  # nosec B608 - Django's compiled SQL
        params.extend(query_params)
    # The SQL is Django's own compiled querysets, every value a parameter.
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(querysets, row, strict=True))


def followups_for(user, *, mine: bool = False, overdue: bool = False, status: str | None = None) -> QuerySet:
    """Follow-ups for the lists and the API: optionally only "mine" (``FollowUp.objects.mine``),
    only the overdue ones (``FollowUp.objects.overdue``) or those of one status. The page shown is
    flagged afterwards (``mark_followups_overdue``)."""
    queryset = FollowUp.objects.select_related("lead", "owner_team", "owner_user")
    if mine:
        queryset = queryset.mine(user)
    if overdue:
        queryset = queryset.overdue()
    elif status:
        queryset = queryset.filter(status=status)
    return queryset


def capture_changes(lead: Lead, event: LeadEvent) -> dict:
    """What a "captured again" event did and proposed, with field labels, for the timeline.

    ``filled``: blank fields it filled; ``proposed``: the values it brought that differ from
    filled fields, each ``pending`` while the lead does not hold it (it can still be applied).
    """

    def label(field: str):
        try:
            return Lead._meta.get_field(field).verbose_name
        except FieldDoesNotExist:
            return field

    proposed = []
    for field, change in (event.payload.get("proposed") or {}).items():
        try:
            value = Lead._meta.get_field(field).to_python(change.get("new"))
        except (FieldDoesNotExist, ValidationError):  # a field or value the model no longer has
            continue
        proposed.append(
            {
                "field": field,
                "label": label(field),
                "old": change.get("old"),
                "new": change.get("new"),
                "pending": getattr(lead, field) != value,
            }
        )
    filled = [{"field": f, "label": label(f), "value": v} for f, v in (event.payload.get("changed") or {}).items()]
    return {"filled": filled, "proposed": proposed, "pending": any(row["pending"] for row in proposed)}


def business_countdown(due_at, *, calendar, now=None) -> dict:
    """How long until ``due_at`` in the SLA's business hours (or how late), for the lead page.

    ``{"due_at", "overdue", "hours", "minutes"}``: whole business hours and minutes left, or
    past due when ``overdue``. Computed with the governing SLA's working calendar.
    """
    from django.utils import timezone

    from slas.business_time import NoWorkingTime

    now = now or timezone.now()
    overdue = due_at < now
    try:
        start, end = (due_at, now) if overdue else (now, due_at)
        hours = calendar.business_hours_between(start, end)
    except (NoWorkingTime, OverflowError, ValueError):
        hours = None
    if hours is None:
        return {"due_at": due_at, "overdue": overdue, "hours": None, "minutes": None}
    total = round(hours * 60)
    return {"due_at": due_at, "overdue": overdue, "hours": total // 60, "minutes": total % 60}


# What the user is asked to do for an open follow-up of each kind, on the lead page.
FOLLOWUP_ACTIONS = {
    FollowUp.Kind.HANDOFF_DECISION: ("decide", gettext_lazy("Accept or reject the handoff")),
    FollowUp.Kind.FIRST_CONTACT: ("activity", gettext_lazy("Make the first contact")),
    FollowUp.Kind.CONTACT_ATTEMPTS: ("activity", gettext_lazy("Make the contact attempts")),
    FollowUp.Kind.ATTEMPT: ("activity", gettext_lazy("Make the next contact attempt")),
    FollowUp.Kind.RETURN_DUE: ("return", gettext_lazy("Return the lead to marketing")),
}
# The next step of the funnel when no obligation is open: (stage, permission, anchor, label).
STAGE_STEPS = (
    (Stage.VISITOR, "move", "transition", gettext_lazy("Identify the visitor and make it a prospect")),
    (Stage.PROSPECT, "edit", "qualify", gettext_lazy("Qualify the prospect, then mark it MQL")),
    (Stage.MQL, "handoff", "handoff", gettext_lazy("Hand the MQL off to sales")),
    (Stage.SQL, "move", "transition", gettext_lazy("Contact the lead and move it to opportunity")),
    (Stage.OPPORTUNITY, "move", "transition", gettext_lazy("Win it as a client, or mark it lost")),
)


def next_obligation(lead: Lead, followups, *, now=None) -> dict | None:
    """The lead's open SLA obligation due first, with its business-hours countdown."""
    open_ones = [f for f in followups if f.status == FollowUp.Status.OPEN and f.kind != FollowUp.Kind.ACTION_ITEM]
    if not open_ones:
        return None
    first = min(open_ones, key=lambda f: f.due_at)
    calendar = first.sla.business_calendar if first.sla_id else _default_calendar()
    return {"followup": first, **business_countdown(first.due_at, calendar=calendar, now=now)}


def _default_calendar():
    from slas.models import WorkingCalendar

    return WorkingCalendar.default_business_calendar()


def next_actions(lead: Lead, user, *, may: dict, followups, now=None) -> list[dict]:
    """The one or two things this user should do next on the lead, most urgent first.

    Each: ``label``, ``anchor`` (the action form on the page) and, for an SLA obligation, its
    ``countdown``. Only actions the user may do (``may``, from ``leads.permissions``) are offered.
    """
    mine = {f.pk for f in FollowUp.objects.mine(user).filter(pk__in=[f.pk for f in followups])} if user.pk else set()
    actions = []
    for followup in sorted(followups, key=lambda f: f.due_at):
        if followup.status != FollowUp.Status.OPEN or followup.kind not in FOLLOWUP_ACTIONS:
            continue
        anchor, label = FOLLOWUP_ACTIONS[followup.kind]
        allowed = may.get(anchor) if anchor != "activity" else (may.get("activity") and followup.pk in mine)
        if not allowed:
            continue
        calendar = followup.sla.business_calendar if followup.sla_id else _default_calendar()
        actions.append(
            {
                "label": label,
                "anchor": "accept" if anchor == "decide" else anchor,
                "countdown": business_countdown(followup.due_at, calendar=calendar, now=now),
            }
        )
        if len(actions) == 2:
            return actions
    if not actions:
        for stage, permission, anchor, label in STAGE_STEPS:
            if lead.stage == stage and may.get(permission):
                actions.append({"label": label, "anchor": anchor, "countdown": None})
    return actions
