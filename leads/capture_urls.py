from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("<slug:slug>/", views.capture, name="capture"),
]
