from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from slas import services
from slas.models import SLA, LifecycleRecord, Milestone, SharedGoal
from slas.tasks import expire_due_slas
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def draft_data(roles, **overrides) -> dict:
    data = {
        "title": "Marketing × Inside sales",
        "marketing_team": roles.marketing,
        "sales_team": roles.sales,
        "start_date": dt.date(2026, 1, 1),
        "end_date": dt.date(2026, 12, 31),
        "company_objectives": "Grow revenue",
        "goals": [
            {"specific": "More MQLs", "metric": "MQLs", "target": Decimal(300), "deadline": dt.date(2026, 12, 31)}
        ],
        "commitments": [{"key": "mql_volume", "target": Decimal(30)}],
        "maturity_rules": [{"category": 1, "owner_function": "sales", "response_hours": Decimal(4)}],
        "milestones": [{"title": "Monthly review", "owner_team": roles.marketing, "due_date": dt.date(2026, 1, 31)}],
        "calendar": {
            "time_zone": "Europe/Paris",
            "country": "FR",
            "hours": [{"weekday": d, "start": dt.time(9), "end": dt.time(18)} for d in range(5)],
            "closed_dates": [{"date": dt.date(2026, 8, 14), "label": "Bridge"}],
        },
    }
    data.update(overrides)
    return data


def signed(roles, **kwargs) -> SLA:
    sla = make_sla(roles.marketing, roles.sales, **kwargs)
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    sla.refresh_from_db()
    return sla


def test_a_manager_creates_a_draft_with_all_its_sections(roles):
    sla = services.sla_create(by=roles.mkt_manager, data=draft_data(roles))
    assert sla.status == SLA.Status.DRAFT and sla.version == 1 and sla.series
    assert sla.goals.count() == 1 and sla.commitments.count() == 1 and sla.maturity_rules.count() == 1
    assert sla.milestones.count() == 1
    assert sla.calendar.hours.count() == 5 and sla.calendar.closed_dates.count() == 1


@pytest.mark.parametrize("who", ["mkt_member", "sales_member", "viewer"])
def test_non_managers_cannot_draft(roles, who):
    with pytest.raises(PermissionDenied):
        services.sla_create(by=getattr(roles, who), data=draft_data(roles))


def test_a_manager_cannot_draft_for_teams_they_do_not_manage(roles):
    with pytest.raises(PermissionDenied):
        services.sla_create(
            by=roles.mkt_manager,
            data=draft_data(roles, marketing_team=roles.other_marketing, milestones=[]),
        )


def test_bad_input_gives_field_errors_and_writes_nothing(roles):
    data = draft_data(
        roles,
        end_date=dt.date(2025, 12, 1),
        commitments=[{"key": "mql_acceptance_rate", "target": Decimal(120)}],
    )
    with pytest.raises(ValidationError) as info:
        services.sla_create(by=roles.admin, data=data)
    assert "end_date" in info.value.message_dict
    assert "commitments.0.target" in info.value.message_dict
    assert not SLA.objects.exists()


def test_teams_must_have_the_right_functions(roles):
    with pytest.raises(ValidationError) as info:
        services.sla_create(by=roles.admin, data=draft_data(roles, marketing_team=roles.other_sales, milestones=[]))
    assert "marketing_team" in info.value.message_dict


def test_a_milestone_outside_the_period_is_refused(roles):
    data = draft_data(roles, milestones=[{"title": "Late", "owner_team": roles.sales, "due_date": dt.date(2027, 2, 1)}])
    with pytest.raises(ValidationError) as info:
        services.sla_create(by=roles.admin, data=data)
    assert "milestones.0.due_date" in info.value.message_dict


