from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import GoalPlanView, SLAViewSet, TeamViewSet, UserViewSet

router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("users", UserViewSet, basename="user")
router.register("slas", SLAViewSet, basename="sla")

urlpatterns = [
    path("goal-plans/", GoalPlanView.as_view(), name="goal-plans"),
    *router.urls,
]
