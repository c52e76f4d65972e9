"""Monthly report snapshots: one per (SLA, month), audited recomputation, trends."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from leads.models import Lead
from reporting import queries
from reporting.models import MonthlyReport, ReportAudit
from reporting.services import report_compute, report_recompute
from reporting.tests.builders import at, reach
from slas.clock import Month
from slas.models import SLA
from slas.tests.factories import make_sla

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def sla(roles):
    return make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)


def test_computing_twice_keeps_one_snapshot(sla, roles):
    reach(
        Lead.objects.create(owner_team=roles.marketing),
        "prospect",
        at("2026-03-03 10:00"),
        team=roles.marketing,
    )
    first = report_compute(sla=sla, month=MARCH, task_name="monthly")
    second = report_compute(sla=sla, month=dt.date(2026, 3, 17), by=roles.admin)
    assert first.pk == second.pk
    assert MonthlyReport.objects.filter(sla=sla).count() == 1
    assert first.data["month"] == "2026-03"
    assert first.computed_by_task == "monthly"
    assert first.engine_version


def test_a_month_that_has_not_ended_or_out_of_the_sla_cannot_be_snapshotted(sla):
    with pytest.raises(ValidationError):
        report_compute(sla=sla, month=dt.date(2099, 1, 1))
    with pytest.raises(ValidationError):
        report_compute(sla=sla, month=dt.date(2025, 12, 1))
    assert not MonthlyReport.objects.exists()


def test_a_manager_recomputes_and_the_change_is_audited(sla, roles):
    report = report_compute(sla=sla, month=MARCH)
    assert report.data["commitments"][0]["actual"] == 0
    lead = Lead.objects.create(owner_team=roles.marketing)
    reach(
        lead,
        "prospect",
        at("2026-03-03 10:00"),
        team=roles.marketing,
        recorded_at=at("2026-04-20 10:00"),
        is_late_entry=True,
    )

    with pytest.raises(PermissionDenied):
        report_recompute(report=report, by=roles.sales_member)
    report = report_recompute(report=report, by=roles.sales_manager)

    assert report.data["commitments"][0]["actual"] == 1
    audit = ReportAudit.objects.get(report=report)
    assert audit.recomputed_by == roles.sales_manager
    assert audit.changes["commitments"]["prospects_volume"]["actual"] == {"before": 0, "after": 1}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_computations_make_one_snapshot(roles):
    if connection.vendor != "postgresql":
        print("skipped: concurrent row locks need PostgreSQL (SQLite serialises all writers)")
        pytest.skip("concurrent computation needs PostgreSQL")
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def compute():
        try:
            barrier.wait(timeout=10)
            results.append(report_compute(sla=SLA.objects.get(pk=sla.pk), month=MARCH).pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=compute) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert MonthlyReport.objects.filter(sla=sla).count() == 1


def test_slas_active_in_a_month(roles, sla):
    draft = make_sla(roles.other_marketing, roles.other_sales)
    assert list(SLA.objects.in_force_during(Month(MARCH))) == [sla]
    assert draft not in SLA.objects.in_force_during(Month(MARCH))
    assert not queries.is_active_in(sla, dt.date(2027, 2, 1))


def test_the_trend_reads_stored_reports_and_the_current_month_live(sla, roles):
    report_compute(sla=sla, month=MARCH)
    lead = Lead.objects.create(owner_team=roles.marketing)
    reach(lead, "prospect", at("2026-05-04 10:00"), team=roles.marketing)
    trend = queries.trend(sla, now=at("2026-05-10 10:00"))
    assert trend["labels"][0] == "2025-06" and trend["labels"][-1] == "2026-05"
    prospects = trend["series"]["prospects_volume"]["actual"]
    assert prospects[-1] == 1  # May, live
    assert prospects[-3] == 0  # March, stored
    assert prospects[-2] is None  # April: no report stored
