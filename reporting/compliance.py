"""The compliance engine: one SLA series, one calendar month → the status of SPEC §4/§6.

Reads only append-only rows (``LeadEvent``, ``Handoff`` decisions, ``FollowUp`` due times
and completion) so a closed month always gives the same answer, whatever happens later.
The rules are written out in ``docs/compliance.md``.

The agreement is the series: an SLA's versions (amendments) form one agreement, and a month
covers the rows of every version of the series, whichever version was in force when they
were recorded. Scoping — which rows belong to the series (the versions' ids are resolved once):
- handoffs and follow-ups carry ``sla``: those of any version of the series;
- lead events: those recorded under a version (``event.sla``), plus the marketing-stage events
  that predate any handoff (no ``sla`` yet) recorded for the series' marketing team
  (``event.team``). The team on the event is the owner at that time, so a later change of
  owner never moves a past event to another SLA.
The month's bounds are in every WHERE clause (never only in an aggregate's FILTER).

Targets and parameters (H, K, D) are those of the version in force at the month's end (for the
current month: now) — ``SLA.version_for``; an obligation keeps the due time computed when it
was created.

Obligations are read as the leads services record them: a handoff's decision time and
outcome are written once; a follow-up is closed with ``done_at``/``done_on_time`` (for
contact attempts, reaching ``opportunity`` inside the window closes it on time) — a follow-up
met only if done by its due time, so a late completion never turns a past miss into a hit.
A follow-up cancelled after its due time (lead lost or won later) stays a miss.

Statuses are decided on unrounded values; figures are rounded to two decimals in the output
(and for display only). For the current month, ``overall.met`` counts the commitments on track
(the closed month counts those met); ``evaluable`` leaves out ``no_data``.

Every figure is a SQL aggregate: the number of queries is constant whatever the number of leads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, Sum, prefetch_related_objects
from django.utils import timezone

from leads.models import FollowUp, Handoff, LeadEvent, Stage
from slas.clock import Month
from slas.models import COMMITMENT_CATALOGUE, SLA, CommitmentKey, Unit

ENGINE_VERSION = "2.0"

FUNNEL_STAGES = [Stage.VISITOR, Stage.PROSPECT, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CLIENT]

# Buckets of the time-to-first-contact distribution, in business hours (upper bounds).
FIRST_CONTACT_BUCKETS = [1, 4, 8, 24, 72]
# Figures in the output (the API, stored reports) carry this many decimals.
DECIMALS = 2

IN_PROGRESS = "in_progress"
CLOSED = "closed"


class MonthNotStarted(ValueError):
    """The month asked for has not begun in the SLA's time zone."""


class NotInForce(ValueError):
    """No version of the SLA's series was in force in the month asked for."""


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


def as_month(sla: SLA, month: dt.date | Month) -> Month:
    """The calendar month (a date in it, or a ``Month``) in the SLA's time zone."""
    if isinstance(month, Month):
        return month.in_zone(sla.time_zone)
    return sla.month(month)


def percent(numerator: int, denominator: int) -> float | None:
    """The exact share in percent (unrounded: statuses are decided on it)."""
    if not denominator:
        return None
    return 100.0 * numerator / denominator


def rounded(value):
    """A figure as shown and stored: two decimals (integers and None as they are)."""
    return round(value, DECIMALS) if isinstance(value, float) else value


def _number(value) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def series_ids(sla: SLA) -> list[int]:
    """The ids of every version of ``sla``'s series (one query)."""
    return list(SLA.objects.filter(series=sla.series).values_list("pk", flat=True))


def event_scope(version_ids: list[int], marketing_team_id: int) -> Q:
    """Lead events that count for a series (see the module docstring)."""
    return Q(sla_id__in=version_ids) | Q(sla__isnull=True, team_id=marketing_team_id)


def obligations_due(version_ids: list[int], start: dt.datetime, end: dt.datetime):
    """The series' follow-ups that count, due in [start, end) — a month's obligations."""
    return FollowUp.objects.filter(sla_id__in=version_ids, due_at__gte=start, due_at__lt=end).obligations()


def _loaded(version: SLA, asked_for: SLA) -> SLA:
    """The version with its commitments and calendar loaded (reusing what the caller prefetched)."""
    if version.pk == asked_for.pk and "commitments" in getattr(asked_for, "_prefetched_objects_cache", {}):
        return asked_for
    prefetch_related_objects([version], "commitments", "calendar__hours", "calendar__closed_dates")
    return version


def resolve(sla: SLA, month: dt.date | Month, now: dt.datetime | None = None) -> tuple[SLA, Month]:
    """The version whose targets apply to ``month`` and the month in its time zone.

    ``sla`` may be any version of the series: the answer is the same.
    """
    now = now or timezone.now()
    asked = as_month(sla, month)
    if now < asked.start:
        raise MonthNotStarted("the month has not started yet")
    version = sla.version_for(asked, now)
    if version is None:
        raise NotInForce(f"no version of the series was in force in {asked}")
    version = _loaded(version, sla)
    return version, asked.in_zone(version.time_zone)


