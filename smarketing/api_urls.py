"""The REST API under /api/v1/: each app contributes its routes (SPEC §6)."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("slas.api.urls")),
    path("", include("leads.api.urls")),
    path("", include("reporting.api.urls")),
]
