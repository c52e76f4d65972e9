"""One FilterSet for the SLA list page and the API (status, team, period)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import SLA, Team


@extend_schema_field(OpenApiTypes.INT)
class TeamFilter(django_filters.ModelChoiceFilter):
    """A team id matching either party of the SLA."""


class SLAFilterSet(django_filters.FilterSet):
    # Toggles drawn as chips on the list page (a short row, not a tall multi-select box).
    status = django_filters.MultipleChoiceFilter(
        choices=SLA.Status.choices, label=_("Status"), widget=forms.CheckboxSelectMultiple(attrs={"class": "btn-check"})
    )
    team = TeamFilter(queryset=Team.objects.all(), method="filter_team", label=_("Team"), empty_label=_("Any"))
    active_on = django_filters.DateFilter(method="filter_active_on", label=_("Covers the date"))
    starts_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte", label=_("Starts on or after"))
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte", label=_("Ends on or before"))
    series = django_filters.UUIDFilter(field_name="series", label=_("Series"))

    class Meta:
        model = SLA
        fields = ["status", "team", "active_on", "starts_after", "ends_before", "series"]

    def filter_team(self, queryset, name, value):
        return queryset.filter(Q(marketing_team=value) | Q(sales_team=value))

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)
