"""Who may do what: roles and the SLA rows of the matrix in SPEC §7.

Every view, API permission class, admin and task asks these functions; no other module
re-derives a rule. Lead rules live in ``leads.permissions`` and build on the role helpers
here. Membership lookups are cached on the user object for the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# The two domain-free rules come from the platform; asked here like every other rule.
from smarketing.permissions import is_active_user, is_admin

from .models import Function, Membership, Profile

if TYPE_CHECKING:
    from .models import SLA, Team


def _memberships(user) -> list[Membership]:
    cached = getattr(user, "_smk_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("team")) if user.pk else []
        user._smk_memberships = cached
    return cached


def is_viewer(user) -> bool:
    if not is_active_user(user) or user.is_superuser:
        return False
    cached = getattr(user, "_smk_is_viewer", None)
    if cached is None:
        cached = Profile.objects.filter(user=user, is_viewer=True).exists()
        user._smk_is_viewer = cached
    return cached


def can_write(user) -> bool:
    """Signed in, active and not a read-only viewer."""
    return is_active_user(user) and not is_viewer(user)


def can_read(user) -> bool:
    """Everyone signed in reads every lead, SLA and report (one shared source of truth)."""
    return is_active_user(user)


def role_in(user, team: Team) -> str | None:
    for membership in _memberships(user):
        if membership.team_id == team.pk:
            return membership.role
    return None


def is_manager_of(user, team: Team | None) -> bool:
    return team is not None and can_write(user) and role_in(user, team) == Membership.Role.MANAGER


def is_member_of(user, team: Team | None) -> bool:
    """Any role in the team (a manager is a member too)."""
    return team is not None and can_write(user) and role_in(user, team) is not None


def manages_function(user, function: str) -> bool:
    return can_write(user) and any(
        m.role == Membership.Role.MANAGER and m.team.function == function for m in _memberships(user)
    )


def belongs_to_function(user, function: str) -> bool:
    return can_write(user) and any(m.team.function == function for m in _memberships(user))


def teams_of(user, function: str | None = None) -> list[Team]:
    return [m.team for m in _memberships(user) if function is None or m.team.function == function]


def managed_teams(user) -> list[Team]:
    return [m.team for m in _memberships(user) if m.role == Membership.Role.MANAGER]


def is_any_manager(user) -> bool:
    return can_write(user) and bool(managed_teams(user))


def side_of(user) -> str | None:
    """'marketing' or 'sales' when the user belongs to teams of one function only."""
    functions = {m.team.function for m in _memberships(user)}
    return functions.pop() if len(functions) == 1 else None


# --- SLA rows of the matrix -------------------------------------------------------------


def can_draft_sla(user, sla: SLA | None = None) -> bool:
    """Draft, edit or amend: admin, or a manager of either party (of any team for a new one)."""
    if is_admin(user):
        return True
    if sla is None:
        return manages_function(user, Function.MARKETING) or manages_function(user, Function.SALES)
    return is_manager_of(user, sla.marketing_team) or is_manager_of(user, sla.sales_team)


def can_withdraw_sla(user, sla: SLA) -> bool:
    """Withdraw a document from signature back to draft: a manager of either party (or admin)."""
    return can_draft_sla(user, sla)


def can_delete_sla(user, sla: SLA) -> bool:
    """Delete a draft: its author or an admin (signed versions are history: never deleted)."""
    if is_admin(user):
        return True
    return can_write(user) and sla.created_by_id is not None and sla.created_by_id == user.pk


def can_sign_sla(user, sla: SLA, team: Team) -> bool:
    """Only a manager of the party being signed for; the admin signs for nobody."""
    if team.pk not in (sla.marketing_team_id, sla.sales_team_id):
        return False
    return is_manager_of(user, team)


def signable_teams(user, sla: SLA) -> list[Team]:
    return [team for team in (sla.marketing_team, sla.sales_team) if can_sign_sla(user, sla, team)]


def can_recompute_report(user, sla: SLA | None = None) -> bool:
    if is_admin(user):
        return True
    if sla is None:
        return is_any_manager(user)
    return is_manager_of(user, sla.marketing_team) or is_manager_of(user, sla.sales_team)


def can_manage_users(user) -> bool:
    return is_admin(user)


def role_summary(user) -> str:
    """A short label for the navigation bar ('Admin', 'Viewer', 'Sales manager', …)."""
    from django.utils.translation import gettext as _

    if is_admin(user):
        return _("Admin")
    if is_viewer(user):
        return _("Viewer")
    labels = []
    for membership in _memberships(user):
        labels.append(f"{membership.team.name} · {membership.get_role_display()}")
    return ", ".join(labels) or _("No team")
