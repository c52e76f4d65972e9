"""Demo data for `make run`: teams, users of every role, and whatever each app adds.

Each app may provide ``<app>.demo.seed(context)``; it is called in the order of
``DEMO_APPS`` with a shared ``context`` dict (users and teams by short name). Seeding is
idempotent: running it twice changes nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

DEMO_PASSWORD = "demo-smarketing"  # noqa: S105  # printed on purpose: demo logins  # nosec B105
DEMO_APPS = ["slas", "leads", "reporting", "reviews"]


@dataclass
class DemoUser:
    username: str
    first_name: str
    last_name: str
    description: str
    team: str | None = None
    role: str | None = None
    superuser: bool = False
    viewer: bool = False
    language: str = "en"


DEMO_TEAMS = {
    "marketing": ("Marketing", "marketing", "Inbound and outbound campaigns, lead qualification up to MQL."),
    "sales": ("Inside sales", "sales", "Commerciaux sédentaires: qualify maturity, first contact, opportunities."),
}

DEMO_USERS = [
    DemoUser("admin", "Ada", "Admin", "Admin (manages users and teams)", superuser=True),
    DemoUser("marion", "Marion", "Martin", "Marketing manager", team="marketing", role="manager", language="fr"),
    DemoUser("mathis", "Mathis", "Moreau", "Marketing member", team="marketing", role="member"),
    DemoUser("maya", "Maya", "Mercier", "Marketing member", team="marketing", role="member"),
    DemoUser("sacha", "Sacha", "Simon", "Sales manager", team="sales", role="manager"),
    DemoUser("samuel", "Samuel", "Sanchez", "Sales member", team="sales", role="member"),
    DemoUser("sofia", "Sofia", "Solis", "Sales member", team="sales", role="member"),
    DemoUser("victor", "Victor", "Vidal", "Viewer (executive, read-only)", viewer=True),
]


@dataclass
class DemoContext:
    users: dict = field(default_factory=dict)
    teams: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


@transaction.atomic
def seed_people() -> DemoContext:
    from slas.models import Membership, Profile, Team

    context = DemoContext()
    for key, (name, function, description) in DEMO_TEAMS.items():
        team, _ = Team.objects.get_or_create(name=name, defaults={"function": function, "description": description})
        context.teams[key] = team
    User = get_user_model()
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(username=spec.username, first_name=spec.first_name, last_name=spec.last_name)
            user.email = f"{spec.username}@demo.smarketing.localhost"
            user.is_superuser = user.is_staff = spec.superuser
            user.set_password(DEMO_PASSWORD)
            user.save()
        profile = Profile.for_user(user)
        if profile.is_viewer != spec.viewer or profile.language != spec.language:
            profile.is_viewer = spec.viewer
            profile.language = spec.language
            profile.save()
        if spec.team:
            Membership.objects.get_or_create(user=user, team=context.teams[spec.team], defaults={"role": spec.role})
        context.users[spec.username] = user
    return context


def seed_all() -> DemoContext:
    context = seed_people()
    for app in DEMO_APPS:
        try:
            module = importlib.import_module(f"{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.demo":
                raise
            continue
        module.seed(context)
    return context


def logins_table() -> str:
    lines = [f"{'login':<10} {'password':<16} role", "-" * 60]
    lines += [f"{u.username:<10} {DEMO_PASSWORD:<16} {u.description}" for u in DEMO_USERS]
    return "\n".join(lines)
