"""Fixtures shared by the leads tests."""

from __future__ import annotations

import datetime as dt

import pytest

from slas.models import SLA
from slas.tests.factories import make_sla


@pytest.fixture
def sla(roles):
    """An SLA in force between the marketing and sales teams, from 400 days ago to 400 days ahead."""
    today = dt.date.today()
    return make_sla(
        roles.marketing,
        roles.sales,
        start=today - dt.timedelta(days=400),
        end=today + dt.timedelta(days=400),
        status=SLA.Status.ACTIVE,
    )
