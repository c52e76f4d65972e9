"""Forms of the SLA pages: the document, its inline sections, and the goal planner.

The forms only parse and validate fields; the services (``slas.services``) apply the
cross-section rules and write. ``apply_service_errors`` puts a service's
``section[index].field`` errors back onto the matching inline form.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.forms.models import model_to_dict
from django.utils.translation import gettext_lazy as _

from .goal_planner import STEP_RATE_KEYS
from .models import (
    SLA,
    ClosedDate,
    Commitment,
    Function,
    MaturityRule,
    Milestone,
    SharedGoal,
    Team,
    WorkingCalendar,
    WorkingHours,
)
from .services import SLA_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SLAForm(forms.ModelForm):
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SLA
        # Exactly the fields the draft-edit service accepts.
        fields = list(SLA_FIELDS)
        widgets = {
            "start_date": DATE_INPUT,
            "end_date": DATE_INPUT,
            "company_objectives": forms.Textarea(attrs={"rows": 3}),
            "marketing_role": forms.Textarea(attrs={"rows": 3}),
            "sales_role": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["marketing_team"].queryset = Team.objects.filter(function=Function.MARKETING)
        self.fields["sales_team"].queryset = Team.objects.filter(function=Function.SALES)
        if self.instance.pk:
            self.fields["revision"].initial = self.instance.revision


class CalendarForm(forms.ModelForm):
    class Meta:
        model = WorkingCalendar
        fields = ["time_zone", "country", "subdivision"]


class GoalForm(forms.ModelForm):
    class Meta:
        model = SharedGoal
        fields = ["specific", "metric", "target", "achievable", "deadline"]
        widgets = {
            "deadline": DATE_INPUT,
            "specific": forms.Textarea(attrs={"rows": 2}),
            "achievable": forms.Textarea(attrs={"rows": 2}),
        }


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ["key", "target", "hours", "attempts", "days", "category_hours"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category_hours"].required = False
        self.fields["category_hours"].help_text = _('First contact only, e.g. {"1": 4, "2": 24, "3": 72}.')

    def has_changed(self) -> bool:
        # An empty "{}" in a blank extra row is not a change: the row stays optional.
        raw = (self.data.get(self.add_prefix("category_hours")) or "").strip()
        changed = [name for name in self.changed_data if not (name == "category_hours" and raw in ("", "{}"))]
        return bool(changed)

    def clean_category_hours(self):
        return self.cleaned_data.get("category_hours") or {}


class MaturityRuleForm(forms.ModelForm):
    class Meta:
        model = MaturityRule
        fields = ["category", "owner_function", "response_hours", "sales_may_take", "take_max_days"]


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ["title", "owner_team", "due_date", "repeats_monthly"]
        widgets = {"due_date": DATE_INPUT}


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]
        widgets = {"start": TIME_INPUT, "end": TIME_INPUT}


class ClosedDateForm(forms.ModelForm):
    class Meta:
        model = ClosedDate
        fields = ["date", "label"]
        widgets = {"date": DATE_INPUT}


# section name (as the services name it) -> (form class, rows of an existing SLA, extra rows)
SECTIONS: dict[str, tuple[type[forms.ModelForm], str]] = {
    "goals": (GoalForm, "goals"),
    "commitments": (CommitmentForm, "commitments"),
    "maturity_rules": (MaturityRuleForm, "maturity_rules"),
    "milestones": (MilestoneForm, "milestones"),
    "hours": (WorkingHoursForm, "calendar.hours"),
    "closed_dates": (ClosedDateForm, "calendar.closed_dates"),
}
SECTION_TITLES = {
    "goals": _("Shared SMART goals"),
    "commitments": _("Commitments"),
    "maturity_rules": _("Maturity rules"),
    "milestones": _("Intervention calendar"),
    "hours": _("Weekly working hours"),
    "closed_dates": _("Extra closed dates"),
}


def _existing_rows(sla: SLA | None, path: str) -> list[dict]:
    if sla is None:
        return []
    owner = sla
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent, None)
        if owner is None:
            return []
    return [model_to_dict(row, exclude=["id", "sla", "calendar"]) for row in getattr(owner, name).all()]


def build_formsets(sla: SLA | None, data=None, initial: dict[str, list] | None = None) -> dict[str, forms.BaseFormSet]:
    formsets = {}
    for section, (form_class, path) in SECTIONS.items():
        rows = (initial or {}).get(section) if initial and section in initial else _existing_rows(sla, path)
        formset_class = formset_factory(form_class, extra=1 if rows else 2, can_delete=True)
        formsets[section] = formset_class(data=data, initial=rows, prefix=section)
    return formsets


def formset_rows(formset: forms.BaseFormSet) -> tuple[list[dict], list[forms.Form]]:
    """Cleaned rows to keep (not deleted, not blank) and the forms they come from, in order."""
    rows, origins = [], []
    for form in formset.forms:
        data = {key: value for key, value in form.cleaned_data.items() if key != "DELETE"}
        if form.cleaned_data.get("DELETE") or not any(v not in (None, "", {}, False) for v in data.values()):
            continue
        rows.append(data)
        origins.append(form)
    return rows, origins


SERVICE_KEY = re.compile(r"^(?P<section>\w+)\[(?P<index>\d+)\]\.(?P<field>\w+)$")


def apply_service_errors(
    error: ValidationError, *, main: forms.Form, calendar: forms.Form, origins: dict[str, list[forms.Form]]
) -> None:
    """Show a service's errors on the fields they are about."""
    for key, messages in error.message_dict.items():
        match = SERVICE_KEY.match(key)
        if match and match["section"] in origins and int(match["index"]) < len(origins[match["section"]]):
            form = origins[match["section"]][int(match["index"])]
            field = match["field"] if match["field"] in form.fields else None
            form.add_error(field, messages)
        elif key in main.fields:
            main.add_error(key, messages)
        elif key in calendar.fields:
            calendar.add_error(key, messages)
        else:
            main.add_error(None, messages)


