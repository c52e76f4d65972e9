"""Pages of the reporting app: dashboard (home), monthly reports, CSV and PDF exports."""

from __future__ import annotations

import copy
import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from leads.models import FollowUp
from reporting import live, queries
from reporting.display import (
    SIDE_LABELS,
    STAGE_LABELS,
    STATUS_DISPLAY,
    commitment_label,
    format_hours,
    format_value,
    month_label,
    unit_symbol,
)
from reporting.exports import ExportError, export_response
from reporting.models import MonthlyReport
from reporting.pdf import pdf_response, render_pdf, svg_data_uri
from reporting.services import report_recompute
from slas.models import SLA, CommitmentKey, Milestone, Team
from slas.permissions import can_draft_sla, can_manage_users, can_recompute_report
from smarketing import hooks


def decorate(status: dict) -> dict:
    """Adds display labels, icons and progress widths to an engine status (for templates)."""
    labels = dict(CommitmentKey.choices)
    for commitment in status["commitments"]:
        label, icon, tone = STATUS_DISPLAY[commitment["status"]]
        commitment.update(
            label=labels.get(commitment["key"], commitment["key"]),
            status_label=label,
            icon=icon,
            tone=tone,
            side_label=SIDE_LABELS.get(commitment["side"], commitment["side"]),
        )
        target, shown = commitment["target"], commitment["projected"]
        value = commitment["actual"]
        commitment["progress"] = min(100, round(100 * (value or 0) / target)) if target else 0
        commitment["projected_progress"] = min(100, round(100 * (shown or 0) / target)) if target else 0
    status["by_side"] = [
        {
            "side": side,
            "label": SIDE_LABELS[side],
            "commitments": [c for c in status["commitments"] if c["side"] == side],
        }
        for side in ("marketing", "sales", "shared")
    ]
    status["at_risk"] = [c for c in status["commitments"] if c["status"] in ("at_risk", "missed")]
    entries = status["funnel"]["entries"]
    status["funnel_rows"] = [
        {"stage": stage, "label": STAGE_LABELS[stage], "count": entries.get(stage, 0)} for stage in STAGE_LABELS
    ]
    rates = status["funnel"].get("conversion_rates", {})
    previous = None
    for row in status["funnel_rows"]:
        row["conversion"] = rates.get(f"{previous}_to_{row['stage']}") if previous else None
        previous = row["stage"]
    widest = max([row["count"] for row in status["funnel_rows"]] + [1])
    for row in status["funnel_rows"]:
        # Bar width for the PDF (no JavaScript there): a share of the 60 % column.
        row["bar_width"] = max(1, round(60 * row["count"] / widest)) if row["count"] else 0
        row["rest_width"] = 60 - row["bar_width"]
    return status


def chart_data(status: dict, trend: dict | None) -> dict:
    """What the Chart.js scripts draw; the same figures are in the tables beside the charts."""
    labels = dict(CommitmentKey.choices)
    data = {
        "funnel": {
            "labels": [str(row["label"]) for row in status["funnel_rows"]],
            "counts": [row["count"] for row in status["funnel_rows"]],
        },
        "distribution": status["funnel"]["first_contact_distribution"],
    }
    if trend:
        data["trend"] = {
            "labels": trend["labels"],
            "series": [
                {"label": str(labels.get(key, key)), "data": values["actual"]}
                for key, values in trend["series"].items()
                if key in ("prospects_volume", "mql_volume", "new_clients")
            ],
            "rates": [
                {"label": str(labels.get(key, key)), "data": values["actual"]}
                for key, values in trend["series"].items()
                if key in ("mql_acceptance_rate", "handoff_response", "first_contact", "contact_attempts")
            ],
        }
    return data


def trend_rows(trend: dict) -> list[dict]:
    labels = dict(CommitmentKey.choices)
    return [
        {
            "label": labels.get(key, key),
            "values": values["actual"],
            "cells": list(zip(trend["labels"], values["actual"], strict=True)),  # a phone's stacked row
        }
        for key, values in trend["series"].items()
    ]


