"""A decision's proposal opens an amendment draft of the SLA, prefilled and linked back to the decision,
which then goes through the normal submit and sign flow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from reviews import services
from slas import services as sla_services
from slas.models import SLA
from smarketing import hooks

pytestmark = pytest.mark.django_db


def _decide(roles, review, **fields):
    return services.decision_add(review=review, by=roles.sales_manager, text="Adjust the SLA", **fields)


def test_a_lower_first_contact_time_opens_a_prefilled_amendment(roles, sla, review, now):
    decision = _decide(
        roles, review, proposal="response_time", commitment_key="first_contact", category=1, proposed_value="2"
    )
    draft = services.decision_open_amendment(decision=decision, by=roles.sales_manager)
    assert (draft.status, draft.version, draft.amends) == (SLA.Status.DRAFT, 2, sla)
    first_contact = draft.commitments.get(key="first_contact")
    assert Decimal(str(first_contact.category_hours["1"])) == Decimal(2)
    assert first_contact.category_hours["2"] == 24  # the rest as it was
    assert sla.commitments.get(key="first_contact").category_hours["1"] == 4  # the signed version untouched
    decision.refresh_from_db()
    assert decision.amendment == draft
    links = hooks.collect("sla.links", sla=draft)
    assert [link["url"] for link in links] == [decision.get_absolute_url()]


def test_clicking_again_opens_the_same_draft(roles, review, now):
    decision = _decide(roles, review, proposal="target", commitment_key="mql_volume", proposed_value="20")
    first = services.decision_open_amendment(decision=decision, by=roles.mkt_manager)
    assert services.decision_open_amendment(decision=decision, by=roles.sales_manager) == first
    assert SLA.objects.filter(status=SLA.Status.DRAFT).count() == 1


def test_two_decisions_go_into_the_amendment_being_prepared(roles, review, now):
    target = _decide(roles, review, proposal="target", commitment_key="mql_volume", proposed_value="20")
    response = _decide(roles, review, proposal="response_time", commitment_key="handoff_response", proposed_value="6")
    draft = services.decision_open_amendment(decision=target, by=roles.mkt_manager)
    assert services.decision_open_amendment(decision=response, by=roles.mkt_manager) == draft
    assert draft.commitments.get(key="mql_volume").target == Decimal(20)
    assert draft.commitments.get(key="handoff_response").hours == Decimal(6)


def test_a_category_rule_changes_the_maturity_rule(roles, review, now):
    decision = _decide(
        roles, review, proposal="category_rule", category=2, proposed_value="12", proposed_owner_function="sales"
    )
    draft = services.decision_open_amendment(decision=decision, by=roles.mkt_manager)
    rule = draft.maturity_rules.get(category=2)
    assert (rule.response_hours, rule.owner_function, rule.sales_may_take) == (Decimal(12), "sales", True)


def test_the_amendment_goes_through_submit_and_sign(roles, sla, review, now):
    decision = _decide(roles, review, proposal="target", commitment_key="new_clients", proposed_value="4")
    draft = services.decision_open_amendment(decision=decision, by=roles.sales_manager)
    sla_services.sla_submit(sla=draft, by=roles.sales_manager)
    sla_services.sla_sign(sla=draft, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=draft, team=roles.sales, by=roles.sales_manager)
    draft.refresh_from_db()
    sla.refresh_from_db()
    assert (draft.status, sla.status) == (SLA.Status.ACTIVE, SLA.Status.SUPERSEDED)
    # Clicking the decision again shows the signed amendment: no second draft.
    assert services.decision_open_amendment(decision=decision, by=roles.sales_manager) == draft


def test_only_the_slas_managers_open_it(roles, review, now):
    decision = _decide(roles, review, proposal="target", commitment_key="mql_volume", proposed_value="20")
    services.review_add_participant(review=review, user=roles.sales_member, by=roles.sales_manager)
    with pytest.raises(PermissionDenied):
        services.decision_open_amendment(decision=decision, by=roles.sales_member)
    assert not SLA.objects.filter(status=SLA.Status.DRAFT).exists()


def test_a_decision_without_a_proposal_opens_nothing(roles, review, now):
    decision = _decide(roles, review)
    with pytest.raises(services.ReviewConflict):
        services.decision_open_amendment(decision=decision, by=roles.sales_manager)


def test_an_sla_in_signature_cannot_take_the_change(roles, sla, review, now):
    target = _decide(roles, review, proposal="target", commitment_key="mql_volume", proposed_value="20")
    draft = sla_services.sla_amend(sla=sla, by=roles.mkt_manager)
    sla_services.sla_submit(sla=draft, by=roles.mkt_manager)
    with pytest.raises(services.ReviewConflict):
        services.decision_open_amendment(decision=target, by=roles.mkt_manager)
