"""Forms of the SLA pages: the document, its inline sections, and the goal planner.

The forms only parse and validate fields; the services (``slas.services``) apply the
cross-section rules and write. ``apply_service_errors`` puts a service's
``section.index.field`` errors (dotted paths, as the API shows them) back onto the matching
inline form.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.forms.models import model_to_dict
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from smarketing.http import int_or_none

from .goal_planner import STEP_RATE_KEYS
from .models import (
    COMMITMENT_CATALOGUE,
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
from .wording import CATEGORIES, commitment_sentence

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class SLAForm(forms.ModelForm):
    """The parties & roles step (the revision the editor started from is a hidden input of
    every step, not a field of this form)."""

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


class SentenceRow:
    """A row that reads as a sentence with its inputs in place (``SENTENCE``, ``{field}``
    placeholders), each input labelled for screen readers and marked when it has an error."""

    SENTENCE = ""
    INLINE = {
        forms.Select: "form-select form-select-sm d-inline-block w-auto mw-100",
        forms.CheckboxInput: "form-check-input",
    }

    def style_inline(self) -> None:
        for field in self.fields.values():
            css = next((css for kind, css in self.INLINE.items() if isinstance(field.widget, kind)), None)
            field.widget.attrs.setdefault("class", css or "form-control form-control-sm d-inline-block w-auto mw-100")
            field.widget.attrs["aria-label"] = str(field.label)
            if isinstance(field.widget, forms.TextInput) and not isinstance(field.widget, forms.NumberInput):
                field.widget.attrs.setdefault("placeholder", str(field.label).capitalize())

    def figure(self, name: str) -> SafeString:
        field = self[name]
        if not (self.is_bound and field.errors):
            return field.as_widget()
        css = f"{field.field.widget.attrs.get('class', '')} is-invalid"
        return field.as_widget(attrs={"class": css, "aria-invalid": "true"})

    def sentence(self) -> SafeString:
        names = [name for name in self.fields if name != "DELETE"]
        return format_html(str(self.SENTENCE), **{name: self.figure(name) for name in names})


SMALL_NUMBER = {"class": "form-control form-control-sm d-inline-block sla-figure", "inputmode": "decimal"}


class CommitmentForm(SentenceRow, forms.ModelForm):
    """One commitment as a sentence with its figures as inputs (``sentence``).

    The hours per maturity category are three inputs (``category_1``…``category_3``), stored as
    the same JSON the API takes (``{"1": 2, "3": 24}``); the parameters the chosen commitment
    does not use (SPEC §4) are dropped, so a row never stores stray figures.
    """

    category_1 = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=7, decimal_places=2)
    category_2 = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=7, decimal_places=2)
    category_3 = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_digits=7, decimal_places=2)

    class Meta:
        model = Commitment
        fields = ["key", "target", "hours", "attempts", "days"]

    def __init__(self, *args, currency: str = "", **kwargs):
        self.currency = currency
        initial = dict(kwargs.get("initial") or {})
        for category, hours in (initial.get("category_hours") or {}).items():
            initial[f"category_{category}"] = hours
        for name in ("target", "hours"):
            # 90, not 90.00: the figure as it reads in the sentence.
            if isinstance(initial.get(name), Decimal):
                initial[name] = (
                    initial[name].quantize(Decimal(1)) if initial[name] % 1 == 0 else initial[name].normalize()
                )
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.fields["key"].widget.attrs.update({"class": "form-select form-select-sm", "data-commitment-key": ""})
        names = {
            "target": _("Target"),
            "hours": _("Business hours"),
            "attempts": _("Contact attempts"),
            "days": _("Business days"),
        }
        for name, label in names.items():
            self.fields[name].widget.attrs.update({**SMALL_NUMBER, "aria-label": str(label), "data-figure": name})
            self.fields[name].label = label
        for category in CATEGORIES:
            field = self.fields[f"category_{category}"]
            field.label = _("Category %(category)s") % {"category": category}
            field.widget.attrs.update(
                {
                    **SMALL_NUMBER,
                    "aria-label": str(_("Hours for category %(category)s") % {"category": category}),
                    "data-figure": f"category_{category}",
                }
            )

    def clean(self):
        cleaned = super().clean()
        hours = {}
        for category in CATEGORIES:
            value = cleaned.pop(f"category_{category}", None)
            if value is not None:
                hours[category] = int(value) if value == value.to_integral_value() else float(value)
        key = cleaned.get("key")
        params = COMMITMENT_CATALOGUE[key]["params"] if key in COMMITMENT_CATALOGUE else ()
        for name in ("hours", "attempts", "days"):
            if name not in params:
                cleaned[name] = None
        cleaned["category_hours"] = hours if "category_hours" in params else {}
        return cleaned

    @property
    def current_key(self) -> str:
        value = self["key"].value()
        return value if value in COMMITMENT_CATALOGUE else ""

    def sentence(self) -> SafeString:
        """The commitment's sentence with the inputs in place of its figures ('' for no key yet)."""
        key = self.current_key
        if not key:
            return SafeString("")
        parts = {name: self.figure(name) for name in ("target", "hours", "attempts", "days")}
        parts["currency"] = self.currency
        category_hours = {}
        if "category_hours" in COMMITMENT_CATALOGUE[key]["params"]:
            category_hours = {category: self.figure(f"category_{category}") for category in CATEGORIES}
        return commitment_sentence(key, parts, category_hours=category_hours)

    def unused_figures(self) -> list:
        """The inputs the current commitment does not use: kept in the row (hidden) so that a
        script can move them into another commitment's sentence."""
        key = self.current_key
        if not key:
            return []
        params = COMMITMENT_CATALOGUE[key]["params"]
        used = {"target", *params}
        unused = [self[name] for name in ("hours", "attempts", "days") if name not in used]
        if "category_hours" not in params:
            unused += [self[f"category_{category}"] for category in CATEGORIES]
        return unused


