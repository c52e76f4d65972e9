"""``smarketing.bulk``: COPY from a generator (rows made while the server stores the previous
ones), a generator's refusal writing nothing, and the garbage collector held only meanwhile."""

from __future__ import annotations

import gc

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from leads.models import Lead
from smarketing.bulk import copy_insert, gc_paused

pytestmark = pytest.mark.django_db


def _leads(roles, count: int, refuse_at: int | None = None):
    for n in range(count):
        if n == refuse_at:
            raise ValidationError("refused")
        yield Lead(email=f"bulk{n}@example.com", first_name="Bulk", owner_team=roles.marketing)


def test_copy_insert_takes_a_generator_and_gives_each_row_its_id(roles):
    inserted = copy_insert(Lead, _leads(roles, 5), count=5)
    assert [lead.pk for lead in inserted] == sorted(lead.pk for lead in inserted)
    assert {lead.email for lead in Lead.objects.filter(pk__in=[lead.pk for lead in inserted])} == {
        f"bulk{n}@example.com" for n in range(5)
    }
    assert not any(lead._state.adding for lead in inserted)


def test_a_refusal_inside_the_generator_writes_nothing(roles):
    with pytest.raises(ValidationError), transaction.atomic():
        copy_insert(Lead, _leads(roles, 5, refuse_at=3), count=5)
    assert not Lead.objects.filter(email__startswith="bulk").exists()


def test_the_collector_is_held_only_inside_and_restored_as_it_was():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
