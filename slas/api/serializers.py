"""Input and output shapes of the SLA, team, user and goal-plan endpoints (SPEC §6)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from slas.goal_planner import STEP_RATE_KEYS
from slas.models import (
    SLA,
    ClosedDate,
    Commitment,
    MaturityRule,
    Membership,
    Milestone,
    SharedGoal,
    Signature,
    Team,
    WorkingCalendar,
    WorkingHours,
)


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "function", "description"]
        # Uniqueness is checked by the service's full_clean (one rule, one place).
        extra_kwargs = {"name": {"validators": []}}


class MembershipSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    team_name = serializers.CharField(source="team.name", read_only=True)

    class Meta:
        model = Membership
        fields = ["team", "team_name", "role"]


class UserSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(many=True, required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    is_viewer = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "is_active", "is_viewer", "password"]
        fields += ["memberships"]
        read_only_fields = ["is_active"]
        extra_kwargs = {"username": {"validators": []}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        profile = getattr(instance, "profile", None)
        data["is_viewer"] = bool(profile and profile.is_viewer)
        return data


class GoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = SharedGoal
        fields = ["specific", "metric", "target", "achievable", "deadline"]


@extend_schema_field(
    {
        "type": "object",
        "description": _(
            "First-contact delay per maturity category, in business hours: keys `1`, `2`, `3`, values "
            'numbers, e.g. `{"1": 2, "3": 24}`. A category not listed uses `hours`.'
        ),
        "propertyNames": {"enum": ["1", "2", "3"]},
        "additionalProperties": {"type": "number", "minimum": 0},
        "example": {"1": 2, "3": 24},
    }
)
class CategoryHoursField(serializers.JSONField):
    """Validated by the model (``Commitment.clean``): one rule, one place."""


class CommitmentSerializer(serializers.ModelSerializer):
    side = serializers.CharField(read_only=True, help_text=_("Who owes it: marketing, sales or shared."))
    unit = serializers.CharField(read_only=True, help_text=_("percent (0–100), count or amount (SLA currency)."))
    category_hours = CategoryHoursField(required=False)

    class Meta:
        model = Commitment
        fields = ["key", "side", "unit", "target", "hours", "attempts", "days", "category_hours"]
        extra_kwargs = {
            "target": {"help_text": _("In the commitment's unit: a percentage 0–100, a count, or an amount.")},
            "hours": {"help_text": _("Delay in business hours (handoff response, first contact).")},
            "attempts": {"help_text": _("Contact attempts required (contact_attempts).")},
            "days": {"help_text": _("Within how many business days (contact_attempts).")},
        }


class MaturityRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaturityRule
        fields = ["category", "owner_function", "response_hours", "sales_may_take", "take_max_days"]


class MilestoneSerializer(serializers.ModelSerializer):
    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())

    class Meta:
        model = Milestone
        fields = ["title", "owner_team", "due_date", "repeats_monthly"]


@extend_schema_field(
    {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?$", "example": "09:00:00"}
)
class TimeOfDayField(serializers.TimeField):
    """A wall-clock time in the SLA's time zone (HH:MM or HH:MM:SS): no offset, unlike an instant."""


class WorkingHoursSerializer(serializers.ModelSerializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text=_("0 = Monday … 6 = Sunday."))
    start = TimeOfDayField(help_text=_("Local start, in the calendar's time zone."))
    end = TimeOfDayField(help_text=_("Local end (after start)."))

    class Meta:
        model = WorkingHours
        fields = ["weekday", "start", "end"]


class ClosedDateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClosedDate
        fields = ["date", "label"]


class CalendarSerializer(serializers.ModelSerializer):
    hours = WorkingHoursSerializer(many=True)
    closed_dates = ClosedDateSerializer(many=True, required=False)

    class Meta:
        model = WorkingCalendar
        fields = ["time_zone", "country", "subdivision", "hours", "closed_dates"]
        extra_kwargs = {
            "time_zone": {
                "help_text": _(
                    "IANA zone of the SLA's clock (months, business hours, dates): e.g. Europe/Paris. "
                    "Default: the server's zone."
                )
            },
            "country": {
                "help_text": _('ISO 3166 country whose public holidays are closed days. Default "FR"; "" for none.')
            },
            "subdivision": {"help_text": _("Region of the country, for regional holidays (e.g. 57 for Moselle).")},
        }


class SignatureSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    signed_by = serializers.CharField(source="signed_by.username", read_only=True)

    class Meta:
        model = Signature
        fields = ["team", "team_name", "signed_by", "signed_at", "fingerprint"]


class SLASerializer(serializers.ModelSerializer):
    """The SLA document with its nested sections; writable (create, patch) while a draft."""

    marketing_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    sales_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    goals = GoalSerializer(many=True, required=False)
    commitments = CommitmentSerializer(many=True, required=False)
    maturity_rules = MaturityRuleSerializer(many=True, required=False)
    milestones = MilestoneSerializer(many=True, required=False)
    calendar = CalendarSerializer(required=False)
    signatures = SignatureSerializer(many=True, read_only=True)
    revision = serializers.IntegerField(
        required=False, help_text=_("The revision the edit is based on; a stale one gives 409.")
    )

    class Meta:
        model = SLA
        fields = [
            "id",
            "title",
            "marketing_team",
            "sales_team",
            "start_date",
            "end_date",
            "status",
            "currency",
            "company_objectives",
            "marketing_role",
            "sales_role",
            "escalation_delay_hours",
            "series",
            "version",
            "amends",
            "in_force_from",
            "superseded_on",
            "revision",
            "fingerprint",
            "submitted_at",
            "activated_at",
            "goals",
            "commitments",
            "maturity_rules",
            "milestones",
            "calendar",
            "signatures",
        ]
        read_only_fields = [
            "status",
            "series",
            "version",
            "amends",
            "in_force_from",
            "superseded_on",
            "fingerprint",
            "submitted_at",
            "activated_at",
        ]


class SignInputSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    fingerprint = serializers.CharField(
        required=False,
        max_length=64,
        help_text=(
            _(
                "The `fingerprint` of the version as you read it: if its content changed since, the signature "
                "is refused with 409. Recommended."
            )
        ),
    )


class WithdrawInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


RATE_HELP = _("A percentage above 0 and at most 100: 2 means 2 %, 0.02 means 0.02 % (not 2 %).")


def _rate_field(label: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=6,
        decimal_places=3,
        required=False,
        allow_null=True,
        min_value=Decimal("0.001"),
        max_value=Decimal(100),
        help_text=format_lazy(_("{label}, in %. {rate_help}"), label=label, rate_help=RATE_HELP),
    )


class GoalPlanInputSerializer(serializers.Serializer):
    revenue_target = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), help_text=_("Revenue to reach, in your currency.")
    )
    average_deal_size = serializers.DecimalField(
        max_digits=16, decimal_places=2, min_value=Decimal("0.01"), help_text=_("Revenue of one client, same currency.")
    )
    months = serializers.IntegerField(min_value=1, max_value=120, default=12, help_text=_("Period of the target."))
    overall_rate = _rate_field(_("Overall prospect → client rate (instead of the step rates)"))
    save = serializers.BooleanField(default=False, help_text=_("true: also save the plan (201; writers only)."))
    name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("The saved plan's name.")
    )

    def get_fields(self):
        fields = super().get_fields()
        for key in STEP_RATE_KEYS:
            fields[key] = _rate_field(
                format_lazy(_("{step} rate"), step=key.replace("_to_", " → ").replace("_", " ").capitalize())
            )
        return fields


class GoalPlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    months = serializers.IntegerField()
    revenue_target = serializers.CharField()
    average_deal_size = serializers.CharField()
    totals = serializers.DictField(child=serializers.IntegerField())
    per_month = serializers.DictField(child=serializers.IntegerField())
    formulas = serializers.ListField(child=serializers.CharField())