def _percentiles(queryset, field: str) -> tuple[float | None, float | None]:
    """Median and 90th percentile of ``field``: in SQL on PostgreSQL, one query elsewhere."""
    if connection.vendor == "postgresql":
        row = queryset.aggregate(median=PercentileCont(field, 0.5), p90=PercentileCont(field, 0.9))
        median, p90 = row["median"], row["p90"]
    else:
        values = sorted(queryset.values_list(field, flat=True))
        if not values:
            return None, None
        median = statistics.median(values)
        # Same linear interpolation as PostgreSQL's percentile_cont.
        position = 0.9 * (len(values) - 1)
        low = int(position)
        high = min(low + 1, len(values) - 1)
        p90 = values[low] + (values[high] - values[low]) * (position - low)
    return (
        round(median, 1) if median is not None else None,
        round(p90, 1) if p90 is not None else None,
    )


def compute(sla: SLA, month: dt.date | Month, now: dt.datetime | None = None) -> dict:
    """The compliance status of ``sla``'s series for ``month`` as of ``now``.

    ``sla`` may be any version of the series (the answer is the same). For the current month
    only obligations already due count; volumes are projected on the elapsed share of the
    month's business days. Shape: SPEC §6 ``/slas/{id}/status/``. Raises ``MonthNotStarted``
    or ``NotInForce`` (both ``ValueError``).
    """
    now = now or timezone.now()
    version, month = resolve(sla, month, now)
    return compute_resolved(version, month, now)


