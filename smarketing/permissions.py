"""Who may use the platform features (SPEC §7 extended): webhook management."""

from __future__ import annotations

from slas.permissions import is_admin, is_any_manager


def can_manage_webhooks(user) -> bool:
    """Admins and team managers manage the company's outbound webhook subscriptions."""
    return is_admin(user) or is_any_manager(user)
