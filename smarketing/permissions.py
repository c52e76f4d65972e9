"""Who may use the platform features (SPEC §7, row "manage webhooks")."""

from __future__ import annotations

from slas.permissions import is_admin, is_any_manager

__all__ = ["can_manage_webhook", "can_manage_webhooks", "is_admin"]


def can_manage_webhooks(user) -> bool:
    """Admins and team managers may create webhook subscriptions and list theirs."""
    return is_admin(user) or is_any_manager(user)


def can_manage_webhook(user, subscription) -> bool:
    """One subscription: an admin manages all; a manager only the subscriptions they own."""
    if is_admin(user):
        return True
    return is_any_manager(user) and subscription.owner_id == user.pk
