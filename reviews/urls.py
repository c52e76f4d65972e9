from __future__ import annotations

from django.urls import path

from . import views

app_name = "reviews"

urlpatterns = [
    path("", views.review_list, name="list"),
    path("new/", views.review_new, name="new"),
    path("prepare/", views.review_prepare, name="prepare"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/meeting/", views.review_meeting, name="meeting"),
    path("<int:pk>/participants/", views.participant_add, name="participant_add"),
    path("<int:pk>/points/", views.point_add, name="point_add"),
    path("<int:pk>/notes/", views.note_add, name="note_add"),
    path("<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("<int:pk>/decisions/<int:decision_pk>/amend/", views.decision_amend, name="decision_amend"),
    path("<int:pk>/actions/", views.action_add, name="action_add"),
    path("actions/<int:pk>/done/", views.action_done, name="action_done"),
    path("<int:pk>/reschedule/", views.review_reschedule, name="reschedule"),
    path("<int:pk>/close/", views.review_close, name="close"),
    path("<int:pk>/minutes.pdf", views.minutes_pdf, name="minutes_pdf"),
    path("<int:pk>/invitation.ics", views.review_invitation, name="invitation"),
    path("<int:pk>/planner/", views.review_planner, name="planner"),
]