def test_update_bumps_the_revision_and_replaces_sections(roles):
    sla = services.sla_create(by=roles.mkt_manager, data=draft_data(roles))
    updated = services.sla_update(
        sla=sla,
        by=roles.sales_manager,
        revision=1,
        data={"title": "New title", "commitments": [{"key": "new_clients", "target": Decimal(5)}]},
    )
    assert updated.revision == 2 and updated.title == "New title"
    assert list(updated.commitments.values_list("key", flat=True)) == ["new_clients"]
    assert updated.goals.count() == 1


def test_a_stale_edit_is_refused(roles):
    sla = services.sla_create(by=roles.mkt_manager, data=draft_data(roles))
    services.sla_update(sla=sla, by=roles.mkt_manager, revision=1, data={"title": "First"})
    with pytest.raises(services.SLAConflict, match="Someone else changed"):
        services.sla_update(sla=sla, by=roles.sales_manager, revision=1, data={"title": "Second"})
    sla.refresh_from_db()
    assert sla.title == "First"


def test_a_sales_member_cannot_edit(roles):
    sla = make_sla(roles.marketing, roles.sales)
    with pytest.raises(PermissionDenied):
        services.sla_update(sla=sla, by=roles.sales_member, revision=sla.revision, data={"title": "x"})


def test_submit_freezes_the_draft_and_fingerprints_it(roles):
    sla = make_sla(roles.marketing, roles.sales)
    submitted = services.sla_submit(sla=sla, by=roles.mkt_manager)
    assert submitted.status == SLA.Status.IN_SIGNATURE
    assert submitted.fingerprint == submitted.compute_fingerprint() and len(submitted.fingerprint) == 64
    with pytest.raises(services.SLAConflict):
        services.sla_update(sla=sla, by=roles.mkt_manager, revision=submitted.revision, data={"title": "x"})
    with pytest.raises(services.SLAConflict):
        services.sla_submit(sla=sla, by=roles.mkt_manager)


def test_submit_needs_commitments(roles):
    sla = make_sla(roles.marketing, roles.sales, with_commitments=False)
    with pytest.raises(ValidationError):
        services.sla_submit(sla=sla, by=roles.mkt_manager)


def test_both_signatures_activate_it(roles):
    sla = make_sla(roles.marketing, roles.sales)
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    first = services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    sla.refresh_from_db()
    assert sla.status == SLA.Status.IN_SIGNATURE
    assert first.fingerprint == sla.fingerprint and first.signed_by == roles.mkt_manager
    services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    sla.refresh_from_db()
    assert sla.status == SLA.Status.ACTIVE and sla.activated_at
    assert SLA.objects.governing(roles.marketing, roles.sales, dt.date(2026, 3, 1)) == sla


def test_signing_refusals(roles):
    sla = make_sla(roles.marketing, roles.sales)
    with pytest.raises(services.SLAConflict):
        services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)  # still a draft
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    with pytest.raises(PermissionDenied):
        services.sla_sign(sla=sla, team=roles.sales, by=roles.mkt_manager)
    with pytest.raises(PermissionDenied):
        services.sla_sign(sla=sla, team=roles.marketing, by=roles.admin)
    with pytest.raises(PermissionDenied):
        services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_member)
    services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    with pytest.raises(services.SLAConflict, match="already signed"):
        services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)


def test_content_changed_after_submission_cannot_be_signed(roles):
    sla = make_sla(roles.marketing, roles.sales)
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    sla.commitments.filter(key="mql_volume").update(target=Decimal(1))
    with pytest.raises(services.SLAConflict, match="content changed"):
        services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)


def test_two_overlapping_slas_for_the_same_pair_are_refused(roles):
    # Issue 11: the overlap is refused at submit (it used to be found only at the last signature,
    # leaving the document stuck in signature).
    first = signed(roles)
    other = make_sla(roles.marketing, roles.sales, start=dt.date(2026, 6, 1), end=dt.date(2027, 5, 31))
    with pytest.raises(services.SLAConflict, match="periods may not overlap") as refused:
        services.sla_submit(sla=other, by=roles.mkt_manager)
    assert refused.value.conflicting == first
    other.refresh_from_db()
    assert other.status == SLA.Status.DRAFT
    assert other.signatures.count() == 0


