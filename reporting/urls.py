from __future__ import annotations

from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/report.csv", views.report_export, {"fmt": "csv"}, name="report_csv"),
    path("<int:pk>/report.xlsx", views.report_export, {"fmt": "xlsx"}, name="report_xlsx"),
    path("<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("<int:pk>/recompute/", views.report_recompute_view, name="report_recompute"),
    path("planner-rates/", views.planner_prefill, name="planner_prefill"),
]
