from __future__ import annotations

from django.urls import path

from . import notification_views as views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("read/", views.notification_read_all, name="read_all"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/", views.preferences, name="preferences"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/rotate/", views.calendar_rotate, name="calendar_rotate"),
]
