from __future__ import annotations

from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("board/", views.board, name="board"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/do/<slug:name>/", views.action, name="action"),
    path("<int:pk>/apply/<int:event_id>/", views.apply_proposal, name="apply_proposal"),
    path("followups/", views.followups, name="followups"),
    path("visits/", views.visits, name="visits"),
    path("capture-forms/", views.capture_forms, name="capture_forms"),
    path("import/", views.import_upload, name="import"),
    path("import/jobs/<int:pk>/", views.import_job, name="import_job"),
]
