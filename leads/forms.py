"""Forms of the lead pages; they only parse input — the rules live in ``leads.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from slas.models import Function, MaturityCategory, Team

from .imports import IMPORT_FIELDS, read_upload
from .models import MARKETING_STAGES, Activity, Lead, Stage
from .permissions import take_teams
from .services import LEAD_DATA_FIELDS

DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def occurred_at_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("When it happened"),
        required=False,
        widget=DATETIME_WIDGET,
        help_text=_("Leave empty for now. Recorded more than 24 h later, it shows as a late entry."),
    )


class LeadForm(forms.ModelForm):
    occurred_at = occurred_at_field()

    class Meta:
        model = Lead
        fields = list(LEAD_DATA_FIELDS)


class LeadCreateForm(LeadForm):
    team = forms.ModelChoiceField(queryset=Team.objects.filter(function=Function.MARKETING), label=_("Owner team"))
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[(s.value, s.label) for s in Stage if s in MARKETING_STAGES], initial="prospect"
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Stage.choices, label=_("Move to"))
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
    deal_value = forms.DecimalField(required=False, min_value=0, label=_("Deal value"))
    expected_stage = forms.ChoiceField(choices=Stage.choices, required=False, widget=forms.HiddenInput)
    occurred_at = occurred_at_field()

    def __init__(self, *args, targets: list[str] | None = None, **kwargs):
        """``targets`` (``leads.services.transition_targets``): offer only the moves the server
        accepts, the next stage of the funnel first — never the current stage."""
        super().__init__(*args, **kwargs)
        if targets is not None:
            self.fields["to"].choices = [(stage, Stage(stage).label) for stage in targets]
            self.fields["to"].initial = targets[0] if targets else None


class HandoffForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.filter(function=Function.SALES), label=_("Sales team"))
    occurred_at = occurred_at_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The one sales team is preselected.
        teams = list(self.fields["team"].queryset.values_list("pk", flat=True)[:2])
        if len(teams) == 1:
            self.fields["team"].initial = teams[0]


class QualifyForm(forms.Form):
    """The five maturity questions (SPEC §2); the category follows from the answers."""

    budget_voted = forms.BooleanField(required=False, label=_("Is the budget voted?"))
    team_formed = forms.BooleanField(required=False, label=_("Is a project team formed?"))
    timing_defined = forms.BooleanField(required=False, label=_("Is the timing defined?"))
    scope_defined = forms.BooleanField(required=False, label=_("Is the scope defined?"))
    pain_identified = forms.BooleanField(required=False, label=_("Is a pain identified?"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AcceptForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=None, required=False, label=_("Sales owner"))
    occurred_at = occurred_at_field()

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.filter(memberships__team=team) if team else get_user_model().objects.none()
        self.fields["owner"].queryset = users.order_by("username")


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
    occurred_at = occurred_at_field()


class TakeForm(forms.Form):
    until = forms.DateTimeField(widget=DATETIME_WIDGET, label=_("Return by"))
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("For the sales team"))
    occurred_at = occurred_at_field()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the teams the user may take for (``leads.permissions.take_teams``); the one team preselected.
        teams = take_teams(user) if user is not None else []
        self.fields["team"].queryset = Team.objects.filter(pk__in=[team.pk for team in teams])
        if len(teams) == 1:
            self.fields["team"].initial = teams[0].pk


class ReturnForm(forms.Form):
    feedback = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Feedback for marketing"),
        help_text=_("What did you learn? A return without feedback counts against sales."),
    )
    occurred_at = occurred_at_field()


class CategoryForm(forms.Form):
    category = forms.TypedChoiceField(
        choices=[("", _("Derived from the answers")), *MaturityCategory.choices],
        coerce=int,
        empty_value=None,
        required=False,
        label=_("Maturity category"),
    )
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason"))
    occurred_at = occurred_at_field()


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(choices=Activity.Kind.choices, label=_("Kind"))
    outcome = forms.ChoiceField(choices=Activity.Outcome.choices, initial=Activity.Outcome.DONE, label=_("Outcome"))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note"))
    occurred_at = occurred_at_field()


class VisitForm(forms.Form):
    month = forms.DateField(
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        label=_("Month"),
    )
    channel = forms.CharField(max_length=60, label=_("Channel"))
    count = forms.IntegerField(min_value=0, label=_("Visits"))


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8 or Latin-1, separated by , or ; — at most 10 MB and 50,000 rows."),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.filter(function=Function.MARKETING), label=_("Default marketing team")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.cleaned_data["text"], self.cleaned_data["headers"] = read_upload(upload)
        return upload


class ImportMappingForm(forms.Form):
    """One select per lead field: which CSV column feeds it."""

    def __init__(self, *args, headers: list[str], initial_mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        by_field = {target: header for header, target in initial_mapping.items()}
        for name in IMPORT_FIELDS:
            self.fields[f"map_{name}"] = forms.ChoiceField(
                choices=[("", "—"), *((h, h) for h in headers)], required=False, label=name, initial=by_field.get(name)
            )

    def mapping(self) -> dict[str, str]:
        return {
            self.cleaned_data[f"map_{name}"]: name for name in IMPORT_FIELDS if self.cleaned_data.get(f"map_{name}")
        }


class ApplyProposalForm(forms.Form):
    """Which values proposed by a later capture to apply (all by default)."""

    fields_to_apply = forms.MultipleChoiceField(required=False, choices=[(f, f) for f in LEAD_DATA_FIELDS])
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CaptureForm(forms.Form):
    first_name = forms.CharField(max_length=100, label=_("First name"))
    last_name = forms.CharField(max_length=100, label=_("Last name"))
    email = forms.EmailField(label=_("E-mail"))
    company = forms.CharField(max_length=200, required=False, label=_("Company"))
    phone = forms.CharField(max_length=40, required=False, label=_("Phone"))
    consent_to_contact = forms.BooleanField(label=_("I agree to be contacted about my request."))
