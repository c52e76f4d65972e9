"""The demo: a closed review with minutes for an earlier month and an open review for the last closed
month, through the services, seeded once."""

from __future__ import annotations

import pytest

from leads.models import FollowUp
from reporting.models import Notification
from reviews.models import Review
from smarketing.demo import seed_all

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_closed_and_an_open_review_and_seeds_once():
    context = seed_all()
    closed = Review.objects.get(status=Review.Status.CLOSED)
    opened = Review.objects.get(status=Review.Status.OPEN)
    assert closed.month < opened.month
    sla = context.extra["sla"]
    assert opened.month == sla.current_month().previous().first_day
    assert closed.minutes["decisions"] and closed.minutes["action_items"] and closed.minutes["notes"]
    assert opened.points.count() == 2
    assert FollowUp.objects.filter(kind=FollowUp.Kind.ACTION_ITEM, status="open").exists()
    # The open review lists the earlier review's action items.
    from reviews import agenda

    keys = [section["key"] for section in agenda.build(opened)["sections"]]
    assert "action_items" in keys and "points" in keys and "scorecard" in keys
    counts = (Review.objects.count(), Notification.objects.count(), FollowUp.objects.count())
    seed_all()
    assert (Review.objects.count(), Notification.objects.count(), FollowUp.objects.count()) == counts
