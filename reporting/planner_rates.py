"""Conversion rates of the real funnel, to prefill the goal planner (a cross-app read).

``slas`` may not import ``leads``; the planner takes rates as arguments and this module,
which may import both, computes them from the leads' first-reach events.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from leads.models import LeadEvent, Stage

# Planner step key -> (from stage, to stage)
STEP_STAGES = {
    "visitor_to_prospect": (Stage.VISITOR, Stage.PROSPECT),
    "prospect_to_mql": (Stage.PROSPECT, Stage.MQL),
    "mql_to_sql": (Stage.MQL, Stage.SQL),
    "sql_to_opportunity": (Stage.SQL, Stage.OPPORTUNITY),
    "opportunity_to_client": (Stage.OPPORTUNITY, Stage.CLIENT),
}


def funnel_step_rates(since: dt.datetime) -> dict[str, Decimal]:
    """Percent of leads reaching each stage that later reached the next one, since ``since``.

    One aggregate query over the first-reach events; steps with no entries are left out so
    the planner asks for them instead of proposing 0 %.
    """
    stages = {stage for pair in STEP_STAGES.values() for stage in pair}
    counts = LeadEvent.objects.filter(first_reach=True, occurred_at__gte=since).aggregate(
        **{str(stage): Count("lead", distinct=True, filter=Q(to_stage=stage)) for stage in stages}
    )
    rates: dict[str, Decimal] = {}
    for key, (source, target) in STEP_STAGES.items():
        entered, converted = counts[str(source)], counts[str(target)]
        if entered and converted:
            rate = min(Decimal(100), Decimal(converted) * 100 / Decimal(entered))
            rates[key] = rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return rates


def planner_url(now: dt.datetime | None = None) -> str:
    """The goal planner page prefilled with the last 12 months' step rates."""
    from django.utils import timezone

    since = (now or timezone.now()) - dt.timedelta(days=365)
    return planner_url_for(funnel_step_rates(since))


def planner_url_for(rates: dict) -> str:
    """The goal planner page prefilled with ``rates`` (step key → percent); steps outside
    (0, 100] are left for the planner to ask (a month may count more SQLs than MQLs)."""
    from django.urls import reverse
    from django.utils.http import urlencode

    usable = {}
    for key, value in rates.items():
        if key in STEP_STAGES and value is not None and 0 < Decimal(str(value)) <= 100:
            usable[key] = str(value)
    query = urlencode(usable)
    return reverse("slas:goal_planner") + (f"?{query}" if query else "")
