"""Input and output serializers of the lead API (SPEC §6)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from slas.models import Function, MaturityCategory, Team
from smarketing import input_guard
from smarketing.api import AwareDateTimeField, DayOrAwareDateTimeField
from smarketing.models import Job

from ..imports import IMPORT_FIELDS, read_upload, validate_mapping
from ..models import Activity, FollowUp, Lead, LeadEvent, Stage, VisitCount
from ..queries import mark_overdue
from ..services import LEAD_DATA_FIELDS


class LeadListSerializer(serializers.ListSerializer):
    """A page of leads flags its overdue leads with one query (``leads.queries.mark_overdue``)."""

    def to_representation(self, data):
        leads = data.all() if hasattr(data, "all") else data
        return super().to_representation(mark_overdue(leads))


class LeadSerializer(serializers.ModelSerializer):
    lost_from_stage = serializers.ChoiceField(
        choices=Stage.choices,
        allow_blank=True,
        read_only=True,
        help_text=_('The stage it was lost from; "" unless lost.'),
    )
    owner_team_name = serializers.CharField(source="owner_team.name", read_only=True)
    owner_username = serializers.CharField(source="owner_user.username", read_only=True, default=None)
    is_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "job_title",
            "source",
            "channel",
            "stage",
            "stage_entered_at",
            "lost_reason",
            "lost_from_stage",
            "owner_team",
            "owner_team_name",
            "owner_user",
            "owner_username",
            "sla",
            "temporary_until",
            "budget_voted",
            "team_formed",
            "timing_defined",
            "scope_defined",
            "pain_identified",
            "maturity_category",
            "category_overridden",
            "category_override_reason",
            "deal_value",
            "consent_to_contact",
            "consent_at",
            "created_at",
            "last_event_at",
            "version",
            "is_overdue",
        ]
        read_only_fields = fields
        list_serializer_class = LeadListSerializer

    def get_is_overdue(self, lead: Lead) -> bool:
        annotated = getattr(lead, "has_overdue", None)
        return annotated if annotated is not None else lead.is_overdue()


class LeadCreateResultSerializer(LeadSerializer):
    """The lead a create answers with; ``merged``: an existing lead had this e-mail (200), whose
    filled fields were kept — the differing values are proposals on its "captured again" event."""

    merged = serializers.BooleanField(source="captured_again", read_only=True)

    class Meta(LeadSerializer.Meta):
        fields = [*LeadSerializer.Meta.fields, "merged"]
        read_only_fields = fields


OCCURRED_AT_HELP = _(
    "When it happened, if earlier than now: an ISO 8601 time with its offset (a time without one is refused); "
    "never in the future, never before the lead's latest event. Default: now."
)


def _team_field(function: str, help_text: str, **kwargs) -> serializers.PrimaryKeyRelatedField:
    """A team id restricted to one function, with a message that says which kind of team is expected."""
    message = {
        Function.MARKETING: _("No marketing team has the id {pk_value}."),
        Function.SALES: _("No sales team has the id {pk_value}."),
    }[function]
    return serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.filter(function=function),
        help_text=help_text,
        error_messages={"does_not_exist": message},
        **kwargs,
    )


class LeadDataSerializer(serializers.ModelSerializer):
    """The editable fields; validation of values comes from the model."""

    occurred_at = AwareDateTimeField(required=False, write_only=True, help_text=OCCURRED_AT_HELP)

    class Meta:
        model = Lead
        fields = [*LEAD_DATA_FIELDS, "occurred_at"]
        extra_kwargs = {"email": {"validators": []}}


class LeadCreateSerializer(LeadDataSerializer):
    stage = serializers.ChoiceField(
        choices=Stage.choices, default=Stage.PROSPECT, help_text=_("visitor, prospect or mql for a new lead.")
    )
    team = _team_field(
        Function.MARKETING,
        _(
            "The marketing team that owns the lead (a team id, see `GET /api/v1/teams/?function=marketing`). "
            "Default: the caller's marketing team; required when the caller belongs to none."
        ),
        required=False,
    )

    class Meta(LeadDataSerializer.Meta):
        fields = [*LeadDataSerializer.Meta.fields, "stage", "team"]


class LeadUpdateSerializer(LeadDataSerializer):
    version = serializers.IntegerField(required=False, help_text=_("The version you edited; 409 when stale."))

    class Meta(LeadDataSerializer.Meta):
        fields = [*LeadDataSerializer.Meta.fields, "version"]


class OccurredAtSerializer(serializers.Serializer):
    occurred_at = AwareDateTimeField(required=False, help_text=OCCURRED_AT_HELP)


class TransitionSerializer(OccurredAtSerializer):
    to = serializers.ChoiceField(choices=Stage.choices, help_text=_("The stage to move to."))
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why: required to mark a lead `lost`.")
    )
    expected_stage = serializers.ChoiceField(
        choices=Stage.choices, required=False, help_text=_("The stage you saw; 409 when the lead has moved since.")
    )
    deal_value = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        required=False,
        min_value=0,
        help_text=_("Won amount, in the SLA's currency (moving to `client`)."),
    )


class HandoffSerializer(OccurredAtSerializer):
    team = _team_field(Function.SALES, _("The sales team that must accept or reject the lead (a team id)."))


class AcceptSerializer(OccurredAtSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=Lead.owner_user.field.related_model.objects.all(),
        required=False,
        help_text=_("The seller who owns the lead (a user id). Default: the caller when a member of the team."),
    )


class RejectSerializer(OccurredAtSerializer):
    reason = serializers.CharField(help_text=_("Why sales refuses the lead (shown to marketing)."))


class TakeSerializer(OccurredAtSerializer):
    until = DayOrAwareDateTimeField(
        help_text=_(
            "When the lead returns to marketing: a date (the end of that day in the SLA's time zone) "
            "or a time with its offset; within the maturity rule's maximum days."
        )
    )
    team = _team_field(
        Function.SALES, _("The sales team that takes the lead. Default: the caller's only sales team."), required=False
    )


class ReturnSerializer(OccurredAtSerializer):
    feedback = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Why the lead goes back (a return without feedback counts against sales)."),
    )


class CategorySerializer(OccurredAtSerializer):
    category = serializers.ChoiceField(
        choices=MaturityCategory.choices, allow_null=True, help_text=_("1, 2 or 3; null clears the override.")
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Why the category differs (required to override).")
    )


class ActivitySerializer(serializers.ModelSerializer):
    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "outcome",
            "note",
            "side",
            "actor",
            "actor_username",
            "occurred_at",
            "recorded_at",
            "is_late_entry",
            "is_contact_attempt",
        ]
        read_only_fields = fields


class ActivityInputSerializer(OccurredAtSerializer):
    kind = serializers.ChoiceField(choices=Activity.Kind.choices, help_text=_("What was done."))
    outcome = serializers.ChoiceField(choices=Activity.Outcome.choices, default=Activity.Outcome.DONE)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class LeadEventSerializer(serializers.ModelSerializer):
    from_stage = serializers.ChoiceField(
        choices=Stage.choices, allow_blank=True, read_only=True, help_text=_('The stage before; "" when none.')
    )
    to_stage = serializers.ChoiceField(
        choices=Stage.choices, allow_blank=True, read_only=True, help_text=_('The stage after; "" when unchanged.')
    )
    actor_username = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = LeadEvent
        fields = [
            "id",
            "kind",
            "actor",
            "actor_username",
            "occurred_at",
            "recorded_at",
            "is_late_entry",
            "from_stage",
            "to_stage",
            "first_reach",
            "team",
            "owner_user",
            "sla",
            "reason",
            "deal_value",
            "payload",
        ]
        read_only_fields = fields


class FollowUpSerializer(serializers.ModelSerializer):
    is_overdue = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text=_("The page to open: the lead, or the review of an action item."))

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "lead",
            "kind",
            "title",
            "url",
            "sla",
            "handoff",
            "starts_at",
            "due_at",
            "status",
            "done_at",
            "done_on_time",
            "business_hours_taken",
            "required_attempts",
            "owner_team",
            "owner_user",
            "is_overdue",
        ]
        read_only_fields = fields

    def get_url(self, followup: FollowUp) -> str:
        return followup.get_absolute_url()

    def get_is_overdue(self, followup: FollowUp) -> bool:
        annotated = getattr(followup, "is_overdue", None)
        if annotated is None:
            return FollowUp.objects.overdue().filter(pk=followup.pk).exists()
        return annotated


class FollowUpQuerySerializer(serializers.Serializer):
    """The filters of ``GET /api/v1/followups/``; anything else is a 400 (no silent fallback)."""

    overdue = serializers.BooleanField(
        required=False, default=False, help_text=_("true: only open follow-ups past due.")
    )
    owner = serializers.ChoiceField(
        choices=["me"], required=False, help_text=_("`me`: mine, and my teams' unassigned ones.")
    )
    status = serializers.ChoiceField(
        choices=FollowUp.Status.choices, required=False, help_text=_("Only this status (ignored with `overdue`).")
    )


class VisitSerializer(serializers.ModelSerializer):
    month = serializers.DateField(
        help_text=_("Any day of the month (YYYY-MM-DD) or YYYY-MM."), input_formats=["%Y-%m", "%Y-%m-%d"]
    )

    class Meta:
        model = VisitCount
        fields = ["id", "month", "channel", "count", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators: list = []


class ImportMappingField(serializers.DictField):
    """``{csv column: lead field}``, as a JSON object or (in a multipart form) its JSON text."""

    child = serializers.ChoiceField(choices=IMPORT_FIELDS)

    def get_value(self, dictionary):
        # Not DRF's "mapping.<key>" form fields: one field holding the JSON text.
        return dictionary.get(self.field_name, empty)

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = input_guard.loads(data)
            except ValueError as exc:
                raise serializers.ValidationError(
                    str(exc) if isinstance(exc, input_guard.UnsafeInput) else "The mapping is not valid JSON."
                ) from exc
        try:
            return validate_mapping(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("CSV, UTF-8 or Latin-1; at most IMPORT_MAX_BYTES (10 MB), IMPORT_MAX_ROWS rows.")
    )
    team = _team_field(Function.MARKETING, _("The marketing team that owns the imported leads."), required=False)
    mapping = ImportMappingField(required=False, help_text=_("{csv column: lead field}; default: same names."))

    def validate(self, attrs):
        try:
            attrs["text"], headers = read_upload(attrs["file"])
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from exc
        try:
            validate_mapping(attrs.get("mapping"), headers)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"mapping": exc.messages}) from exc
        return attrs


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    errors = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "done",
            "total",
            "percent",
            "message",
            "result",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_errors(self, job: Job) -> list:
        return (job.result or {}).get("errors", [])
