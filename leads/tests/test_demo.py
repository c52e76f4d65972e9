"""The demo seed runs through the services, with or without an SLA, and is idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from leads import demo
from leads.models import CaptureForm, FollowUp, Lead, LeadEvent, Stage
from slas.models import SLA
from slas.tests.factories import make_sla
from smarketing.demo import seed_people


@pytest.mark.parametrize("with_sla", [True, False])
def test_seed_spreads_leads_over_every_stage(db, with_sla):
    context = seed_people()
    if with_sla:
        today = dt.date.today()
        make_sla(
            context.teams["marketing"],
            context.teams["sales"],
            start=today - dt.timedelta(days=200),
            end=today + dt.timedelta(days=200),
            status=SLA.Status.ACTIVE,
        )
    demo.seed(context)
    stages = set(Lead.objects.values_list("stage", flat=True))
    assert {Stage.VISITOR, Stage.PROSPECT, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CLIENT, Stage.LOST} <= stages
    assert Lead.objects.count() == 40 and CaptureForm.objects.filter(slug="website-contact").exists()
    assert LeadEvent.objects.filter(to_stage=Stage.CLIENT, deal_value__isnull=False).exists()
    if with_sla:
        assert FollowUp.objects.overdue().exists()
        assert LeadEvent.objects.filter(kind=LeadEvent.Kind.RETURNED, payload__has_feedback=False).exists()
        assert LeadEvent.objects.filter(kind=LeadEvent.Kind.RETURNED, payload__has_feedback=True).exists()
    else:
        assert not FollowUp.objects.exists()
    demo.seed(context)
    assert Lead.objects.count() == 40