def test_an_overlap_with_a_document_in_signature_is_refused_at_submit(roles):
    waiting = services.sla_submit(sla=make_sla(roles.marketing, roles.sales), by=roles.mkt_manager)
    other = make_sla(roles.marketing, roles.sales, start=dt.date(2026, 12, 1), end=dt.date(2027, 11, 30))
    with pytest.raises(services.SLAConflict, match="In signature") as refused:
        services.sla_submit(sla=other, by=roles.sales_manager)
    assert refused.value.conflicting == waiting
    # Another team pair is not concerned.
    elsewhere = make_sla(roles.other_marketing, roles.sales)
    assert services.sla_submit(sla=elsewhere, by=roles.admin).status == SLA.Status.IN_SIGNATURE


def test_a_document_stuck_in_signature_is_refused_at_signing_then_withdrawn_and_deleted(roles):
    """A document submitted before the overlap rule (or racing it) cannot be signed over a signed SLA;
    a manager of either party withdraws it to draft, and its author deletes it."""
    first = signed(roles)
    stuck = make_sla(roles.marketing, roles.sales, start=dt.date(2026, 6, 1), end=dt.date(2027, 5, 31))
    stuck.created_by = roles.sales_manager
    stuck.save()
    SLA.objects.filter(pk=stuck.pk).update(status=SLA.Status.IN_SIGNATURE, fingerprint=stuck.compute_fingerprint())
    with pytest.raises(services.SLAConflict, match="periods may not overlap") as refused:
        services.sla_sign(sla=stuck, team=roles.marketing, by=roles.mkt_manager)
    assert refused.value.conflicting == first
    assert stuck.signatures.count() == 0

    with pytest.raises(PermissionDenied):
        services.sla_withdraw(sla=stuck, by=roles.sales_member)
    withdrawn = services.sla_withdraw(sla=stuck, by=roles.mkt_manager, reason="Overlaps the active SLA")
    assert withdrawn.status == SLA.Status.DRAFT and withdrawn.fingerprint == "" and withdrawn.submitted_at is None
    record = LifecycleRecord.objects.get(sla=stuck)
    assert (record.action, record.actor, record.reason) == ("withdrawn", roles.mkt_manager, "Overlaps the active SLA")
    with pytest.raises(services.SLAConflict):
        services.sla_withdraw(sla=stuck, by=roles.mkt_manager)

    with pytest.raises(PermissionDenied):
        services.sla_delete_draft(sla=stuck, by=roles.mkt_manager)  # not its author
    services.sla_delete_draft(sla=stuck, by=roles.sales_manager)
    assert not SLA.objects.filter(pk=stuck.pk).exists()
    assert list(LifecycleRecord.objects.filter(series=stuck.series).values_list("action", flat=True)) == [
        "draft_deleted",
        "withdrawn",
    ]
    assert LifecycleRecord.objects.filter(sla__isnull=True).count() == 2  # history outlives the draft


