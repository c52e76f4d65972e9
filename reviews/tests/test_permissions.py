"""The review rows of the permission matrix (reviews.permissions), role by role."""

from __future__ import annotations

import pytest

from reviews import permissions as rp
from reviews import services

pytestmark = pytest.mark.django_db

ROLES = ["admin", "mkt_manager", "mkt_member", "sales_manager", "sales_member", "viewer"]


def _row(roles, check) -> dict[str, bool]:
    return {name: bool(check(user)) for name, user in roles.all().items()}


def test_everyone_reads(roles, review):
    assert _row(roles, lambda u: rp.can_read_review(u, review)) == dict.fromkeys(ROLES, True)


def test_participants_and_both_teams_managers_write(roles, review, now):
    expected = {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": False,
        "sales_manager": True,
        "sales_member": False,
        "viewer": False,
    }
    assert _row(roles, lambda u: rp.can_write_review(u, review)) == expected
    services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
    services.review_add_participant(review=review, user=roles.viewer, by=roles.sales_manager)
    # An invited member writes; an invited viewer still reads only.
    assert _row(roles, lambda u: rp.can_write_review(u, review)) == {**expected, "sales_member": True}
    # A manager of another team is no party to this SLA.
    assert rp.can_write_review(roles.other_sales_member, review) is False


def test_only_the_managers_run_the_meeting_and_open_amendments(roles, review, now):
    services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
    managers = {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": False,
        "sales_manager": True,
        "sales_member": False,
        "viewer": False,
    }
    assert _row(roles, lambda u: rp.can_run_review(u, review)) == managers
    assert _row(roles, lambda u: rp.can_prepare_review(u, review.sla)) == managers
    assert _row(roles, lambda u: rp.can_open_amendment(u, review)) == managers


def test_an_action_item_is_marked_done_by_its_owner_or_the_review_writers(roles, review, now):
    item = services.action_item_add(
        review=review, by=roles.sales_manager, title="Call back", owner=roles.mkt_member, due_date=now.date()
    )
    assert _row(roles, lambda u: rp.can_complete_action_item(u, item)) == {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": True,
        "sales_manager": True,
        "sales_member": False,
        "viewer": False,
    }
