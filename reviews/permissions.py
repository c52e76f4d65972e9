"""Who may do what in a review (SPEC §7 extended by issue 18), used by the pages, the API and the admin.

| action | admin | manager of either team | participant | other member | viewer |
|---|---|---|---|---|---|
| read reviews, agendas, minutes | ✔ | ✔ | ✔ | ✔ | ✔ |
| add points, notes, decisions, action items; add participants | ✔ | ✔ | ✔ | – | – |
| prepare an extra meeting, reschedule, close | ✔ | ✔ | – | – | – |
| open the amendment a decision proposes | ✔ | ✔ (``can_draft_sla``) | – | – | – |
| mark an action item done | ✔ | ✔ | ✔ | its owner | – |

"Manager of either team": a manager of the SLA's marketing or sales team. A participant is
whoever was invited (managers by default, anyone added); a viewer never writes, even invited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slas.permissions import can_draft_sla, can_read, can_write, is_admin, is_manager_of

if TYPE_CHECKING:
    from slas.models import SLA

    from .models import ActionItem, Review


def can_read_review(user, review: Review | None = None) -> bool:
    """Everyone signed in reads every review (one shared source of truth)."""
    return can_read(user)


def manages_party(user, sla: SLA) -> bool:
    """A manager of the SLA's marketing or sales team (or an admin)."""
    return is_admin(user) or is_manager_of(user, sla.marketing_team) or is_manager_of(user, sla.sales_team)


def is_participant(user, review: Review) -> bool:
    if not (user and user.is_authenticated):
        return False
    return review.participants.filter(user=user).exists()


def can_write_review(user, review: Review) -> bool:
    """Add points, notes, decisions and action items, and invite people: participants and the
    managers of both teams (never a viewer)."""
    if not can_write(user):
        return False
    return manages_party(user, review.sla) or is_participant(user, review)


def can_prepare_review(user, sla: SLA) -> bool:
    """Prepare an extra meeting for an SLA series: the managers of both teams."""
    return can_write(user) and manages_party(user, sla)


def can_run_review(user, review: Review) -> bool:
    """Reschedule and close: the managers of both teams."""
    return can_prepare_review(user, review.sla)


def can_open_amendment(user, review: Review) -> bool:
    """Open the amendment a decision proposes: whoever may draft the SLA (its parties' managers)."""
    return can_write_review(user, review) and can_draft_sla(user, review.sla)


def can_complete_action_item(user, item: ActionItem) -> bool:
    """Mark an action item done: its owner, or whoever may write the review."""
    if not can_write(user):
        return False
    return item.owner_id == user.pk or can_write_review(user, item.review)
