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

from reporting import compliance
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
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM; default: current month")],
        responses=SLAStatusSerializer,
    )
    def get(self, request, pk: int):
        sla = get_object_or_404(SLA.objects.select_related("calendar"), pk=pk)
        raw = request.query_params.get("month")
        if raw:
            try:
                month = sla.month(parse_month(raw))
            except ValueError:
                raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None
        else:
            month = sla.current_month()
        try:
            status = compliance.compute(sla, month)
        except compliance.MonthNotStarted:
            raise ValidationError({"month": [_("This month has not started yet.")]}) from None
        except compliance.NotInForce:
            raise ValidationError(
                {"month": [_("This SLA was not in force in %(month)s.") % {"month": month.label}]}
            ) from None
        return Response(status)


class MonthlyReportFilter(django_filters.FilterSet):
    month = django_filters.CharFilter(method="filter_month", help_text="YYYY-MM")
    sla = django_filters.ModelChoiceFilter(
        queryset=SLA.objects.all(), method="filter_sla", help_text="An SLA id (any version of its series)."
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


class MonthlyReportListView(generics.ListAPIView):
    """Stored monthly report snapshots, newest first; filter by ``sla`` and ``month``."""

    serializer_class = MonthlyReportSerializer
    queryset = MonthlyReport.objects.current().select_related("computed_by").order_by("-month", "sla_id")
    filterset_class = MonthlyReportFilter


class MonthlyReportDetailView(generics.RetrieveAPIView):
    serializer_class = MonthlyReportSerializer
    queryset = MonthlyReport.objects.select_related("computed_by")
