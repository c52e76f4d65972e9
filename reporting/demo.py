"""Demo data: the stored monthly reports of the demo SLA's past months.

Runs after the ``slas`` and ``leads`` seeds (``smarketing.demo.DEMO_APPS``). Idempotent:
``report_compute`` returns the stored snapshot when it exists.
"""

from __future__ import annotations

from django.utils import timezone

from reporting import queries
from reporting.services import report_compute
from slas.models import SLA

# How far back the demo goes: the trend chart shows twelve months.
MONTHS_BACK = 12


def demo_slas(context) -> list[SLA]:
    """One signed version per demo series (between the demo marketing and sales teams)."""
    marketing, sales = context.teams.get("marketing"), context.teams.get("sales")
    if marketing is None or sales is None:
        return []
    series = {}
    for sla in SLA.objects.for_teams(marketing, sales).signed().order_by("series", "-version"):
        series.setdefault(sla.series, sla)
    return list(series.values())


def seed(context) -> None:
    now = timezone.now()
    for sla in demo_slas(context):
        for month in sla.current_month(now).back(MONTHS_BACK + 1)[:-1]:
            if queries.is_active_in(sla, month):
                report_compute(sla=sla, month=month.first_day, task_name="demo")
