"""Demo data: a closed review with its minutes for an earlier month, and the open review of the last
closed month (prepared when ``reporting.demo`` computed its report), with two participants' points.

Runs after ``reporting`` (``smarketing.demo.DEMO_APPS``); everything goes through ``reviews.services``
(the minutes are e-mailed through the outbox like any review's). Idempotent: a series whose
earlier review exists is left as it is.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from reporting.demo import demo_slas

from . import services
from .models import Review


def seed(context) -> None:
    users = context.users
    if not {"marion", "sacha", "samuel", "sofia"} <= set(users):
        return
    now = timezone.now()
    for sla in demo_slas(context):
        current = sla.current_month(now)
        last, earlier = current.previous(), current.shift(-2)
        with transaction.atomic():
            if not Review.objects.filter(series=sla.series, month=earlier.first_day).exists():
                _closed_review(sla, earlier.first_day, users, now)
            _open_review(sla, last.first_day, users, now)


def _closed_review(sla, month: dt.date, users, now: dt.datetime) -> None:
    marion, sacha = users["marion"], users["sacha"]
    try:
        review = services.review_create_monthly(sla=sla, month=month, now=now)
    except ValidationError:
        return  # the SLA was not in force that month
    services.review_add_participant(review=review, user=users["samuel"], by=sacha)
    services.agenda_point_add(
        review=review, by=marion, text="Webinar leads: are they rejected for budget more than the others?"
    )
    services.note_add(
        review=review,
        by=sacha,
        item="scorecard",
        text="First contacts slipped in the second half of the month: two people were on leave.",
    )
    services.note_add(
        review=review,
        by=marion,
        item="points",
        text="Sales will say in the rejection reason whether the budget or the timing is missing.",
    )
    decision = services.decision_add(
        review=review,
        by=sacha,
        text="A rejected MQL always names what is missing: budget, timing or scope.",
        item="points",
    )
    services.action_item_add(
        review=review,
        by=sacha,
        title="Brief the inside sales team on the rejection reasons",
        owner=users["sofia"],
        due_date=sla.today(now),
        decision=decision,
        now=now,
    )
    done = services.action_item_add(
        review=review,
        by=marion,
        title="Add budget and timing questions to the webinar form",
        owner=users.get("maya", marion),
        due_date=sla.today(now),
        now=now,
    )
    services.action_item_complete(item=done, by=marion)
    services.review_close(review=review, by=sacha, now=now)


def _open_review(sla, month: dt.date, users, now: dt.datetime) -> None:
    review = Review.objects.filter(series=sla.series, month=month, kind=Review.Kind.MONTHLY).first()
    if review is None:
        try:
            review = services.review_create_monthly(sla=sla, month=month, now=now)
        except ValidationError:
            return
    if not review.is_open or review.points.exists():
        return
    services.agenda_point_add(
        review=review, by=users["marion"], text="Which channels bring the MQLs sales accepts? Shift budget to them."
    )
    services.agenda_point_add(
        review=review,
        by=users["sacha"],
        text="First contact within 4 h is hard for category 2 leads handed off late on Friday.",
    )
