"""Compliance status and monthly reports over the REST API (SPEC §6)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from reporting import compliance, exports, live
from reporting.api.serializers import MonthlyReportSerializer, SLAStatusSerializer
from reporting.models import MonthlyReport
from slas.clock import Month
from slas.models import SLA


def parse_month(value: str) -> dt.date:
    """'YYYY-MM' → the month's first day; ValueError otherwise."""
    return Month.parse(value).first_day


class SLAStatusView(APIView):
    """The live compliance status of an SLA series for a month (default: the current month).

    Any version's id answers the same: the figures cover every version of the series, with the
    targets of the version in force at the month's end (now, for the current month).
    """

    @extend_schema(
        operation_id="slas_status",
        summary=gettext_lazy("Compliance status of an SLA for a month"),
        description=gettext_lazy(
            "Every commitment with its target, actual, projection and status, plus the month's funnel. "
            "Months are calendar months in the SLA's time zone. Rates are percentages (0–100) with two decimals; "
            "amounts are in `currency`. The current month is `in_progress` (projections, `on_track`/`at_risk`); a "
            "past one is `closed` (`projected` equals `actual`, `met`/`missed`)."
        ),
        parameters=[
            OpenApiParameter(
                "month",
                OpenApiTypes.STR,
                pattern=r"^\d{4}-\d{2}$",
                description=gettext_lazy("YYYY-MM (in the SLA's time zone); default: the current month."),
            )
        ],
        responses={
            200: SLAStatusSerializer,
            400: OpenApiResponse(
                description=gettext_lazy("A bad month, a month not started yet, or one the SLA was not in force.")
            ),
        },
        examples=[
            OpenApiExample(
                "A closed month",
                response_only=True,
                value={
                    "sla": 42,
                    "series": "0b6f5c1e-8d1e-4d0e-9a57-3c1f0e2b9a10",
                    "version": 2,
                    "month": "2026-03",
                    "state": "closed",
                    "overall": {"met": 1, "evaluable": 2, "score": 50.0},
                    "commitments": [
                        {
                            "key": "handoff_response",
                            "side": "sales",
                            "unit": "percent",
                            "target": 90.0,
                            "actual": 93.48,
                            "projected": 93.48,
                            "status": "met",
                            "basis": 46,
                            "hours": 24.0,
                            "attempts": None,
                            "days": None,
                        },
                        {
                            "key": "mql_volume",
                            "side": "marketing",
                            "unit": "count",
                            "target": 120.0,
                            "actual": 97.0,
                            "projected": 97.0,
                            "status": "missed",
                            "basis": 1,
                            "hours": None,
                            "attempts": None,
                            "days": None,
                        },
                    ],
                    "funnel": {
                        "entries": {"visitor": 1, "prospect": 11, "mql": 97, "sql": 60, "opportunity": 20, "client": 6},
                        "conversion_rates": {
                            "visitor_to_prospect": 1100.0,
                            "prospect_to_mql": 881.82,
                            "mql_to_sql": 61.86,
                            "sql_to_opportunity": 33.33,
                            "opportunity_to_client": 30.0,
                        },
                        "handoffs": {
                            "handed_off": 50,
                            "accepted": 43,
                            "rejected": 3,
                            "due": 46,
                            "due_decided_in_time": 43,
                        },
                        "first_contact_hours": {"median": 3.5, "p90": 20.0},
                        "first_contact_distribution": {
                            "labels": ["≤ 1 h", "≤ 4 h", "≤ 8 h", "≤ 24 h", "≤ 72 h", "> 72 h"],
                            "counts": [10, 15, 8, 6, 3, 1],
                        },
                        "overdue_followups_open": 2,
                        "returned": 4,
                        "returned_with_feedback": 3,
                        "late_entries": 5,
                        "lost": 7,
                    },
                    "currency": "EUR",
                    "as_of": "2026-04-01T00:00:00+02:00",
                    "business_days": {"total": 22, "elapsed": 22},
                    "engine_version": "2.0",
                },
            )
        ],
    )
    def get(self, request, pk: int):
        sla = get_object_or_404(SLA.objects.select_related("calendar"), pk=pk)
        raw = request.query_params.get("month")
        if raw is not None:
            try:
                month = sla.month(parse_month(raw))
            except ValueError:
                raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
        else:
            month = sla.current_month()
        try:
            status = live.status(sla, month)
        except compliance.MonthNotStarted:
            raise ValidationError({"month": [_("This month has not started yet.")]}) from None
        except compliance.NotInForce:
            raise ValidationError(
                {"month": [_("This SLA was not in force in %(month)s.") % {"month": month.label}]}
            ) from None
        return Response(status)


class MonthlyReportFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(method="filter_month", help_text=gettext_lazy("YYYY-MM"))
    sla = django_filters.ModelChoiceFilter(
        queryset=SLA.objects.all(),
        method="filter_sla",
        help_text=gettext_lazy("An SLA id (any version of its series)."),
    )

    class Meta:
        model = MonthlyReport
        fields = ["sla", "month"]

    def filter_month(self, queryset, name, value):
        try:
            return queryset.filter(month=parse_month(value))
        except ValueError:
            raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None

    def filter_sla(self, queryset, name, value):
        """Any version of an SLA: the reports of its series."""
        return queryset.filter(series=value.series)


@extend_schema(description=gettext_lazy("Stored monthly report snapshots, newest first; filter by `sla` and `month`."))
class MonthlyReportListView(generics.ListAPIView):
    serializer_class = MonthlyReportSerializer
    queryset = MonthlyReport.objects.current().select_related("computed_by").order_by("-month", "sla_id")
    filterset_class = MonthlyReportFilter


class MonthlyReportDetailView(generics.RetrieveAPIView):
    serializer_class = MonthlyReportSerializer
    queryset = MonthlyReport.objects.select_related("computed_by")


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """The export answers with its file whatever ``Accept`` says; errors stay JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return (renderers[0], renderers[0].media_type)


@extend_schema(
    description=gettext_lazy(
        "A stored report for spreadsheets (`reporting.exports`, the same file as the report page).\n\n"
        "`export.csv`: one table (`table`: summary, commitments, funnel or trend), UTF-8 with BOM; `sep` (comma, "
        "semicolon, tab) and `decimal` (point, comma) default to the language's (`Accept-Language`). "
        "`export.xlsx`: every table, one sheet each, with number formats."
    )
)
class MonthlyReportExportView(APIView):
    content_negotiation_class = IgnoreClientContentNegotiation

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "table", str, enum=list(exports.TABLES), description=gettext_lazy("CSV only; default commitments")
            ),
            OpenApiParameter("sep", str, enum=list(exports.DELIMITERS)),
            OpenApiParameter("decimal", str, enum=list(exports.DECIMALS)),
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, exports.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request, pk: int, fmt: str):
        report = get_object_or_404(MonthlyReport.objects.select_related("sla"), pk=pk)
        try:
            return exports.export_response(report, fmt, request.query_params)
        except exports.ExportError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
