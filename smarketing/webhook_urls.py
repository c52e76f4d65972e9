from __future__ import annotations

from django.urls import path

from . import webhook_views

app_name = "webhooks"
urlpatterns = [
    path("", webhook_views.webhook_list, name="list"),
    path("new/", webhook_views.webhook_edit, name="create"),
    path("<int:pk>/", webhook_views.webhook_detail, name="detail"),
    path("<int:pk>/edit/", webhook_views.webhook_edit, name="edit"),
    path("<int:pk>/test/", webhook_views.webhook_test, name="test"),
    path("<int:pk>/rotate-secret/", webhook_views.webhook_rotate, name="rotate"),
    path("<int:pk>/delete/", webhook_views.webhook_delete, name="delete"),
]
