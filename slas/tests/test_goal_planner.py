from __future__ import annotations

from decimal import Decimal

import pytest

from slas.goal_planner import PlanError, compute_plan, plan_commitments


def test_the_seed_example_gives_100_clients_and_5000_prospects():
    plan = compute_plan(revenue_target=1_000_000, average_deal_size=10_000, months=12, overall_rate=2)
    assert plan.totals == {"prospects": 5000, "clients": 100}
    assert plan.per_month == {"prospects": 417, "clients": 9}
    assert plan.formulas[0] == "Clients = ⌈1000000 ÷ 10000⌉ = 100"
    assert plan.formulas[1] == "Prospects = ⌈100 ÷ 2 %⌉ = 5000"


def test_per_step_rates_round_up_at_each_step():
    plan = compute_plan(
        revenue_target=Decimal("1000000"),
        average_deal_size=Decimal("30000"),
        months=12,
        step_rates={
            "opportunity_to_client": 30,
            "sql_to_opportunity": 45,
            "mql_to_sql": 60,
            "prospect_to_mql": 15,
            "visitor_to_prospect": "2.5",
        },
    )
    # 1e6/3e4 = 33.3 -> 34; 34/0.3 = 113.3 -> 114; 114/0.45 = 253.3 -> 254;
    # 254/0.6 = 423.3 -> 424; 424/0.15 = 2826.6 -> 2827; 2827/0.025 = 113080.
    assert plan.totals == {
        "visitors": 113080,
        "prospects": 2827,
        "mqls": 424,
        "sqls": 254,
        "opportunities": 114,
        "clients": 34,
    }
    assert plan.per_month["clients"] == 3 and plan.per_month["visitors"] == 9424


def test_rounding_each_step_differs_from_rounding_once():
    plan = compute_plan(
        revenue_target=100,
        average_deal_size=30,
        months=1,
        step_rates={"opportunity_to_client": 30, "sql_to_opportunity": 30, "mql_to_sql": 30, "prospect_to_mql": 30},
    )
    # 4 -> 14 (13.3) -> 47 (46.6) -> 157 (156.6) -> 524 (523.3); rounding once would give 494.
    assert list(plan.totals.values()) == [524, 157, 47, 14, 4]
    assert plan.per_month == plan.totals


def test_visitors_appear_only_with_a_visitor_rate():
    plan = compute_plan(revenue_target=1000, average_deal_size=100, overall_rate=10)
    assert "visitors" not in plan.totals
    plan = compute_plan(
        revenue_target=1000, average_deal_size=100, overall_rate=10, step_rates={"visitor_to_prospect": 1}
    )
    assert plan.totals["visitors"] == 10000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"revenue_target": 0, "average_deal_size": 10, "overall_rate": 2}, "revenue_target"),
        ({"revenue_target": 10, "average_deal_size": -1, "overall_rate": 2}, "average_deal_size"),
        ({"revenue_target": 10, "average_deal_size": 1, "overall_rate": 0}, "overall_rate"),
        ({"revenue_target": 10, "average_deal_size": 1, "overall_rate": 101}, "overall_rate"),
        ({"revenue_target": 10, "average_deal_size": 1}, "overall_rate"),
        ({"revenue_target": 10, "average_deal_size": 1, "overall_rate": 2, "months": 0}, "months"),
    ],
)
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(PlanError) as info:
        compute_plan(**kwargs)
    assert info.value.field == field


def test_commitments_from_a_plan_are_monthly_targets():
    plan = compute_plan(
        revenue_target=1_200_000,
        average_deal_size=10_000,
        months=12,
        step_rates={"opportunity_to_client": 50, "sql_to_opportunity": 50, "mql_to_sql": 50, "prospect_to_mql": 50},
    )
    targets = {c["key"]: c["target"] for c in plan_commitments(plan)}
    assert targets == {
        "won_revenue": Decimal(100000),
        "new_clients": Decimal(10),
        "prospects_volume": Decimal(160),
        "mql_volume": Decimal(80),
    }
