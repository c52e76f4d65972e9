"""The migration to one report per (series, month) keeps every existing report (history is never deleted)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reporting", "0002_notifications_claim_overdue_alert_watermark"), ("slas", "0001_initial")]
AFTER = [("reporting", "0005_monthly_report_series_unique"), ("slas", "0002_series_in_force_bounds_lifecycle")]


@pytest.mark.django_db(transaction=True)
def test_reports_of_two_versions_for_one_month_become_one_series_report():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Team, SLA, Report = (
        old.get_model("slas", "Team"),
        old.get_model("slas", "SLA"),
        old.get_model("reporting", "MonthlyReport"),
    )
    marketing = Team.objects.create(name="M", function="marketing")
    sales = Team.objects.create(name="S", function="sales")
    series = uuid.uuid4()
    common = {
        "marketing_team": marketing,
        "sales_team": sales,
        "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31),
    }
    v1 = SLA.objects.create(
        title="A", series=series, version=1, status="superseded", superseded_on=dt.date(2026, 5, 15), **common
    )
    v2 = SLA.objects.create(title="A", series=series, version=2, status="active", amends=v1, **common)
    no_series = SLA.objects.create(title="Admin draft", series=None, version=1, status="draft", **common)
    may = dt.date(2026, 5, 1)
    old_report = Report.objects.create(sla=v1, month=may, data={"v": 1}, engine_version="1.0")
    new_report = Report.objects.create(sla=v2, month=may, data={"v": 2}, engine_version="1.0")
    april = Report.objects.create(sla=v1, month=dt.date(2026, 4, 1), data={"v": 1}, engine_version="1.0")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Report, SLA = new.get_model("reporting", "MonthlyReport"), new.get_model("slas", "SLA")
    rows = {r.pk: (r.series, r.replaced_by_id) for r in Report.objects.all()}
    assert rows == {old_report.pk: (series, new_report.pk), new_report.pk: (series, None), april.pk: (series, None)}
    assert SLA.objects.get(pk=no_series.pk).series is not None
    assert SLA.objects.get(pk=v2.pk).in_force_from == dt.date(2026, 1, 1)
    assert SLA.objects.get(pk=no_series.pk).in_force_from is None

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
