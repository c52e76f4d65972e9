"""Forms of the review pages: they parse and validate fields; ``reviews.services`` decides and writes."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from leads.models import Lead
from slas.clock import Month
from slas.models import SLA, CommitmentKey, Function, MaturityCategory, Profile

from .models import DEFAULT_DURATION_MINUTES, Decision
from .services import MAX_DURATION_MINUTES

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
MONTH_INPUT = forms.TextInput(attrs={"type": "month", "placeholder": _("YYYY-MM"), "pattern": r"\d{4}-\d{2}"})


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        full = user.get_full_name()
        return f"{full} ({user.get_username()})" if full else user.get_username()


def people():
    """Active users who may write (viewers read only): who can be invited or own an action item."""
    viewers = Profile.objects.filter(is_viewer=True).values("user_id")
    return get_user_model().objects.filter(is_active=True).exclude(pk__in=viewers).order_by("first_name", "username")


class ParticipantForm(forms.Form):
    user = UserChoiceField(label=_("Invite"), queryset=get_user_model().objects.none())

    def __init__(self, *args, exclude_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people().exclude(pk__in=list(exclude_ids))


class PointForm(forms.Form):
    text = forms.CharField(
        label=_("Your point for the agenda"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput, max_length=60)
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    # A select of the agenda's items; the service checks the key.
    item = forms.CharField(label=_("Agenda item"), max_length=60, required=False, widget=forms.Select)
    proposal = forms.ChoiceField(
        label=_("Proposed change to the SLA"), choices=Decision.Proposal.choices, required=False
    )
    commitment_key = forms.ChoiceField(
        label=_("Commitment"), choices=[("", "—"), *CommitmentKey.choices], required=False
    )
    category = forms.TypedChoiceField(
        label=_("Maturity category"),
        choices=[("", "—"), *MaturityCategory.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    proposed_value = forms.DecimalField(
        label=_("New value"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("A target, or a response time in business hours."),
    )
    proposed_owner_function = forms.ChoiceField(
        label=_("Owned by"), choices=[("", "—"), *Function.choices], required=False
    )

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].widget.choices = [("", "—"), *items]


class ActionItemForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    owner = UserChoiceField(label=_("Owner"), queryset=get_user_model().objects.none())
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT)
    # Selects of the agenda's items, the leads it mentions and the review's decisions; checked on save.
    item = forms.CharField(label=_("Agenda item"), max_length=60, required=False, widget=forms.Select)
    lead = forms.IntegerField(label=_("Lead"), required=False, min_value=1, widget=forms.Select)
    commitment_key = forms.ChoiceField(
        label=_("Commitment"), choices=[("", "—"), *CommitmentKey.choices], required=False
    )
    decision = forms.IntegerField(label=_("Decision"), required=False, min_value=1, widget=forms.Select)

    def __init__(self, *args, items=(), leads=(), decisions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()
        self.fields["item"].widget.choices = [("", "—"), *items]
        self.fields["lead"].widget.choices = [("", "—"), *leads]
        self.fields["decision"].widget.choices = [("", "—"), *decisions]

    def clean_lead(self):
        lead_id = self.cleaned_data.get("lead")
        if lead_id is None:
            return None
        lead = Lead.objects.filter(pk=lead_id).first()
        if lead is None:
            raise forms.ValidationError(_("This lead does not exist."))
        return lead


class RescheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(label=_("Meeting time"), widget=DATETIME_INPUT)
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=15, max_value=MAX_DURATION_MINUTES, initial=DEFAULT_DURATION_MINUTES
    )
    location = forms.CharField(label=_("Place or video link"), max_length=300, required=False)


class ExtraReviewForm(RescheduleForm):
    sla = forms.ModelChoiceField(label=_("SLA"), queryset=SLA.objects.none())
    month = forms.CharField(label=_("Month reviewed"), widget=MONTH_INPUT, help_text=_("YYYY-MM"))
    title = forms.CharField(label=_("Title"), max_length=200, required=False)

    field_order = ["sla", "month", "title", "scheduled_at", "duration_minutes", "location"]

    def __init__(self, *args, slas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sla"].queryset = slas if slas is not None else SLA.objects.none()

    def clean_month(self) -> dt.date:
        try:
            return Month.parse(self.cleaned_data["month"]).first_day
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None
