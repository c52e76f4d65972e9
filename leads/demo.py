"""Demo leads for `make run`: a capture form and ~40 leads at every stage of the funnel.

Everything goes through ``leads.services`` with back-dated ``occurred_at``, so the demo
history, handoffs and follow-ups are exactly what real use would produce. Uses the active
demo SLA that ``slas.demo`` creates, if any; without one the follow-ups are simply absent.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from . import services
from .models import Activity, CaptureForm, Lead, LeadEvent, Stage

DEMO_DOMAIN = "demo-leads.example"
FIRST_NAMES = [
    "Alice",
    "Bruno",
    "Chloé",
    "David",
    "Emma",
    "Félix",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Jules",
    "Léa",
    "Marc",
    "Nina",
    "Oscar",
    "Paul",
    "Rose",
    "Simon",
    "Théo",
    "Zoé",
    "Yann",
]
LAST_NAMES = ["Bernard", "Dubois", "Durand", "Fontaine", "Garnier", "Lambert", "Leroy", "Morel", "Petit", "Roux"]
COMPANIES = ["Acme SAS", "Batiplus", "Cloudio", "Datanova", "Ecovert", "Fintrack", "Gastronomie & Co", "Helios"]
CHANNELS = ["seo", "ads", "event", "webinar", "referral"]
# Why sales rejects an MQL, and what sales notes after a meeting (shown in the monthly review).
REJECTION_REASONS = ["No budget and no timing yet", "Student project, not a company", "No budget this year"]
MEETING_NOTES = [
    "Wants a demo for the finance team; decision in Q1.",
    "Interested in the API integration; asked for pricing for 20 seats.",
    "Project on hold until the new CFO arrives.",
]
# What happens to each lead, cycling; each scenario stops early when its next step would be in the future.
SCENARIOS = [
    "prospect",
    "mql",
    "client",
    "rejected",
    "opportunity",
    "take_feedback",
    "visitor",
    "sql_overdue",
    "client",
    "lost",
    "take_silent",
    "pending",
    "sql_worked",
    "client",
]


def seed(context) -> None:
    marketing, sales = context.teams["marketing"], context.teams["sales"]
    CaptureForm.objects.get_or_create(
        slug="website-contact",
        defaults={
            "name": "Website contact form",
            "team": marketing,
            "channel": "website",
            "thank_you_message": "Thank you — our team will contact you shortly.",
        },
    )
    if Lead.objects.filter(email__endswith=f"@{DEMO_DOMAIN}").exists():
        return
    with transaction.atomic():
        _seed_leads(context, marketing, sales)


def _seed_leads(context, marketing, sales) -> None:
    users = context.users
    rng = random.Random(4)  # deterministic demo data, not a secret  # nosec B311
    now = timezone.now()
    start = now - dt.timedelta(days=90)
    for number in range(40):
        scenario = SCENARIOS[number % len(SCENARIOS)]
        created = (start + dt.timedelta(days=number * 2)).replace(hour=9, minute=0, second=0, microsecond=0)
        created += dt.timedelta(hours=rng.randint(0, 6))
        if scenario in {"pending", "sql_overdue"}:
            created = now - dt.timedelta(days=6 + number % 4)
        first, last = FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[number % len(LAST_NAMES)]
        answers = {"pain_identified": True}
        if scenario not in {"take_feedback", "take_silent"}:
            answers.update(team_formed=True, timing_defined=True, scope_defined=rng.random() > 0.4, budget_voted=True)
        data = {
            "first_name": first,
            "last_name": last,
            "email": f"{slugify(first)}.{slugify(last)}.{number}@{DEMO_DOMAIN}",
            "company": COMPANIES[number % len(COMPANIES)],
            "channel": CHANNELS[number % len(CHANNELS)],
            "consent_to_contact": True,
            **answers,
        }
        marketer = users["mathis"] if number % 2 else users["maya"]
        seller = users["samuel"] if number % 2 else users["sofia"]
        stage = Stage.VISITOR if scenario == "visitor" else Stage.PROSPECT
        lead = services.lead_create(data=data, team=marketing, by=marketer, occurred_at=created, stage=stage)
        _play(scenario, lead, created, now, marketer, seller, users, sales, rng, number)
    # The demo pretends each step was entered as it happened; a few activities stay late entries.
    demo = Lead.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
    LeadEvent.objects.filter(lead__in=demo).update(recorded_at=F("occurred_at"), is_late_entry=False)
    Activity.objects.filter(lead__in=demo).update(recorded_at=F("occurred_at"), is_late_entry=False)
    for activity in Activity.objects.filter(lead__in=demo, kind=Activity.Kind.MEETING)[:3]:
        late = activity.occurred_at + dt.timedelta(days=2)
        Activity.objects.filter(pk=activity.pk).update(recorded_at=late, is_late_entry=True)
        LeadEvent.objects.filter(pk=activity.event_id).update(recorded_at=late, is_late_entry=True)


def _play(scenario, lead, created, now, marketer, seller, users, sales, rng, number=0) -> None:
    """Run the scenario's steps in order, stopping at the first one that is not yet due or not allowed."""
    if scenario in {"prospect", "visitor"}:
        return
    steps = [
        (
            dt.timedelta(days=1),
            lambda at: services.lead_transition(lead=lead, to=Stage.MQL, by=marketer, occurred_at=at),
        )
    ]
    if scenario == "mql":
        pass
    elif scenario == "lost":
        steps.append(
            (
                dt.timedelta(days=3),
                lambda at: services.lead_transition(
                    lead=lead, to=Stage.LOST, by=marketer, reason="No project this year", occurred_at=at
                ),
            )
        )
    elif scenario in {"take_feedback", "take_silent"}:
        steps.append(
            (
                dt.timedelta(days=2),
                lambda at: services.lead_take(lead=lead, by=seller, until=at + dt.timedelta(days=14), occurred_at=at),
            )
        )
        steps.append(
            (
                dt.timedelta(days=3),
                lambda at: services.activity_log(
                    lead=lead, kind="meeting", outcome="interested", note="Discovery meeting", by=seller, occurred_at=at
                ),
            )
        )
        feedback = "Budget expected next year; nurture with case studies." if scenario == "take_feedback" else ""
        steps.append(
            (
                dt.timedelta(days=6),
                lambda at: services.lead_return(lead=lead, by=seller, feedback=feedback, occurred_at=at),
            )
        )
    else:
        steps.append(
            (
                dt.timedelta(days=1, hours=2),
                lambda at: services.lead_handoff(lead=lead, team=sales, by=marketer, occurred_at=at),
            )
        )
        if scenario == "rejected":
            steps.append(
                (
                    dt.timedelta(days=1, hours=5),
                    lambda at: services.lead_reject(
                        lead=lead, by=seller, reason=REJECTION_REASONS[number % 3], occurred_at=at
                    ),
                )
            )
        elif scenario != "pending":
            steps.append(
                (
                    dt.timedelta(days=1, hours=4),
                    lambda at: services.lead_accept(lead=lead, by=users["sacha"], owner=seller, occurred_at=at),
                )
            )
            if scenario != "sql_overdue":
                touches = [((1, 6), "call"), ((2, 3), "email"), ((3, 4), "meeting")]
                if scenario == "sql_worked":
                    # Reached days late: a first contact and an attempt window missed, for the monthly review.
                    touches = [((6, 2), "call"), ((7, 3), "email"), ((8, 4), "meeting")]
                for offset, kind in touches:
                    note = MEETING_NOTES[number % 3] if kind == "meeting" else ""
                    steps.append(
                        (
                            dt.timedelta(days=offset[0], hours=offset[1]),
                            lambda at, kind=kind, note=note: services.activity_log(
                                lead=lead, kind=kind, outcome="reached", note=note, by=seller, occurred_at=at
                            ),
                        )
                    )
            if scenario in {"opportunity", "client"}:
                steps.append(
                    (
                        dt.timedelta(days=5),
                        lambda at: services.lead_transition(lead=lead, to=Stage.OPPORTUNITY, by=seller, occurred_at=at),
                    )
                )
            if scenario == "client":
                value = Decimal(rng.randrange(5000, 40000, 500))
                steps.append(
                    (
                        dt.timedelta(days=12),
                        lambda at: services.lead_transition(
                            lead=lead, to=Stage.CLIENT, by=seller, deal_value=value, occurred_at=at
                        ),
                    )
                )
    for offset, step in steps:
        at = created + offset
        if at >= now:
            return
        try:
            step(at)
        except (ValidationError, PermissionDenied, services.LeadConflict):
            # e.g. no SLA lets sales take this category: the lead simply stays where it is.
            return
        lead.refresh_from_db()
