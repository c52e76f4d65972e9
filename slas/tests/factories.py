from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from slas.models import (
    SLA,
    Commitment,
    Function,
    MaturityRule,
    Membership,
    Profile,
    Team,
    WorkingCalendar,
    WorkingHours,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")
    function = Function.MARKETING


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Membership.Role.MEMBER


@dataclass
class Roles:
    admin: object
    mkt_manager: object
    mkt_member: object
    other_mkt_member: object
    sales_manager: object
    sales_member: object
    other_sales_member: object
    viewer: object
    marketing: Team
    other_marketing: Team
    sales: Team
    other_sales: Team

    def all(self) -> dict[str, object]:
        return {
            "admin": self.admin,
            "mkt_manager": self.mkt_manager,
            "mkt_member": self.mkt_member,
            "sales_manager": self.sales_manager,
            "sales_member": self.sales_member,
            "viewer": self.viewer,
        }


def member(username: str, team: Team, role: str):
    user = UserFactory(username=username)
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
    return user


def role_users() -> Roles:
    """One user for each role of SPEC §7, plus members of a second team of each function."""
    marketing = TeamFactory(name="Marketing", function=Function.MARKETING)
    other_marketing = TeamFactory(name="Events marketing", function=Function.MARKETING)
    sales = TeamFactory(name="Inside sales", function=Function.SALES)
    other_sales = TeamFactory(name="Field sales", function=Function.SALES)
    admin = UserFactory(username="admin", is_superuser=True, is_staff=True)
    viewer = UserFactory(username="viewer")
    Profile.objects.update_or_create(user=viewer, defaults={"is_viewer": True})
    return Roles(
        admin=admin,
        mkt_manager=member("mkt_manager", marketing, Membership.Role.MANAGER),
        mkt_member=member("mkt_member", marketing, Membership.Role.MEMBER),
        other_mkt_member=member("other_mkt_member", other_marketing, Membership.Role.MEMBER),
        sales_manager=member("sales_manager", sales, Membership.Role.MANAGER),
        sales_member=member("sales_member", sales, Membership.Role.MEMBER),
        other_sales_member=member("other_sales_member", other_sales, Membership.Role.MEMBER),
        viewer=viewer,
        marketing=marketing,
        other_marketing=other_marketing,
        sales=sales,
        other_sales=other_sales,
    )


def make_sla(
    marketing: Team,
    sales: Team,
    *,
    start: dt.date = dt.date(2026, 1, 1),
    end: dt.date = dt.date(2026, 12, 31),
    status: str = SLA.Status.DRAFT,
    time_zone: str = "Europe/Paris",
    country: str = "FR",
    with_commitments: bool = True,
) -> SLA:
    """An SLA with a 09:00–18:00 Monday–Friday calendar and the standard commitments."""
    import uuid

    sla = SLA.objects.create(
        title=f"{marketing.name} × {sales.name}",
        marketing_team=marketing,
        sales_team=sales,
        start_date=start,
        end_date=end,
        status=status,
        series=uuid.uuid4(),
    )
    calendar = WorkingCalendar.objects.create(sla=sla, time_zone=time_zone, country=country)
    WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=day, start=dt.time(9), end=dt.time(18)) for day in range(5)
    )
    for category, owner, hours, take in [
        (1, Function.SALES, 4, False),
        (2, Function.MARKETING, 24, True),
        (3, Function.MARKETING, 72, True),
    ]:
        MaturityRule.objects.create(
            sla=sla,
            category=category,
            owner_function=owner,
            response_hours=Decimal(hours),
            sales_may_take=take,
            take_max_days=30 if take else None,
        )
    if with_commitments:
        Commitment.objects.bulk_create(
            [
                Commitment(sla=sla, key="prospects_volume", target=Decimal(100)),
                Commitment(sla=sla, key="mql_volume", target=Decimal(30)),
                Commitment(sla=sla, key="mql_acceptance_rate", target=Decimal(70)),
                Commitment(sla=sla, key="handoff_response", target=Decimal(90), hours=Decimal(4)),
                Commitment(
                    sla=sla,
                    key="first_contact",
                    target=Decimal(90),
                    hours=Decimal(8),
                    category_hours={"1": 4, "2": 24, "3": 72},
                ),
                Commitment(sla=sla, key="contact_attempts", target=Decimal(80), attempts=3, days=5),
                Commitment(sla=sla, key="return_feedback", target=Decimal(90)),
                Commitment(sla=sla, key="won_revenue", target=Decimal(50000)),
                Commitment(sla=sla, key="new_clients", target=Decimal(5)),
            ]
        )
    return sla
