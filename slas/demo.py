"""Demo SLA: an active agreement between the demo marketing and inside-sales teams."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from .clock import Month

DEMO_TITLE = "Marketing × Inside sales"


def seed(context) -> None:
    """Create, submit and sign the demo SLA through the services; do nothing if it exists."""
    from .models import SLA
    from .services import sla_create, sla_sign, sla_submit

    marketing, sales = context.teams["marketing"], context.teams["sales"]
    existing = SLA.objects.filter(title=DEMO_TITLE, marketing_team=marketing, sales_team=sales).first()
    if existing is not None:
        context.extra["sla"] = existing
        return
    marion, sacha = context.users["marion"], context.users["sacha"]
    first = Month.containing(timezone.now(), "Europe/Paris").shift(-3)
    start, end = first.first_day, first.shift(11).last_day
    working = [(dt.time(9), dt.time(12, 30)), (dt.time(13, 30), dt.time(18))]
    data = {
        "title": DEMO_TITLE,
        "marketing_team": marketing,
        "sales_team": sales,
        "start_date": start,
        "end_date": end,
        "company_objectives": "Reach 1,000,000 € of new revenue this year with 100 new clients.",
        "marketing_role": "Attract and nurture prospects up to MQL; hand off qualified leads with full context. "
        "Not responsible for closing or for leads sales has accepted.",
        "sales_role": "Decide every handoff within 4 business hours, contact accepted leads quickly, "
        "make at least 3 attempts, and return unready leads with feedback.",
        "goals": [
            {
                "specific": "Double the number of MQLs handed to inside sales",
                "metric": "MQLs per month",
                "target": Decimal(60),
                "achievable": "Two new content campaigns and the webinar programme.",
                "deadline": end,
            },
            {
                "specific": "Win 100 new clients over the year",
                "metric": "New clients",
                "target": Decimal(100),
                "achievable": "At a 2 % prospect-to-client rate this needs 5,000 prospects.",
                "deadline": end,
            },
        ],
        "commitments": [
            {"key": "prospects_volume", "target": Decimal(420)},
            {"key": "mql_volume", "target": Decimal(60)},
            {"key": "mql_acceptance_rate", "target": Decimal(70)},
            {"key": "handoff_response", "target": Decimal(90), "hours": Decimal(4)},
            {
                "key": "first_contact",
                "target": Decimal(90),
                "hours": Decimal(8),
                "category_hours": {"1": 4, "2": 24, "3": 72},
            },
            {"key": "contact_attempts", "target": Decimal(80), "attempts": 3, "days": 5},
            {"key": "return_feedback", "target": Decimal(95)},
            {"key": "won_revenue", "target": Decimal(83334)},
            {"key": "new_clients", "target": Decimal(9)},
        ],
        "maturity_rules": [
            {"category": 1, "owner_function": "sales", "response_hours": Decimal(4)},
            {
                "category": 2,
                "owner_function": "marketing",
                "response_hours": Decimal(24),
                "sales_may_take": True,
                "take_max_days": 30,
            },
            {
                "category": 3,
                "owner_function": "marketing",
                "response_hours": Decimal(72),
                "sales_may_take": True,
                "take_max_days": 60,
            },
        ],
        "milestones": [
            {
                "title": "Monthly SLA review meeting",
                "owner_team": marketing,
                "due_date": first.last_day,
                "repeats_monthly": True,
            }
        ],
        "calendar": {
            "time_zone": "Europe/Paris",
            "country": "FR",
            "hours": [{"weekday": day, "start": begin, "end": finish} for day in range(5) for begin, finish in working],
            "closed_dates": [],
        },
    }
    sla = sla_create(by=marion, data=data)
    sla_submit(sla=sla, by=marion)
    sla_sign(sla=sla, team=marketing, by=marion)
    sla_sign(sla=sla, team=sales, by=sacha)
    sla.refresh_from_db()
    context.extra["sla"] = sla
