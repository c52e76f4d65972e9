"""The unread count beside "Notifications" in the navigation of every page."""

from __future__ import annotations

from .models import Notification

UNREAD_SHOWN = 99  # the badge says "99+" beyond: counting stops there


def unread_notifications(request) -> dict:
    """The signed-in person's unread notifications (``Notification.objects.unread_for``), counted on
    the partial index ``notification_unread`` and capped: one small query per page at most."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": Notification.objects.unread_for(user).values("pk")[: UNREAD_SHOWN + 1].count()}