def test_withdrawing_clears_the_signatures_and_keeps_who_signed(roles):
    sla = services.sla_submit(sla=make_sla(roles.marketing, roles.sales), by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    services.sla_withdraw(sla=sla, by=roles.sales_manager)
    sla.refresh_from_db()
    assert sla.status == SLA.Status.DRAFT and sla.signatures.count() == 0
    trace = LifecycleRecord.objects.get(sla=sla).cleared_signatures
    assert [(t["team"], t["signed_by"]) for t in trace] == [(roles.marketing.pk, roles.mkt_manager.pk)]
    # Back to draft: editable, and signable again after a new submission.
    services.sla_update(sla=sla, by=roles.mkt_manager, revision=sla.revision, data={"title": "Fixed"})
    services.sla_submit(sla=sla, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    sla.refresh_from_db()
    assert sla.status == SLA.Status.ACTIVE


def test_signed_or_submitted_documents_are_never_deleted(roles):
    active = signed(roles)
    waiting = services.sla_submit(sla=make_sla(roles.other_marketing, roles.other_sales), by=roles.admin)
    for sla in (active, waiting):
        with pytest.raises(services.SLAConflict):
            services.sla_delete_draft(sla=sla, by=roles.admin)
    assert SLA.objects.filter(pk__in=[active.pk, waiting.pk]).count() == 2


def test_a_following_period_may_be_signed(roles):
    signed(roles)
    later = signed(roles, start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31))
    assert later.status == SLA.Status.ACTIVE


def test_amend_copies_everything_into_a_new_draft_version(roles):
    sla = signed(roles)
    SharedGoal.objects.create(sla=sla, specific="x", metric="m", target=1, deadline=dt.date(2026, 6, 1))
    Milestone.objects.create(sla=sla, title="Review", owner_team=roles.sales, due_date=dt.date(2026, 2, 1))
    sla.calendar.closed_dates.create(date=dt.date(2026, 8, 14))
    draft = services.sla_amend(sla=sla, by=roles.sales_manager)
    assert draft.status == SLA.Status.DRAFT and draft.version == 2 and draft.series == sla.series
    assert draft.amends == sla and draft.pk != sla.pk
    assert draft.commitments.count() == 9 and draft.maturity_rules.count() == 3
    assert draft.goals.count() == 1 and draft.milestones.count() == 1
    assert draft.calendar.hours.count() == 5 and draft.calendar.closed_dates.count() == 1
    assert sla.commitments.count() == 9
    with pytest.raises(services.SLAConflict, match="already being prepared"):
        services.sla_amend(sla=sla, by=roles.mkt_manager)


def test_amend_refusals(roles):
    draft = make_sla(roles.marketing, roles.sales)
    with pytest.raises(services.SLAConflict):
        services.sla_amend(sla=draft, by=roles.mkt_manager)
    sla = signed(roles, start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31))
    with pytest.raises(PermissionDenied):
        services.sla_amend(sla=sla, by=roles.viewer)


@time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=dt.UTC), tick=False)
def test_a_signed_amendment_supersedes_the_old_version_at_its_start(roles):
    sla = signed(roles)
    draft = services.sla_amend(sla=sla, by=roles.mkt_manager)
    draft = services.sla_update(
        sla=draft, by=roles.mkt_manager, revision=draft.revision, data={"start_date": dt.date(2026, 7, 1)}
    )
    services.sla_submit(sla=draft, by=roles.mkt_manager)
    services.sla_sign(sla=draft, team=roles.marketing, by=roles.mkt_manager)
    services.sla_sign(sla=draft, team=roles.sales, by=roles.sales_manager)
    sla.refresh_from_db()
    draft.refresh_from_db()
    assert draft.status == SLA.Status.ACTIVE
    assert sla.status == SLA.Status.SUPERSEDED and sla.superseded_on == dt.date(2026, 7, 1)
    assert SLA.objects.governing(roles.marketing, roles.sales, dt.date(2026, 6, 30)) == sla
    assert SLA.objects.governing(roles.marketing, roles.sales, dt.date(2026, 7, 1)) == draft


