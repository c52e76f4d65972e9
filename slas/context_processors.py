"""The signed-in user's role label beside the navigation bar ('Admin', 'Sales · Manager', …)."""

from __future__ import annotations

from .permissions import role_summary


def role(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_role": ""}
    return {"nav_role": role_summary(user)}
