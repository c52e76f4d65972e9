"""Two people accept the same handoff at the same moment: exactly one wins (real threads, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from leads import services
from leads.models import Handoff, LeadEvent, Stage


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accepts_one_wins_the_other_conflicts(roles):
    if connection.vendor != "postgresql":
        reason = "row locks (SELECT … FOR UPDATE) need PostgreSQL; SQLite serialises writers instead"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    lead = services.lead_create(
        data={"email": "race@example.com"}, team=roles.marketing, by=roles.admin, stage=Stage.MQL
    )
    services.lead_handoff(lead=lead, team=roles.sales, by=roles.admin)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user) -> None:
        try:
            barrier.wait(timeout=10)
            services.lead_accept(lead=lead, by=user, owner=user)
            outcomes.append("won")
        except services.LeadConflict:
            outcomes.append("conflict")
        except Exception as exc:  # any other failure shows up in the assertion below
            outcomes.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(user,)) for user in (roles.sales_member, roles.sales_manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "won"]
    assert Handoff.objects.get(lead=lead).status == Handoff.Status.ACCEPTED
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.ACCEPTED).count() == 1
