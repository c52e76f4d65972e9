"""The REST API under /api/v1/: each app contributes its routes (SPEC §6)."""

from __future__ import annotations

from django.urls import include, path

from . import api_views

urlpatterns = [
    path("auth/token/", api_views.ObtainTokenView.as_view(), name="api-token"),
    path("auth/tokens/", api_views.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:pk>/revoke/", api_views.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("webhooks/", api_views.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", api_views.WebhookDetailView.as_view(), name="api-webhook"),
    path("webhooks/<int:pk>/test/", api_views.WebhookTestView.as_view(), name="api-webhook-test"),
    path(
        "webhooks/<int:pk>/rotate-secret/",
        api_views.WebhookRotateSecretView.as_view(),
        name="api-webhook-rotate-secret",
    ),
    path("webhooks/<int:pk>/deliveries/", api_views.WebhookDeliveriesView.as_view(), name="api-webhook-deliveries"),
    path("", include("slas.api.urls")),
    path("", include("leads.api.urls")),
    path("", include("reporting.api.urls")),
    path("", include("reviews.api.urls")),
]
