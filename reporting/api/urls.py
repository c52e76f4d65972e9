from __future__ import annotations

from django.urls import path

from reporting.api import views

from .notification_views import NotificationListView

urlpatterns = [
    path("slas/<int:pk>/status/", views.SLAStatusView.as_view(), name="api-sla-status"),
    path("reports/", views.MonthlyReportListView.as_view(), name="api-report-list"),
    path("reports/<int:pk>/", views.MonthlyReportDetailView.as_view(), name="api-report-detail"),
    path("reports/<int:pk>/export.csv", views.MonthlyReportExportView.as_view(), {"fmt": "csv"}, name="api-report-csv"),
    path(
        "reports/<int:pk>/export.xlsx",
        views.MonthlyReportExportView.as_view(),
        {"fmt": "xlsx"},
        name="api-report-xlsx",
    ),
    path("notifications/", NotificationListView.as_view(), name="api-notification-list"),
]
