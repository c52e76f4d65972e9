from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("leads/", views.LeadListCreate.as_view(), name="api-lead-list"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="api-lead-detail"),
    path("leads/<int:pk>/transition/", views.LeadTransition.as_view(), name="api-lead-transition"),
    path("leads/<int:pk>/handoff/", views.LeadHandoffView.as_view(), name="api-lead-handoff"),
    path("leads/<int:pk>/accept/", views.LeadAccept.as_view(), name="api-lead-accept"),
    path("leads/<int:pk>/reject/", views.LeadReject.as_view(), name="api-lead-reject"),
    path("leads/<int:pk>/take/", views.LeadTake.as_view(), name="api-lead-take"),
    path("leads/<int:pk>/return/", views.LeadReturn.as_view(), name="api-lead-return"),
    path("leads/<int:pk>/category/", views.LeadCategory.as_view(), name="api-lead-category"),
    path("leads/<int:pk>/activities/", views.LeadActivities.as_view(), name="api-lead-activities"),
    path("leads/<int:pk>/history/", views.LeadHistory.as_view(), name="api-lead-history"),
    path("followups/", views.FollowUpList.as_view(), name="api-followup-list"),
    path("visits/", views.VisitCreate.as_view(), name="api-visits"),
    path("imports/", views.ImportCreate.as_view(), name="api-imports"),
    path("jobs/<int:pk>/", views.JobDetail.as_view(), name="api-job-detail"),
]
