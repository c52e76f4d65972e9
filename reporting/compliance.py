"""The compliance engine: one SLA, one calendar month → the status of SPEC §4/§6.

Reads only append-only rows (``LeadEvent``, ``Handoff`` decisions, ``FollowUp`` due times
and completion) so a closed month always gives the same answer, whatever happens later.

Scoping — which rows belong to an SLA:
- handoffs and follow-ups carry ``sla``: the rows of this SLA;
- lead events: those recorded under this SLA (``event.sla``), plus the marketing-stage events
  that predate any handoff (no ``sla`` yet) recorded for the SLA's marketing team
  (``event.team``). The team on the event is the owner at that time, so a later change of
  owner never moves a past event to another SLA.

Obligations are read as the leads services record them: a handoff's decision time and
outcome are written once; a follow-up is closed with ``done_at``/``done_on_time`` (for
contact attempts, reaching ``opportunity`` inside the window closes it on time) — a follow-up
met only if done by its due time, so a late completion never turns a past miss into a hit.

For the current month, ``overall.met`` counts the commitments on track (the closed month
counts those met); ``evaluable`` leaves out ``no_data``.

Every figure is a SQL aggregate: the number of queries is constant whatever the number of leads.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Q, Sum
from django.utils import timezone

from leads.models import FollowUp, Handoff, LeadEvent, Stage
from slas.models import COMMITMENT_CATALOGUE, SLA, CommitmentKey, Unit

ENGINE_VERSION = "1.0"

FUNNEL_STAGES = [Stage.VISITOR, Stage.PROSPECT, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CLIENT]

# Buckets of the time-to-first-contact distribution, in business hours (upper bounds).
FIRST_CONTACT_BUCKETS = [1, 4, 8, 24, 72]

IN_PROGRESS = "in_progress"
CLOSED = "closed"


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set ``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=float(percentile), **extra)


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_bounds(sla: SLA, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as [start, end) aware UTC datetimes, midnight in the SLA's time zone."""
    tz = sla.business_calendar.tz
    start = dt.datetime.combine(month, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(next_month(month), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    return start, end


def current_month(sla: SLA, now: dt.datetime | None = None) -> dt.date:
    """The first day of the month ``now`` falls in, in the SLA's time zone."""
    now = now or timezone.now()
    return now.astimezone(sla.business_calendar.tz).date().replace(day=1)


def percent(numerator: int, denominator: int) -> float | None:
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def _number(value) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def event_scope(sla: SLA) -> Q:
    """Lead events that count for ``sla`` (see the module docstring)."""
    return Q(sla=sla) | Q(sla__isnull=True, team_id=sla.marketing_team_id)


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


def compute(sla: SLA, month: dt.date, now: dt.datetime | None = None) -> dict:
    """The compliance status of ``sla`` for ``month`` (its first day) as of ``now``.

    For the current month only obligations already due count; volumes are projected on the
    elapsed share of the month's business days. Shape: SPEC §6 ``/slas/{id}/status/``.
    """
    now = now or timezone.now()
    month = month_start(month)
    start, end = month_bounds(sla, month)
    if now < start:
        raise ValueError("the month has not started yet")
    state = CLOSED if now >= end else IN_PROGRESS
    cutoff = min(now, end)
    calendar = sla.business_calendar

    # --- lead events: volumes, revenue, returns, late entries (1 query) ----------------
    in_month = Q(occurred_at__gte=start, occurred_at__lt=cutoff)
    reached = {stage: Count("pk", filter=in_month & Q(first_reach=True, to_stage=stage)) for stage in FUNNEL_STAGES}
    returned = in_month & Q(kind=LeadEvent.Kind.RETURNED)
    events = LeadEvent.objects.filter(event_scope(sla)).aggregate(
        **{f"reached_{stage}": agg for stage, agg in reached.items()},
        won_revenue=Sum("deal_value", filter=in_month & Q(first_reach=True, to_stage=Stage.CLIENT)),
        returned=Count("pk", filter=returned),
        returned_with_feedback=Count("pk", filter=returned & Q(payload__has_feedback=True)),
        late_entries=Count("pk", filter=in_month & Q(is_late_entry=True)),
        lost=Count("pk", filter=in_month & Q(kind=LeadEvent.Kind.LOST)),
    )

    # --- handoffs: acceptance among decided, decisions due (1 query) ------------------
    decided = Q(decided_at__gte=start, decided_at__lt=cutoff)
    due = Q(decision_due_at__gte=start, decision_due_at__lt=cutoff)
    handoffs = Handoff.objects.filter(sla=sla).aggregate(
        handed_off=Count("pk", filter=Q(handed_off_at__gte=start, handed_off_at__lt=cutoff)),
        accepted=Count("pk", filter=decided & Q(status=Handoff.Status.ACCEPTED)),
        rejected=Count("pk", filter=decided & Q(status=Handoff.Status.REJECTED)),
        due=Count("pk", filter=due),
        due_decided_in_time=Count("pk", filter=due & Q(decided_at__lte=F("decision_due_at"))),
    )

    # --- follow-ups: first contact, attempts, overdue, distribution (1 query) ----------
    followups = FollowUp.objects.filter(sla=sla).exclude(status=FollowUp.Status.CANCELLED)
    fu_due = Q(due_at__gte=start, due_at__lt=cutoff)
    first_contact = Q(kind=FollowUp.Kind.FIRST_CONTACT)
    attempts = Q(kind=FollowUp.Kind.CONTACT_ATTEMPTS)
    on_time = Q(done_on_time=True, done_at__lte=F("due_at"))
    # Open at the cutoff: due before it and not done by then (a later completion does not
    # change what was overdue at the end of a closed month).
    open_at_cutoff = Q(due_at__lt=cutoff) & (Q(done_at__isnull=True) | Q(done_at__gt=cutoff))
    timed = first_contact & fu_due & Q(business_hours_taken__isnull=False)
    buckets = {}
    lower = None
    for upper in FIRST_CONTACT_BUCKETS:
        condition = timed & Q(business_hours_taken__lte=upper)
        if lower is not None:
            condition &= Q(business_hours_taken__gt=lower)
        buckets[f"le_{upper}"] = Count("pk", filter=condition)
        lower = upper
    buckets[f"gt_{lower}"] = Count("pk", filter=timed & Q(business_hours_taken__gt=lower))
    fu = followups.aggregate(
        first_contact_due=Count("pk", filter=first_contact & fu_due),
        first_contact_met=Count("pk", filter=first_contact & fu_due & on_time),
        attempts_due=Count("pk", filter=attempts & fu_due),
        attempts_met=Count("pk", filter=attempts & fu_due & on_time),
        overdue_open=Count("pk", filter=open_at_cutoff),
        **buckets,
    )

    # --- time to first contact percentiles (1 query) ---------------------------------
    median, p90 = _percentiles(followups.filter(timed), "business_hours_taken")

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
    local_first = month
    local_last = next_month(month) - dt.timedelta(days=1)
    business_days = calendar.working_days_between(local_first, local_last)
    today = cutoff.astimezone(calendar.tz).date() if state == IN_PROGRESS else local_last
    elapsed_days = calendar.working_days_between(local_first, min(today, local_last))
    elapsed_share = (elapsed_days / business_days) if business_days else 1.0

    commitments = []
    for commitment in sorted(sla.commitments.all(), key=lambda c: list(COMMITMENT_CATALOGUE).index(c.key)):
        actual, basis = actuals[commitment.key]
        unit = COMMITMENT_CATALOGUE[commitment.key]["unit"]
        target = _number(commitment.target)
        if unit == Unit.PERCENT or state == CLOSED:
            projected = actual
        elif elapsed_share > 0:
            projected = round(actual / elapsed_share, 1) if actual else 0
        else:
            projected = None
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
                "actual": actual,
                "projected": projected,
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
        f"{a.value}_to_{b.value}": percent(entries[b.value], entries[a.value])
        for a, b in itertools.pairwise(FUNNEL_STAGES)
    }
    distribution_labels = [f"≤ {upper} h" for upper in FIRST_CONTACT_BUCKETS] + [f"> {FIRST_CONTACT_BUCKETS[-1]} h"]
    distribution_values = [fu[key] for key in buckets]
    return {
        "sla": sla.pk,
        "month": f"{month:%Y-%m}",
        "state": state,
        "overall": {"met": met, "evaluable": evaluable, "score": percent(met, evaluable)},
        "commitments": commitments,
        "funnel": {
            "entries": entries,
            "conversion_rates": conversions,
            "handoffs": handoffs,
            "first_contact_hours": {"median": median, "p90": p90},
            "first_contact_distribution": {"labels": distribution_labels, "counts": distribution_values},
            "overdue_followups_open": fu["overdue_open"],
            "returned": events["returned"],
            "returned_with_feedback": events["returned_with_feedback"],
            "late_entries": events["late_entries"],
            "lost": events["lost"],
        },
        "currency": sla.currency,
        "as_of": cutoff.isoformat(),
        "business_days": {"total": business_days, "elapsed": elapsed_days},
        "engine_version": ENGINE_VERSION,
    }
