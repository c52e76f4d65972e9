from __future__ import annotations

from django.urls import path

from . import editor, views

app_name = "slas"

urlpatterns = [
    path("", views.sla_list, name="list"),
    path("new/", editor.sla_create, name="create"),
    path("planner/", views.goal_planner, name="goal_planner"),
    path("<int:pk>/", views.sla_detail, name="detail"),
    path("<int:pk>/edit/", editor.sla_edit, name="edit"),
    path("<int:pk>/edit/<slug:step>/", editor.sla_edit, name="edit_step"),
    path("<int:pk>/submit/", views.sla_submit, name="submit"),
    path("<int:pk>/sign/", views.sla_sign, name="sign"),
    path("<int:pk>/amend/", views.sla_amend, name="amend"),
    path("<int:pk>/withdraw/", views.sla_withdraw, name="withdraw"),
    path("<int:pk>/delete/", views.sla_delete, name="delete"),
    path("<int:pk>/compare/", views.sla_compare, name="compare"),
]
