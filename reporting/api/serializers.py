from __future__ import annotations

import itertools

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reporting.compliance import FUNNEL_STAGES
from reporting.models import MonthlyReport
from slas.models import Unit


def _counts(stages: list[str], help_text: str) -> serializers.Serializer:
    """An object with one integer per funnel stage."""
    fields = {stage: serializers.IntegerField(help_text=stage) for stage in stages}
    return type("FunnelEntriesSerializer", (serializers.Serializer,), fields)(help_text=help_text)


_STAGES = [stage.value for stage in FUNNEL_STAGES]
_STEPS = [f"{a}_to_{b}" for a, b in itertools.pairwise(_STAGES)]


class CommitmentStatusSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The commitment (see the SLA's `commitments`)."))
    side = serializers.ChoiceField(choices=["marketing", "sales", "shared"], help_text=_("Who owes it."))
    unit = serializers.ChoiceField(
        choices=Unit.choices,
        help_text=_("`percent`: 0–100; `count`: leads; `amount`: in the SLA's `currency`."),
    )
    target = serializers.FloatField(allow_null=True, help_text=_("The SLA's target, in `unit`."))
    actual = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "The month's figure so far, two decimals (the status is decided on the exact value); "
            "null when nothing could be measured."
        ),
    )
    projected = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Where the month is heading, two decimals: a count or amount scaled to the whole month by the "
            "business days elapsed; a rate stays the rate. For a closed month it equals `actual`."
        ),
    )
    status = serializers.ChoiceField(
        choices=["met", "missed", "on_track", "at_risk", "no_data"],
        help_text=_(
            "Closed month: met or missed; current month: on_track or at_risk (on the projection); "
            "no_data when nothing it rests on happened (`basis` 0)."
        ),
    )
    basis = serializers.IntegerField(
        help_text=_("How many obligations the figure rests on (handoffs due, follow-ups due …); 1 for volumes.")
    )
    hours = serializers.FloatField(allow_null=True, help_text=_("The commitment's delay in business hours, if any."))
    attempts = serializers.IntegerField(allow_null=True, help_text=_("Contact attempts required (contact_attempts)."))
    days = serializers.IntegerField(allow_null=True, help_text=_("Within how many business days (contact_attempts)."))


class OverallSerializer(serializers.Serializer):
    met = serializers.IntegerField(help_text=_("Commitments met (closed month) or on track (current month)."))
    evaluable = serializers.IntegerField(help_text=_("Commitments with data."))
    score = serializers.FloatField(allow_null=True, help_text=_("met ÷ evaluable, in %, two decimals."))


class HandoffCountsSerializer(serializers.Serializer):
    handed_off = serializers.IntegerField(help_text=_("Handoffs made in the month."))
    accepted = serializers.IntegerField(help_text=_("Handoffs accepted in the month."))
    rejected = serializers.IntegerField(help_text=_("Handoffs rejected in the month."))
    due = serializers.IntegerField(help_text=_("Handoffs whose decision was due in the month."))
    due_decided_in_time = serializers.IntegerField(help_text=_("Of those, decided before the deadline."))


class PercentilesSerializer(serializers.Serializer):
    median = serializers.FloatField(allow_null=True, help_text=_("Median business hours to first contact."))
    p90 = serializers.FloatField(allow_null=True, help_text=_("90th percentile, business hours."))


class DistributionSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField(), help_text=_("Buckets: ≤ 1 h, ≤ 4 h … > 72 h."))
    counts = serializers.ListField(child=serializers.IntegerField(), help_text=_("First contacts in each bucket."))


class FunnelSerializer(serializers.Serializer):
    entries = _counts(_STAGES, _("Leads that entered each stage in the month (a lead counts once per stage)."))
    conversion_rates = type(
        "ConversionRatesSerializer",
        (serializers.Serializer,),
        {step: serializers.FloatField(allow_null=True) for step in _STEPS},
    )(
        help_text=_(
            "Entries of the later stage ÷ entries of the earlier one in the same month, in %, two decimals; "
            "null when the earlier stage had none. Not a cohort: above 100 when more leads entered the later stage "
            "(e.g. 1100.0 = 11 prospects for 1 visitor, because imported prospects have no visit)."
        )
    )
    handoffs = HandoffCountsSerializer()
    first_contact_hours = PercentilesSerializer()
    first_contact_distribution = DistributionSerializer()
    overdue_followups_open = serializers.IntegerField(help_text=_("Follow-ups overdue and still open at `as_of`."))
    returned = serializers.IntegerField(help_text=_("Leads sales returned to marketing."))
    returned_with_feedback = serializers.IntegerField(help_text=_("Of those, returned with feedback."))
    late_entries = serializers.IntegerField(help_text=_("Events recorded more than 24 h after they happened."))
    lost = serializers.IntegerField(help_text=_("Leads marked lost."))


class BusinessDaysSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text=_("Working days of the month (the SLA's calendar)."))
    elapsed = serializers.IntegerField(help_text=_("Of those, elapsed at `as_of` (today counts)."))


class SLAStatusSerializer(serializers.Serializer):
    """SPEC §6's status shape, every member typed (the engine's dict is returned as is)."""

    sla = serializers.IntegerField(
        help_text=_("The version whose targets apply (any version's id gives the same answer).")
    )
    series = serializers.UUIDField(help_text=_("The agreement: every version of the SLA."))
    version = serializers.IntegerField(help_text=_("The version number of `sla`."))
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("YYYY-MM, in the SLA's time zone."))
    state = serializers.ChoiceField(
        choices=["in_progress", "closed"], help_text=_("closed once the month is over (figures final).")
    )
    overall = OverallSerializer()
    commitments = CommitmentStatusSerializer(many=True)
    funnel = FunnelSerializer()
    currency = serializers.CharField(help_text=_("ISO 4217 code of every amount."))
    as_of = serializers.DateTimeField(help_text=_("The instant the figures stop at: now, or the month's end."))
    business_days = BusinessDaysSerializer()
    engine_version = serializers.CharField(help_text=_("The compliance engine's version (docs/compliance.md)."))


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-03"})
class MonthField(serializers.DateField):
    """A month, written ``YYYY-MM``."""

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m", **kwargs)


class MonthlyReportSerializer(serializers.ModelSerializer):
    month = MonthField(help_text=_("YYYY-MM"))
    data = serializers.DictField(
        help_text=_(
            "The month's status as computed then: the shape of `GET /api/v1/slas/{id}/status/` "
            "(SLAStatus) of engine `engine_version`."
        )
    )
    computed_by = serializers.StringRelatedField()

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "sla",
            "series",
            "month",
            "data",
            "engine_version",
            "computed_at",
            "computed_by",
            "computed_by_task",
            "sent_at",
        ]
        read_only_fields = fields