class MaturityRuleForm(SentenceRow, forms.ModelForm):
    SENTENCE = _(
        "Category {category} is owned by {owner_function}, worked within {response_hours} business hours; "
        "{sales_may_take} sales may take it for up to {take_max_days} days"
    )

    class Meta:
        model = MaturityRule
        fields = ["category", "owner_function", "response_hours", "sales_may_take", "take_max_days"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_inline()
        self.fields["response_hours"].widget.attrs["class"] += " sla-figure"
        self.fields["take_max_days"].widget.attrs["class"] += " sla-figure"


class MilestoneForm(SentenceRow, forms.ModelForm):
    SENTENCE = _("{title} on {due_date}, led by {owner_team}; {repeats_monthly} every month")

    class Meta:
        model = Milestone
        fields = ["title", "owner_team", "due_date", "repeats_monthly"]
        widgets = {"due_date": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_inline()


class WorkingHoursForm(SentenceRow, forms.ModelForm):
    SENTENCE = _("{weekday} from {start} to {end}")

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]
        widgets = {"start": TIME_INPUT, "end": TIME_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_inline()


class ClosedDateForm(SentenceRow, forms.ModelForm):
    SENTENCE = _("Closed on {date}: {label}")

    class Meta:
        model = ClosedDate
        fields = ["date", "label"]
        widgets = {"date": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_inline()


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


def build_formsets(
    sla: SLA | None, sections, data=None, initial: dict[str, list] | None = None, form_kwargs=None
) -> dict[str, forms.BaseFormSet]:
    """The formsets of ``sections``: the rows the draft has (or ``initial``), no blank rows
    (one when a section is empty); rows are added by "add a row" (``with_added_row``)."""
    formsets = {}
    for section in sections:
        form_class, path = SECTIONS[section]
        rows = (initial or {}).get(section) if initial and section in initial else _existing_rows(sla, path)
        formset_class = formset_factory(form_class, extra=0 if rows else 1, can_delete=True)
        kwargs = (form_kwargs or {}).get(section, {})
        formsets[section] = formset_class(data=data, initial=rows, prefix=section, form_kwargs=kwargs)
    return formsets


def with_added_row(data, prefix: str):
    """A copy of the posted data with one more (blank) row in the formset ``prefix``: the
    "add a row" button without JavaScript keeps everything typed and adds a row."""
    data = data.copy()
    total = f"{prefix}-TOTAL_FORMS"
    data[total] = str((int_or_none(data.get(total)) or 0) + 1)
    return data


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


SERVICE_KEY = re.compile(r"^(?:calendar\.)?(?P<section>\w+)\.(?P<index>\d+)(?:\.(?P<field>\w+))?$")


def apply_service_errors(
    error: ValidationError,
    *,
    main: forms.Form | None,
    calendar: forms.Form | None,
    origins: dict[str, list[forms.Form]],
) -> list[str]:
    """Show a service's errors on the fields they are about; returns those that belong to no
    form of this step (the page shows them at the top)."""
    leftovers = []
    for key, messages in error.message_dict.items():
        match = SERVICE_KEY.match(key)
        calendar_field = key.removeprefix("calendar.")
        if match and match["section"] in origins and int(match["index"]) < len(origins[match["section"]]):
            form = origins[match["section"]][int(match["index"])]
            field = match["field"] if match["field"] in form.fields else None
            form.add_error(field, messages)
        elif calendar is not None and key.startswith("calendar.") and calendar_field in calendar.fields:
            calendar.add_error(calendar_field, messages)
        elif main is not None and key in main.fields:
            main.add_error(key, messages)
        elif calendar is not None and key in calendar.fields:
            calendar.add_error(key, messages)
        else:
            leftovers.extend(messages)
    return leftovers


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
