from __future__ import annotations

import pytest

from slas.models import SLA
from smarketing.demo import seed_people

pytestmark = pytest.mark.django_db


def test_the_demo_sla_is_active_signed_and_seeded_once():
    from slas.demo import seed

    context = seed_people()
    seed(context)
    seed(context)
    sla = SLA.objects.get()
    assert sla.status == SLA.Status.ACTIVE and sla.signatures.count() == 2
    assert sla.commitments.count() == 9 and sla.maturity_rules.count() == 3 and sla.goals.count() == 2
    assert sla.calendar.hours.count() == 10 and sla.start_date.day == 1
