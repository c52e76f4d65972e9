"""One FilterSet for the lead list page and the REST API (search, stage, owner, category, overdue, dates)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.forms import NullBooleanSelect
from django.utils.translation import gettext_lazy as _

from slas.models import MaturityCategory, Team

from .models import Lead, Stage


class OverdueSelect(NullBooleanSelect):
    """The overdue filter says "any", not "unknown", when it filters nothing."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("unknown", _("Any")), ("true", _("Overdue only")), ("false", _("Not overdue"))]


class LeadFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    # distinct=False: a lead has one stage, and DISTINCT over every column sorts the whole result.
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices,
        label=_("Stage"),
        distinct=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    owner_team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), label=_("Owner team"), empty_label=_("Any")
    )
    owner_user = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        label=_("Owner"),
        empty_label=_("Any"),
    )
    maturity_category = django_filters.ChoiceFilter(
        choices=MaturityCategory.choices, label=_("Maturity category"), empty_label=_("Any")
    )
    channel = django_filters.CharFilter(field_name="channel", lookup_expr="iexact", label=_("Channel"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"), widget=OverdueSelect)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("Created from"))
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Created to"))

    class Meta:
        model = Lead
        fields = ["q", "stage", "owner_team", "owner_user", "maturity_category", "channel", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(company__icontains=value)
            | Q(email__icontains=value)
        )

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.not_overdue()


def lead_list_queryset():
    """The lead list with everything a row shows, in a fixed number of queries.

    The overdue flag is set on the page once sliced (``leads.queries.mark_overdue``).
    """
    return Lead.objects.select_related("owner_team", "owner_user")
