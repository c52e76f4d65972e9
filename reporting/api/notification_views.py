"""GET /api/v1/notifications/: the notification log (own rows; admin, managers and viewers see all)."""

from __future__ import annotations

from rest_framework import generics, serializers

from reporting.models import Notification
from reporting.notification_views import NotificationFilter, visible_notifications


class NotificationSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.get_username", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "recipient",
            "dedupe_key",
            "subject",
            "payload",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "sent_at",
        ]
        read_only_fields = fields


class NotificationListView(generics.ListAPIView):
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return Notification.objects.none()
        return visible_notifications(self.request.user)
