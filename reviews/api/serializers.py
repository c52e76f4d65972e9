"""Input and output serializers of the review API (one pair per operation)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from leads.models import Lead
from slas.models import SLA, CommitmentKey, Function, MaturityCategory

from ..models import Decision, Review


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewSerializer(serializers.ModelSerializer):
    """A review in lists (and the head of the detail)."""

    month = serializers.DateField(format="%Y-%m", help_text=_("The month reviewed (YYYY-MM)."))
    title = serializers.CharField(source="display_title")
    participants = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("The review's page."))

    class Meta:
        model = Review
        fields = [
            "id",
            "sla",
            "series",
            "month",
            "kind",
            "title",
            "status",
            "scheduled_at",
            "ends_at",
            "location",
            "sequence",
            "participants",
            "closed_at",
            "closed_by",
            "url",
        ]
        read_only_fields = fields

    def get_participants(self, review: Review) -> list[int]:
        return sorted(participant.user_id for participant in review.participants.all())

    def get_url(self, review: Review) -> str:
        return review.get_absolute_url()


class DecisionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField(help_text=_("The agenda item it is about (blank: none)."))
    text = serializers.CharField()
    by = PersonSerializer()
    created_at = serializers.DateTimeField()
    proposal = serializers.ChoiceField(choices=Decision.Proposal.choices)
    commitment_key = serializers.CharField()
    category = serializers.IntegerField(allow_null=True)
    proposed_value = serializers.CharField(allow_null=True, help_text=_("A decimal, as text."))
    proposed_owner_function = serializers.CharField()
    amendment = serializers.IntegerField(allow_null=True, help_text=_("The SLA draft it opened, if any."))


class LeadRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    company = serializers.CharField()


class ActionItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField()
    title = serializers.CharField()
    owner = PersonSerializer()
    due_date = serializers.DateField()
    due_at = serializers.DateTimeField(help_text=_("The end of the due date's working hours, in the SLA's time zone."))
    status = serializers.ChoiceField(choices=["open", "done", "cancelled"])
    done_at = serializers.DateTimeField(allow_null=True)
    lead = LeadRefSerializer(allow_null=True)
    commitment_key = serializers.CharField()
    sla = serializers.IntegerField(allow_null=True)
    decision = serializers.IntegerField(allow_null=True)
    followup = serializers.IntegerField(help_text=_("The owner's follow-up (GET /api/v1/followups/)."))


class NoteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.CharField()
    by = PersonSerializer()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class AgendaSerializer(serializers.Serializer):
    month = serializers.CharField()
    as_of = serializers.DateTimeField()
    report = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField()
    planner_rates = serializers.DictField(child=serializers.FloatField())
    sections = serializers.ListField(
        child=serializers.DictField(),
        help_text=_(
            "scorecard, miss:<commitment>, mql_quality, sales_feedback, late_entries, at_risk, action_items, "
            "points — each only when it has content (docs/reviews.md)."
        ),
    )


class ReviewDetailSerializer(serializers.Serializer):
    review = ReviewSerializer()
    frozen = serializers.BooleanField(help_text=_("True once closed: the minutes below never change."))
    agenda = AgendaSerializer()
    participants = PersonSerializer(many=True)
    notes = NoteOutputSerializer(many=True)
    decisions = DecisionOutputSerializer(many=True)
    action_items = ActionItemOutputSerializer(many=True)


class DecisionInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)
    item = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    proposal = serializers.ChoiceField(choices=Decision.Proposal.choices, required=False, default="")
    commitment_key = serializers.ChoiceField(
        choices=["", *CommitmentKey.values], required=False, allow_blank=True, default=""
    )
    category = serializers.ChoiceField(choices=MaturityCategory.values, required=False, allow_null=True, default=None)
    proposed_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, required=False, allow_null=True, default=None
    )
    proposed_owner_function = serializers.ChoiceField(
        choices=["", *Function.values], required=False, allow_blank=True, default=""
    )


class ActionItemInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = serializers.PrimaryKeyRelatedField(queryset=get_user_model().objects.filter(is_active=True))
    due_date = serializers.DateField()
    item = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    lead = serializers.PrimaryKeyRelatedField(
        queryset=Lead.objects.all(), required=False, allow_null=True, default=None
    )
    commitment_key = serializers.ChoiceField(
        choices=["", *CommitmentKey.values], required=False, allow_blank=True, default=""
    )
    sla = serializers.PrimaryKeyRelatedField(queryset=SLA.objects.all(), required=False, allow_null=True, default=None)
    decision = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(), required=False, allow_null=True, default=None
    )
