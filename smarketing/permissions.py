"""Who may use the platform features (SPEC §7, rows "admin" and "manage webhooks").

The platform knows no team or role. "A manager" is what the apps answer to the hook
``"user.is_manager"`` (``user``) → ``True``/``False``: ``slas`` registers its rule (a manager of
any team) in ``SlasConfig.ready()``. The rules about teams, roles and profiles live in
``slas.permissions``, which builds on :func:`is_active_user` and :func:`is_admin` here.
"""

from __future__ import annotations

from .hooks import collect

__all__ = ["can_manage_webhook", "can_manage_webhooks", "is_active_user", "is_admin", "is_manager"]


def is_active_user(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_admin(user) -> bool:
    return is_active_user(user) and user.is_superuser


def is_manager(user) -> bool:
    """Whether an app counts ``user`` as a manager (hook ``"user.is_manager"``)."""
    return is_active_user(user) and bool(collect("user.is_manager", user=user))


def can_manage_webhooks(user) -> bool:
    """Admins and team managers may create webhook subscriptions and list theirs."""
    return is_admin(user) or is_manager(user)


def can_manage_webhook(user, subscription) -> bool:
    """One subscription: an admin manages all; a manager only the subscriptions they own."""
    if is_admin(user):
        return True
    return is_manager(user) and subscription.owner_id == user.pk
