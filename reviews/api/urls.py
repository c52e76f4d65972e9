from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("reviews/", views.ReviewListView.as_view(), name="api-review-list"),
    path("reviews/<int:pk>/", views.ReviewDetailView.as_view(), name="api-review-detail"),
    path("reviews/<int:pk>/decisions/", views.ReviewDecisionCreateView.as_view(), name="api-review-decisions"),
    path("reviews/<int:pk>/action-items/", views.ReviewActionItemCreateView.as_view(), name="api-review-action-items"),
]
