"""The reporting demo seed stores past months' reports once."""

from __future__ import annotations

import datetime as dt

import time_machine

from reporting import demo
from reporting.models import MonthlyReport
from reporting.tests.builders import at
from slas.models import SLA
from slas.tests.factories import make_sla
from smarketing.demo import DemoContext


def test_the_demo_seed_stores_the_closed_months_once(roles):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE, start=dt.date(2026, 1, 15))
    context = DemoContext(teams={"marketing": roles.marketing, "sales": roles.sales})
    with time_machine.travel(at("2026-04-10 10:00"), tick=False):
        demo.seed(context)
        demo.seed(context)
    months = list(MonthlyReport.objects.filter(sla=sla).order_by("month").values_list("month", flat=True))
    assert months == [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def test_the_demo_seed_without_demo_teams_does_nothing(db):
    demo.seed(DemoContext())
    assert not MonthlyReport.objects.exists()
