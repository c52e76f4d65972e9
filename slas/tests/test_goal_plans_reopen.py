"""Issue 17: a saved goal plan can be reopened; the planner's lines and messages are translated."""

from __future__ import annotations

import pytest
from django.urls import reverse

from slas.models import GoalPlan, Profile

pytestmark = pytest.mark.django_db

INPUTS = {"revenue_target": "1000000", "average_deal_size": "10000", "months": "10", "overall_rate": "2"}


def test_save_then_reopen_a_plan(roles, client):
    client.force_login(roles.mkt_member)
    response = client.post(reverse("slas:goal_planner"), {**INPUTS, "name": "2027 plan", "action": "save"})
    assert "Plan “2027 plan” saved" in response.text
    plan = GoalPlan.objects.get(created_by=roles.mkt_member)
    page = client.get(reverse("slas:goal_planner")).text
    assert f'href="?plan={plan.pk}"' in page and "2027 plan" in page and "100 clients" in page
    reopened = client.get(reverse("slas:goal_planner"), {"plan": plan.pk}).text
    assert 'value="1000000' in reopened and "5000" in reopened  # inputs back, plan computed again
    assert GoalPlan.objects.count() == 1  # reopening saves nothing


def test_someone_elses_plan_does_not_open(roles, client):
    plan = GoalPlan.objects.create(name="Theirs", inputs=INPUTS, result={}, created_by=roles.sales_member)
    client.force_login(roles.mkt_member)
    assert client.get(reverse("slas:goal_planner"), {"plan": plan.pk}).status_code == 404
    assert client.get(reverse("slas:goal_planner"), {"plan": "x"}).status_code == 404
    assert "Theirs" not in client.get(reverse("slas:goal_planner")).text


def test_the_planner_lines_and_errors_are_french(roles, client):
    Profile.objects.update_or_create(user=roles.mkt_member, defaults={"language": "fr"})
    client.force_login(roles.mkt_member)
    steps = {"mql_to_sql": "50", "sql_to_opportunity": "50", "opportunity_to_client": "50", "prospect_to_mql": "20"}
    text = client.post(reverse("slas:goal_planner"), {**INPUTS, "overall_rate": "", **steps, "action": "compute"}).text
    for label in ("Prospects", "MQL", "SQL", "Opportunités", "Clients", "par mois = ⌈total ÷ 10⌉"):
        assert label in text, label
    for english in ("Mqls", "Sqls", "Opportunities", "per month"):
        assert english not in text, english
    text = client.post(reverse("slas:goal_planner"), {**INPUTS, "overall_rate": "", "action": "compute"}).text
    assert "Indiquez soit le taux global" in text
