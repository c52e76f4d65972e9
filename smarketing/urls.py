from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from reporting import views as reporting_views
from reporting.notification_views import calendar_feed
from slas import profile_views

from . import api_views, views
from .throttling import PasswordResetEmailThrottle, PasswordResetThrottle, throttle_page

urlpatterns = [
    path("", reporting_views.dashboard, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/profile/", profile_views.profile, name="profile"),
    path("accounts/profile/tokens/<int:pk>/revoke/", profile_views.revoke_token, name="profile_token_revoke"),
    # Password-reset requests are limited per client IP and per e-mail address.
    path(
        "accounts/password_reset/",
        throttle_page(PasswordResetThrottle, PasswordResetEmailThrottle)(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switch also saves the choice to the signed-in user's profile.
    path("i18n/setlang/", profile_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path("api/v1/", include("smarketing.api_urls")),
    # Any other path under /api/, with or without a trailing slash: a JSON 404 (and no
    # APPEND_SLASH redirect, since the path resolves here).
    re_path(r"^api/.*$", api_views.api_not_found, name="api-not-found"),
    path("slas/", include("slas.urls")),
    path("leads/", include("leads.urls")),
    path("capture/", include("leads.capture_urls")),
    path("reports/", include("reporting.urls")),
    path("reviews/", include("reviews.urls")),
    path("notifications/", include("reporting.notification_urls")),
    path("calendar/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("webhooks/", include("smarketing.webhook_urls")),
]

# JSON bodies for /api/ paths, styled pages with navigation elsewhere (smarketing.errors).
handler400 = "smarketing.errors.handler400"
handler403 = "smarketing.errors.handler403"
handler404 = "smarketing.errors.handler404"
handler500 = "smarketing.errors.handler500"
