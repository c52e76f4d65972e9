from __future__ import annotations

app_name = "slas"

urlpatterns: list = []