def next_milestones(slas: list[SLA], now: dt.datetime | dt.date, limit: int = 8) -> list[dict]:
    """The next due date of each milestone of ``slas`` within two months (``Milestone.occurrences``),
    from today in each SLA's time zone (or from the date given)."""
    first_day = now if not isinstance(now, dt.datetime) else (now - dt.timedelta(days=1)).date()
    rows = Milestone.objects.filter(sla__in=slas).filter(Q(due_date__gte=first_day) | Q(repeats_monthly=True))
    upcoming = []
    for milestone in rows.select_related("sla__calendar", "owner_team"):
        today = milestone.sla.today(now) if isinstance(now, dt.datetime) else now
        days = milestone.occurrences(today, today + dt.timedelta(days=62))
        if days:
            upcoming.append({"title": milestone.title, "owner_team": milestone.owner_team, "due_date": days[0]})
    return sorted(upcoming, key=lambda row: row["due_date"])[:limit]


@login_required
@require_GET
def dashboard(request):
    """Home: the current month of every SLA in force, at-risk commitments first.

    A fixed number of queries whatever the number of SLAs or rows (``test_dashboard``): the
    statuses from ``reporting.live`` (no query while cached), the stored months of every trend
    in one query, each widget one index-served query.
    """
    now = timezone.now()
    # One board per series: its version in force now (in its own time zone) shows the series.
    # The calendars' hours are not prefetched: only a status not cached yet needs them.
    slas = list(
        SLA.objects.in_force_at(now)
        .select_related("marketing_team", "sales_team", "calendar")
        .prefetch_related("commitments")
        .order_by("title")
    )
    context = {}
    if not slas:
        # The first-run guidance while no SLA exists at all: counted and asked only then.
        context.update(sla_count=SLA.objects.count(), team_count=Team.objects.count())
        if not context["sla_count"]:
            context.update(can_manage_users=can_manage_users(request.user), can_draft_sla=can_draft_sla(request.user))
            return render(request, "home.html", context)
    reports = queries.stored_reports(slas, now=now)
    boards = []
    for sla in slas:
        status = decorate(live.status(sla, sla.current_month(now), now=now))
        trend = queries.trend(sla, now=now, current=status, reports=reports)
        boards.append(
            {
                "sla": sla,
                "status": status,
                "trend": trend,
                "trend_rows": trend_rows(trend),
                "charts": chart_data(status, trend),
                "chart_id": f"charts-{sla.pk}",
            }
        )
    boards.sort(key=lambda board: -len(board["status"]["at_risk"]))
    context.update(
        boards=boards,
        my_overdue=FollowUp.objects.overdue().select_related("lead", "sla").mine_first(request.user, 20),
        milestones=next_milestones([b["sla"] for b in boards], now),
        panels=hooks.collect("dashboard.panels", request=request, slas=[b["sla"] for b in boards], now=now),
    )
    return render(request, "reporting/dashboard.html", context)


@login_required
@require_GET
def report_list(request):
    reports = MonthlyReport.objects.current().select_related("sla", "computed_by").order_by("-month", "sla__title")
    sla_id = request.GET.get("sla")
    if sla_id and sla_id.isdigit():
        # Any version's id lists the reports of its series.
        reports = reports.filter(series__in=SLA.objects.filter(pk=int(sla_id)).values("series"))
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    return render(request, "reporting/report_list.html", {"page": page, "reports": page.object_list})


def _report(pk: int) -> MonthlyReport:
    return get_object_or_404(
        MonthlyReport.objects.select_related("sla", "sla__marketing_team", "sla__sales_team", "computed_by"), pk=pk
    )