@time_machine.travel(dt.datetime(2026, 11, 16, 23, 30, tzinfo=dt.UTC), tick=False)  # 17 Nov 00:30 in Paris
def test_an_amendment_signed_after_its_start_governs_from_the_day_it_is_signed(roles):
    """Issue 11: an amendment never rewrites the days its predecessor governed."""
    sla = signed(roles)
    draft = services.sla_amend(sla=sla, by=roles.mkt_manager)
    services.sla_submit(sla=draft, by=roles.mkt_manager)
    services.sla_sign(sla=draft, team=roles.marketing, by=roles.mkt_manager)
    services.sla_sign(sla=draft, team=roles.sales, by=roles.sales_manager)
    sla.refresh_from_db()
    draft.refresh_from_db()
    assert draft.start_date == dt.date(2026, 1, 1)  # the signed content is unchanged
    assert draft.in_force_from == dt.date(2026, 11, 17)  # the local date in the SLA's zone
    assert sla.superseded_on == dt.date(2026, 11, 17)
    assert SLA.objects.governing(roles.marketing, roles.sales, dt.date(2026, 11, 16)) == sla
    assert SLA.objects.governing(roles.marketing, roles.sales, dt.date(2026, 11, 17)) == draft
    # An instant is judged in the SLA's own zone: 23:00 UTC on the 16th is midnight of the 17th in Paris.
    governing_at = lambda hour, minute: SLA.objects.governing(  # noqa: E731
        roles.marketing, roles.sales, dt.datetime(2026, 11, 16, hour, minute, tzinfo=dt.UTC)
    )
    assert governing_at(23, 0) == draft
    assert governing_at(22, 59) == sla
    november = sla.month(dt.date(2026, 11, 1))
    assert sla.version_for(november.previous()) == sla  # October: the version in force at its end
    assert sla.version_for(november) == draft == draft.version_for(november)  # now


def test_an_amendment_binds_the_same_two_teams(roles):
    sla = signed(roles)
    draft = services.sla_amend(sla=sla, by=roles.admin)
    with pytest.raises(ValidationError) as refused:
        services.sla_update(sla=draft, by=roles.admin, revision=draft.revision, data={"sales_team": roles.other_sales})
    assert "sales_team" in refused.value.message_dict


def test_expiry_marks_only_active_slas_past_their_end(roles):
    old = signed(roles, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    current = signed(roles)
    assert services.sla_expire_due(today=dt.date(2026, 1, 1)) == 1
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.status == SLA.Status.EXPIRED and current.status == SLA.Status.ACTIVE
    assert services.sla_expire_due(today=dt.date(2026, 1, 1)) == 0


def test_the_expiry_task_runs_the_service(roles):
    import time_machine

    signed(roles, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31))
    with time_machine.travel(dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)):
        assert expire_due_slas.delay().get() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_final_signatures_never_activate_two_overlapping_slas():
    import threading

    from django.db import connection, connections

    from slas.tests.factories import role_users

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    roles = role_users()
    slas = []
    for start in (dt.date(2026, 1, 1), dt.date(2026, 6, 1)):
        sla = make_sla(roles.marketing, roles.sales, start=start, end=start.replace(year=start.year + 1))
        # Both in signature at once: submitted before the overlap rule refused it at submit.
        SLA.objects.filter(pk=sla.pk).update(status=SLA.Status.IN_SIGNATURE, fingerprint=sla.compute_fingerprint())
        services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
        slas.append(sla)
    barrier = threading.Barrier(len(slas))
    outcomes: list[str] = []

    def sign(sla):
        try:
            barrier.wait(timeout=10)
            services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
            outcomes.append("signed")
        except services.SLAConflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign, args=(sla,)) for sla in slas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "signed"]
    assert SLA.objects.filter(status=SLA.Status.ACTIVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_overlapping_slas_let_one_through():
    import threading

    from django.db import connection, connections

    from slas.tests.factories import role_users

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers anyway")
    roles = role_users()
    slas = [
        make_sla(roles.marketing, roles.sales, start=start, end=start.replace(year=start.year + 1))
        for start in (dt.date(2026, 1, 1), dt.date(2026, 6, 1))
    ]
    barrier = threading.Barrier(len(slas))
    outcomes: list[str] = []

    def submit(sla):
        try:
            barrier.wait(timeout=10)
            services.sla_submit(sla=sla, by=roles.mkt_manager)
            outcomes.append("submitted")
        except services.SLAConflict:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(sla,)) for sla in slas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "submitted"]
    assert SLA.objects.filter(status=SLA.Status.IN_SIGNATURE).count() == 1
