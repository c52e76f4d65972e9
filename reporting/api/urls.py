from __future__ import annotations

from django.urls import path

from .notification_views import NotificationListView

urlpatterns: list = [
    path("notifications/", NotificationListView.as_view(), name="api-notification-list"),
]