def _report_context(request, report: MonthlyReport) -> dict:
    status = decorate(copy.deepcopy(report.data))
    trend = queries.trend(report.sla, until=report.month, from_start=True)
    is_manager = can_recompute_report(request.user, report.sla)
    return {
        "report": report,
        "sla": report.sla,
        "status": status,
        "trend": trend,
        "trend_rows": trend_rows(trend),
        "charts": chart_data(status, trend),
        "chart_id": "report-charts",
        "can_recompute": is_manager,
        "owners": queries.owner_breakdown(report.sla, report.month) if is_manager else None,
        "late_entries": queries.late_entries(report.sla, report.month),
        "returns_without_feedback": queries.returns_without_feedback(report.sla, report.month),
        "audits": report.audits.select_related("recomputed_by")[:10],
    }


@login_required
@require_GET
def report_detail(request, pk: int):
    report = _report(pk)
    return render(request, "reporting/report_detail.html", _report_context(request, report))


@login_required
@require_GET
def report_export(request, pk: int, fmt: str):
    """The report for spreadsheets (``reporting.exports``): one table as CSV, or every table as XLSX."""
    report = _report(pk)
    try:
        return export_response(report, fmt, request.GET)
    except ExportError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def report_pdf(request, pk: int):
    """The report for print (``reporting.pdf``): the summary the monthly e-mail gives, the scorecard,
    the funnel and the months since the SLA began, with SVG charts."""
    report = _report(pk)
    return pdf_response(
        lambda: render_pdf("reporting/report_pdf.html", report_pdf_context(request, report), request=request),
        f"report-{report.sla_id}-{report.month:%Y-%m}.pdf",
    )


# The trend charts of the PDF: one per unit, the commitments measured in it.
PDF_TREND_CHARTS = (
    ("percent", gettext_lazy("Rates (%)")),
    ("count", gettext_lazy("Volumes")),
    ("amount", gettext_lazy("Won revenue")),
)


def report_pdf_context(request, report: MonthlyReport) -> dict:
    """The report page's context plus every figure written with its unit and the charts as SVG."""
    from reporting.charts import funnel_svg, scorecard_svg, trend_svg
    from reporting.emails import report_summary

    context = _report_context(request, report)
    summary = report_summary(report)
    currency = summary["currency"]
    units = {row["key"]: row.get("unit", "") for row in report.data.get("commitments", [])}
    months = [month_label(dt.date.fromisoformat(f"{label}-01")) for label in context["trend"]["labels"]]
    rows = [
        {
            "key": key,
            "label": commitment_label(key),
            "unit": units.get(key, ""),
            "unit_symbol": unit_symbol(units.get(key, ""), currency),
            "values": values["actual"],
            "cells": [
                {"text": format_value(value, units.get(key, ""), currency), "status": state}
                for value, state in zip(values["actual"], values["status"], strict=True)
            ],
        }
        for key, values in context["trend"]["series"].items()
    ]
    charts = []
    for unit, title in PDF_TREND_CHARTS:
        chosen = [row for row in rows if row["unit"] == unit]
        if chosen and len(months) > 1:
            charts.append({"title": title, "src": svg_data_uri(trend_svg(chosen, months, unit, currency))})
    funnel = context["status"]["funnel"]
    context.update(
        summary,
        months=months,
        period=month_label(report.month, short=False),
        trend_table=rows,
        trend_charts=charts,
        scorecard_src=svg_data_uri(scorecard_svg(report.data)),
        funnel_src=svg_data_uri(funnel_svg(context["status"]["funnel_rows"])),
        first_contact_median=format_hours(funnel["first_contact_hours"].get("median")),
        first_contact_p90=format_hours(funnel["first_contact_hours"].get("p90")),
    )
    return context


@login_required
@require_POST
def report_recompute_view(request, pk: int):
    report = _report(pk)
    if not can_recompute_report(request.user, report.sla):
        raise PermissionDenied(
            _("Only an administrator or a manager of one of this SLA's two teams may recompute its report.")
        )
    report_recompute(report=report, by=request.user)
    messages.success(request, _("The report was recomputed; the change is recorded in its audit trail."))
    return redirect("reporting:report_detail", pk=report.pk)


@login_required
@require_GET
def planner_prefill(request):
    """The goal planner with each step rate measured on the last 12 months of real funnel data."""
    from .planner_rates import planner_url

    return redirect(planner_url())
