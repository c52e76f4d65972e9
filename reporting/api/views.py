"""Compliance status and monthly reports over the REST API (SPEC §6)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from reporting import compliance, queries
from reporting.api.serializers import MonthlyReportSerializer, SLAStatusSerializer
from reporting.models import MonthlyReport
from slas.models import SLA


def parse_month(value: str) -> dt.date:
    """'YYYY-MM' → the month's first day; ValueError otherwise."""
    parsed = dt.datetime.strptime(value.strip(), "%Y-%m").date()
    if not 1900 <= parsed.year <= 9999:
        raise ValueError(value)
    return parsed


class SLAStatusView(APIView):
    """The live compliance status of an SLA for a month (default: the current month)."""

    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default: current month")],
        responses=SLAStatusSerializer,
    )
    def get(self, request, pk: int):
        sla = get_object_or_404(SLA.objects.select_related("calendar").prefetch_related("commitments"), pk=pk)
        raw = request.query_params.get("month")
        if raw:
            try:
                month = parse_month(raw)
            except ValueError:
                raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
        else:
            month = compliance.current_month(sla)
        if not queries.is_active_in(sla, month):
            raise ValidationError(
                {"month": [_("This SLA was not in force in %(month)s.") % {"month": f"{month:%Y-%m}"}]}
            )
        try:
            status = compliance.compute(sla, month)
        except ValueError:
            raise ValidationError({"month": [_("This month has not started yet.")]}) from None
        return Response(status)


class MonthlyReportFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(method="filter_month", help_text="YYYY-MM")

    class Meta:
        model = MonthlyReport
        fields = ["sla", "month"]

    def filter_month(self, queryset, name, value):
        try:
            return queryset.filter(month=parse_month(value))
        except ValueError:
            raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None


class MonthlyReportListView(generics.ListAPIView):
    """Stored monthly report snapshots, newest first; filter by ``sla`` and ``month``."""

    serializer_class = MonthlyReportSerializer
    queryset = MonthlyReport.objects.select_related("computed_by").order_by("-month", "sla_id")
    filterset_class = MonthlyReportFilter


class MonthlyReportDetailView(generics.RetrieveAPIView):
    serializer_class = MonthlyReportSerializer
    queryset = MonthlyReport.objects.select_related("computed_by")
