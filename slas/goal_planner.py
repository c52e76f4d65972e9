"""The goal planner (reverse funnel): from a revenue target back to the volumes each stage needs.

Pure Decimal arithmetic, no database: rates come in as arguments (the prefill from real
funnel data is computed upstream, in ``reporting.planner_rates``). Each step divides the
volume of the next stage by the step's conversion rate and rounds UP, because half a lead
does not exist and a plan must be reachable: 1,000,000 / 10,000 = 100 clients; at 2 %
prospect→client that is 5,000 prospects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Funnel steps walked backwards, from clients to visitors: (rate key, from stage, to stage).
STEPS: tuple[tuple[str, str, str], ...] = (
    ("opportunity_to_client", "opportunities", "clients"),
    ("sql_to_opportunity", "sqls", "opportunities"),
    ("mql_to_sql", "mqls", "sqls"),
    ("prospect_to_mql", "prospects", "mqls"),
    ("visitor_to_prospect", "visitors", "prospects"),
)
STEP_RATE_KEYS = tuple(key for key, _from, _to in STEPS)
STAGE_ORDER = ("visitors", "prospects", "mqls", "sqls", "opportunities", "clients")
# What a reader sees for each line of the plan (the keys stay the API's).
STAGE_LABELS = {
    "visitors": gettext_lazy("Visitors"),
    "prospects": gettext_lazy("Prospects"),
    "mqls": gettext_lazy("MQLs"),
    "sqls": gettext_lazy("SQLs"),
    "opportunities": gettext_lazy("Opportunities"),
    "clients": gettext_lazy("Clients"),
}


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS.get(stage, stage))


class PlanError(ValueError):
    """Inputs that cannot give a plan; ``field`` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Plan:
    """Volumes needed in total and per month, with the formula of each line."""

    months: int
    revenue_target: Decimal
    average_deal_size: Decimal
    totals: dict[str, int] = field(default_factory=dict)
    per_month: dict[str, int] = field(default_factory=dict)
    formulas: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "months": self.months,
            "revenue_target": str(self.revenue_target),
            "average_deal_size": str(self.average_deal_size),
            "totals": self.totals,
            "per_month": self.per_month,
            "formulas": self.formulas,
        }


def ceil(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def _percent(value, name: str) -> Decimal:
    rate = Decimal(str(value))
    if not Decimal(0) < rate <= Decimal(100):
        raise PlanError(name, "A conversion rate is a percentage above 0 and at most 100.")
    return rate


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def compute_plan(
    *,
    revenue_target,
    average_deal_size,
    months: int = 12,
    overall_rate=None,
    step_rates: Mapping[str, object] | None = None,
) -> Plan:
    """Reverse funnel. Rates are percentages (2 means 2 %).

    With ``overall_rate`` (prospect→client) the plan gives clients and prospects (and visitors
    if ``step_rates`` has ``visitor_to_prospect``). With per-step rates it gives every stage
    from opportunities down to prospects; visitors only when a visitor→prospect rate is given.
    """
    revenue = Decimal(str(revenue_target))
    deal = Decimal(str(average_deal_size))
    if revenue <= 0:
        raise PlanError("revenue_target", _("The revenue target must be positive."))
    if deal <= 0:
        raise PlanError("average_deal_size", _("The average deal size must be positive."))
    if int(months) < 1:
        raise PlanError("months", _("The period must be at least one month."))
    rates = {key: _percent(value, key) for key, value in (step_rates or {}).items() if value not in (None, "")}
    unknown = set(rates) - set(STEP_RATE_KEYS)
    if unknown:
        raise PlanError(sorted(unknown)[0], _("Unknown funnel step."))
    if overall_rate in (None, "") and not set(STEP_RATE_KEYS[:4]) <= set(rates):
        raise PlanError("overall_rate", _("Give either the overall prospect→client rate or a rate for every step."))

    plan = Plan(months=int(months), revenue_target=revenue, average_deal_size=deal)
    clients = ceil(revenue / deal)
    plan.totals["clients"] = clients
    plan.formulas.append(f"{stage_label('clients')} = ⌈{_fmt(revenue)} ÷ {_fmt(deal)}⌉ = {clients}")
    if overall_rate not in (None, ""):
        rate = _percent(overall_rate, "overall_rate")
        prospects = ceil(Decimal(clients) * 100 / rate)
        plan.totals["prospects"] = prospects
        plan.formulas.append(f"{stage_label('prospects')} = ⌈{clients} ÷ {_fmt(rate)} %⌉ = {prospects}")
    else:
        for key, source, target in STEPS[:4]:
            needed = ceil(Decimal(plan.totals[target]) * 100 / rates[key])
            plan.totals[source] = needed
            plan.formulas.append(f"{stage_label(source)} = ⌈{plan.totals[target]} ÷ {_fmt(rates[key])} %⌉ = {needed}")
    if "visitor_to_prospect" in rates:
        rate = rates["visitor_to_prospect"]
        visitors = ceil(Decimal(plan.totals["prospects"]) * 100 / rate)
        plan.totals["visitors"] = visitors
        plan.formulas.append(f"{stage_label('visitors')} = ⌈{plan.totals['prospects']} ÷ {_fmt(rate)} %⌉ = {visitors}")
    plan.totals = {stage: plan.totals[stage] for stage in STAGE_ORDER if stage in plan.totals}
    plan.per_month = {stage: ceil(Decimal(total) / plan.months) for stage, total in plan.totals.items()}
    if plan.months > 1:
        plan.formulas.append(_("per month = ⌈total ÷ %(months)s⌉") % {"months": plan.months})
    return plan


def plan_commitments(plan: Plan) -> list[dict]:
    """Monthly commitment targets of a draft SLA built from a plan."""
    monthly_revenue = ceil(plan.revenue_target / plan.months)
    commitments = [
        {"key": "won_revenue", "target": Decimal(monthly_revenue)},
        {"key": "new_clients", "target": Decimal(plan.per_month["clients"])},
    ]
    if "prospects" in plan.per_month:
        commitments.append({"key": "prospects_volume", "target": Decimal(plan.per_month["prospects"])})
    if "mqls" in plan.per_month:
        commitments.append({"key": "mql_volume", "target": Decimal(plan.per_month["mqls"])})
    return commitments
