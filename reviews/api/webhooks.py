"""The review event's payload, for the OpenAPI ``webhooks`` section (``SPECTACULAR_SETTINGS``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from smarketing.api import webhook_doc


class ReviewClosedEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=_("The review's id."))
    sla = serializers.IntegerField()
    series = serializers.UUIDField()
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("The month reviewed, YYYY-MM."))
    kind = serializers.CharField()
    title = serializers.CharField()
    scheduled_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    closed_by = serializers.IntegerField(allow_null=True)
    participants = serializers.ListField(child=serializers.IntegerField(), help_text=_("User ids."))
    decisions = serializers.ListField(child=serializers.DictField(), help_text=_("The minutes' decisions."))
    action_items = serializers.ListField(child=serializers.DictField(), help_text=_("The minutes' action items."))
    url = serializers.URLField(help_text=_("The review's page (same as `web_url`)."))
    web_url = serializers.URLField()
    api_url = serializers.URLField(help_text=_("`GET` the review."))


review_closed = webhook_doc(
    "review.closed",
    ReviewClosedEventSerializer(),
    summary=_("A review meeting was closed"),
    description=_("The minutes are final (docs/reviews.md)."),
)