def compute_resolved(version: SLA, month: Month, now: dt.datetime, *, versions: list[int] | None = None) -> dict:
    """``compute`` for the version and month ``resolve`` gave (``reporting.live`` resolves first
    to key its cache): the same figures without resolving again, with the series' version ids
    when the caller already read them (``versions``)."""
    start, end = month.bounds()
    state = CLOSED if now >= end else IN_PROGRESS
    cutoff = min(now, end)
    calendar = version.business_calendar
    if versions is None:
        versions = series_ids(version)

    # --- lead events: volumes, revenue, returns, late entries (1 query) ----------------
    reached = {stage: Count("pk", filter=Q(first_reach=True, to_stage=stage)) for stage in FUNNEL_STAGES}
    returned = Q(kind=LeadEvent.Kind.RETURNED)
    events = LeadEvent.objects.filter(
        event_scope(versions, version.marketing_team_id), occurred_at__gte=start, occurred_at__lt=cutoff
    ).aggregate(
        **{f"reached_{stage}": agg for stage, agg in reached.items()},
        won_revenue=Sum("deal_value", filter=Q(first_reach=True, to_stage=Stage.CLIENT)),
        returned=Count("pk", filter=returned),
        returned_with_feedback=Count("pk", filter=returned & Q(payload__has_feedback=True)),
        late_entries=Count("pk", filter=Q(is_late_entry=True)),
        lost=Count("pk", filter=Q(kind=LeadEvent.Kind.LOST)),
    )

    # --- handoffs: acceptance among decided, decisions due (1 query) ------------------
    handed = Q(handed_off_at__gte=start, handed_off_at__lt=cutoff)
    decided = Q(decided_at__gte=start, decided_at__lt=cutoff)
    due = Q(decision_due_at__gte=start, decision_due_at__lt=cutoff)
    handoffs = (
        Handoff.objects.filter(sla_id__in=versions)
        .filter(handed | decided | due)
        .aggregate(
            handed_off=Count("pk", filter=handed),
            accepted=Count("pk", filter=decided & Q(status=Handoff.Status.ACCEPTED)),
            rejected=Count("pk", filter=decided & Q(status=Handoff.Status.REJECTED)),
            due=Count("pk", filter=due),
            due_decided_in_time=Count("pk", filter=due & Q(decided_at__lte=F("decision_due_at"))),
        )
    )

    # --- follow-ups due in the month: first contact, attempts, distribution (1 query) ---
    due_in_month = obligations_due(versions, start, cutoff)
    first_contact = Q(kind=FollowUp.Kind.FIRST_CONTACT)
    attempts = Q(kind=FollowUp.Kind.CONTACT_ATTEMPTS)
    on_time = Q(done_on_time=True, done_at__lte=F("due_at"))
    timed = first_contact & Q(business_hours_taken__isnull=False)
    buckets = {}
    lower = None
    for upper in FIRST_CONTACT_BUCKETS:
        condition = timed & Q(business_hours_taken__lte=upper)
        if lower is not None:
            condition &= Q(business_hours_taken__gt=lower)
        buckets[f"le_{upper}"] = Count("pk", filter=condition)
        lower = upper
    buckets[f"gt_{lower}"] = Count("pk", filter=timed & Q(business_hours_taken__gt=lower))
    fu = due_in_month.aggregate(
        first_contact_due=Count("pk", filter=first_contact),
        first_contact_met=Count("pk", filter=first_contact & on_time),
        attempts_due=Count("pk", filter=attempts),
        attempts_met=Count("pk", filter=attempts & on_time),
        **buckets,
    )
    # Overdue at the cutoff: due before it and still open then — a later completion does not
    # change what was overdue at the end of a closed month (1 query).
    overdue_open = FollowUp.objects.filter(sla_id__in=versions).obligations().overdue(cutoff).count()

    # --- time to first contact percentiles (1 query) ---------------------------------
    median, p90 = _percentiles(due_in_month.filter(timed), "business_hours_taken")

    actuals: dict[str, tuple[float | int | None, int]] = {
        # key: (actual, how many obligations / items it rests on)
        CommitmentKey.PROSPECTS_VOLUME: (events[f"reached_{Stage.PROSPECT}"], 1),
        CommitmentKey.MQL_VOLUME: (events[f"reached_{Stage.MQL}"], 1),
        CommitmentKey.MQL_ACCEPTANCE_RATE: (
            percent(handoffs["accepted"], handoffs["accepted"] + handoffs["rejected"]),
            handoffs["accepted"] + handoffs["rejected"],
        ),
        CommitmentKey.HANDOFF_RESPONSE: (percent(handoffs["due_decided_in_time"], handoffs["due"]), handoffs["due"]),
        CommitmentKey.FIRST_CONTACT: (
            percent(fu["first_contact_met"], fu["first_contact_due"]),
            fu["first_contact_due"],
        ),
        CommitmentKey.CONTACT_ATTEMPTS: (percent(fu["attempts_met"], fu["attempts_due"]), fu["attempts_due"]),
        CommitmentKey.RETURN_FEEDBACK: (
            percent(events["returned_with_feedback"], events["returned"]),
            events["returned"],
        ),
        CommitmentKey.WON_REVENUE: (_number(events["won_revenue"] or Decimal(0)), 1),
        CommitmentKey.NEW_CLIENTS: (events[f"reached_{Stage.CLIENT}"], 1),
    }

    # Elapsed share of the month's business days (today counts as elapsed).
    business_days = calendar.working_days_between(month.first_day, month.last_day)
    today = calendar.local_date(cutoff) if state == IN_PROGRESS else month.last_day
    elapsed_days = calendar.working_days_between(month.first_day, min(today, month.last_day))
    elapsed_share = (elapsed_days / business_days) if business_days else 1.0

    commitments = []
    for commitment in sorted(version.commitments.all(), key=lambda c: list(COMMITMENT_CATALOGUE).index(c.key)):
        actual, basis = actuals[commitment.key]
        unit = COMMITMENT_CATALOGUE[commitment.key]["unit"]
        target = _number(commitment.target)
        if unit == Unit.PERCENT or state == CLOSED:
            projected = actual
        elif elapsed_share > 0:
            projected = actual / elapsed_share if actual else 0
        else:
            projected = None
        # Decided on the exact figures; rounded only below, for the output.
        if actual is None or basis == 0 or projected is None:
            status = "no_data"
        elif state == CLOSED:
            status = "met" if actual >= target else "missed"
        else:
            status = "on_track" if projected >= target else "at_risk"
        commitments.append(
            {
                "key": commitment.key,
                "side": commitment.side,
                "unit": unit,
                "target": target,
                "actual": rounded(actual),
                "projected": rounded(projected),
                "status": status,
                "basis": basis,
                "hours": _number(commitment.hours),
                "attempts": commitment.attempts,
                "days": commitment.days,
            }
        )

    met = sum(1 for c in commitments if c["status"] in ("met", "on_track"))
    evaluable = sum(1 for c in commitments if c["status"] != "no_data")
    entries = {stage.value: events[f"reached_{stage}"] for stage in FUNNEL_STAGES}
    conversions = {
        f"{a.value}_to_{b.value}": rounded(percent(entries[b.value], entries[a.value]))
        for a, b in itertools.pairwise(FUNNEL_STAGES)
    }
    distribution_labels = [f"≤ {upper} h" for upper in FIRST_CONTACT_BUCKETS] + [f"> {FIRST_CONTACT_BUCKETS[-1]} h"]
    distribution_values = [fu[key] for key in buckets]
    return {
        "sla": version.pk,
        "series": str(version.series),
        "version": version.version,
        "month": month.label,
        "state": state,
        "overall": {"met": met, "evaluable": evaluable, "score": rounded(percent(met, evaluable))},
        "commitments": commitments,
        "funnel": {
            "entries": entries,
            "conversion_rates": conversions,
            "handoffs": handoffs,
            "first_contact_hours": {"median": median, "p90": p90},
            "first_contact_distribution": {"labels": distribution_labels, "counts": distribution_values},
            "overdue_followups_open": overdue_open,
            "returned": events["returned"],
            "returned_with_feedback": events["returned_with_feedback"],
            "late_entries": events["late_entries"],
            "lost": events["lost"],
        },
        "currency": version.currency,
        "as_of": cutoff.isoformat(),
        "business_days": {"total": business_days, "elapsed": elapsed_days},
        "engine_version": ENGINE_VERSION,
    }
