"""Lead rows of the permission matrix (SPEC §7), built on the role helpers of ``slas``.

Used by the web views, the REST API permission checks, the admin and the services alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slas.models import Function
from slas.permissions import (
    can_write,
    is_admin,
    is_manager_of,
    is_member_of,
    manages_function,
    teams_of,
)

from .models import MARKETING_STAGES, SALES_STAGES, Stage

if TYPE_CHECKING:
    from slas.models import Team

    from .models import Lead


def _in_marketing_hands(lead: Lead) -> bool:
    if lead.stage in MARKETING_STAGES:
        return True
    return lead.stage == Stage.LOST and (lead.lost_from_stage or Stage.PROSPECT) in MARKETING_STAGES


def _in_sales_hands(lead: Lead) -> bool:
    if lead.stage in SALES_STAGES or lead.is_temporarily_with_sales:
        return True
    return lead.stage == Stage.LOST and lead.lost_from_stage in SALES_STAGES


def can_create_lead(user, team: Team | None = None) -> bool:
    """Admin, any marketing manager, or a marketing member for their own team."""
    if is_admin(user) or manages_function(user, Function.MARKETING):
        return True
    if team is None:
        return bool(teams_of(user, Function.MARKETING)) and can_write(user)
    return team.function == Function.MARKETING and is_member_of(user, team)


def can_edit_marketing_lead(user, lead: Lead) -> bool:
    """Create/edit a lead in a marketing stage: admin, marketing manager, or member of its team."""
    if not _in_marketing_hands(lead) or lead.is_temporarily_with_sales:
        return is_admin(user)
    if is_admin(user) or manages_function(user, Function.MARKETING):
        return True
    return is_member_of(user, lead.owner_team)


def can_handoff(user, lead: Lead) -> bool:
    return lead.stage == Stage.MQL and not lead.is_temporarily_with_sales and can_edit_marketing_lead(user, lead)


def can_decide_handoff(user, to_team: Team) -> bool:
    """Accept or reject a handoff addressed to ``to_team`` and assign a sales owner."""
    if is_admin(user) or manages_function(user, Function.SALES):
        return True
    return to_team.function == Function.SALES and is_member_of(user, to_team)


def can_work_sales_lead(user, lead: Lead) -> bool:
    """Activities and transitions on a sales-stage lead: admin, sales manager, its owner."""
    if not _in_sales_hands(lead):
        return is_admin(user)
    if is_admin(user) or manages_function(user, Function.SALES):
        return True
    return can_write(user) and lead.owner_user_id == user.pk and lead.owner_team.function == Function.SALES


def take_teams(user) -> list[Team]:
    """The sales teams a user may take a lead for: their own (an admin: every sales team)."""
    from slas.models import Team

    if is_admin(user):
        return list(Team.objects.filter(function=Function.SALES))
    return teams_of(user, Function.SALES) if can_write(user) else []


def can_take(user, lead: Lead, team: Team | None = None) -> bool:
    """Take a marketing lead temporarily (category 2–3) for a sales team one belongs to (admin: any).

    Without ``team``: whether the user may take it for at least one team.
    """
    if lead.stage not in MARKETING_STAGES or lead.is_temporarily_with_sales:
        return False
    if team is not None and team.function != Function.SALES:
        return False
    if is_admin(user):
        return True
    if team is None:
        return can_write(user) and bool(teams_of(user, Function.SALES))
    return is_member_of(user, team)


def can_return(user, lead: Lead) -> bool:
    return can_work_sales_lead(user, lead) and (lead.is_temporarily_with_sales or lead.stage in SALES_STAGES)


def can_work_lead(user, lead: Lead) -> bool:
    """Whoever holds the lead now may log activities on it."""
    return can_edit_marketing_lead(user, lead) or can_work_sales_lead(user, lead)


def can_manage_team_leads(user, team: Team) -> bool:
    return is_admin(user) or is_manager_of(user, team)