class GoalPlannerForm(forms.Form):
    revenue_target = forms.DecimalField(label=_("Revenue target"), min_value=0.01, max_digits=16, decimal_places=2)
    average_deal_size = forms.DecimalField(
        label=_("Average deal size"), min_value=0.01, max_digits=16, decimal_places=2
    )
    months = forms.IntegerField(label=_("Period (months)"), min_value=1, max_value=120, initial=12)
    overall_rate = forms.DecimalField(
        label=_("Overall prospect → client rate (%)"),
        required=False,
        min_value=0.001,
        max_value=100,
        decimal_places=3,
        help_text=_("Leave empty to give a rate for each step instead."),
    )
    visitor_to_prospect = forms.DecimalField(
        label=_("Visitor → prospect (%)"), required=False, min_value=0.001, max_value=100, decimal_places=3
    )
    prospect_to_mql = forms.DecimalField(
        label=_("Prospect → MQL (%)"), required=False, min_value=0.001, max_value=100, decimal_places=3
    )
    mql_to_sql = forms.DecimalField(
        label=_("MQL → SQL (%)"), required=False, min_value=0.001, max_value=100, decimal_places=3
    )
    sql_to_opportunity = forms.DecimalField(
        label=_("SQL → opportunity (%)"), required=False, min_value=0.001, max_value=100, decimal_places=3
    )
    opportunity_to_client = forms.DecimalField(
        label=_("Opportunity → client (%)"), required=False, min_value=0.001, max_value=100, decimal_places=3
    )
    name = forms.CharField(label=_("Plan name (to save it)"), required=False, max_length=200)

    def step_rates(self) -> dict:
        return {key: self.cleaned_data.get(key) for key in STEP_RATE_KEYS}


class PlanToSLAForm(forms.Form):
    title = forms.CharField(label=_("SLA title"), max_length=200)
    marketing_team = forms.ModelChoiceField(
        label=_("Marketing team"), queryset=Team.objects.filter(function=Function.MARKETING)
    )
    sales_team = forms.ModelChoiceField(label=_("Sales team"), queryset=Team.objects.filter(function=Function.SALES))
    start_date = forms.DateField(label=_("Start (month)"), widget=DATE_INPUT)
