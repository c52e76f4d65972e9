from __future__ import annotations

from django.urls import path

from . import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/rotate/", views.calendar_rotate, name="calendar_rotate"),
]
