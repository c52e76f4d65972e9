"""The stage machine of the lead funnel (SPEC §2): every state change of a lead lives here.

Each entry point is keyword-only and atomic: it checks the permission matrix (SPEC §7),
locks the lead row, validates the back-dated ``occurred_at``, writes the append-only event
and opens or closes the follow-ups that the governing SLA asks for. The compliance engine
reads the rows written here (events, handoffs, follow-ups, activities), so they must be
faithful: ``first_reach`` marks the first arrival at a stage, follow-ups carry their due
times in business time, and completions store ``done_on_time`` and ``business_hours_taken``.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from slas.business_time import NoWorkingTime
from slas.clock import end_of_day
from slas.models import SLA, CommitmentKey, Function, Team
from slas.permissions import can_write, is_member_of, side_of, teams_of
from smarketing.webhooks import absolute_url, emit_event

from . import permissions
from .models import (
    FUNNEL_ORDER,
    MARKETING_STAGES,
    OPEN_STAGES,
    SALES_STAGES,
    Activity,
    FollowUp,
    Handoff,
    Lead,
    LeadEvent,
    Source,
    Stage,
    VisitCount,
)

# Editable contact and qualification fields (create, update, capture, import).
LEAD_DATA_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "job_title",
    "channel",
    "budget_voted",
    "team_formed",
    "timing_defined",
    "scope_defined",
    "pain_identified",
    "deal_value",
    "consent_to_contact",
)
QUALIFICATION_FIELDS = ("budget_voted", "team_formed", "timing_defined", "scope_defined", "pain_identified")

# Stage moves done through ``lead_transition``. MQL → SQL is never a plain transition: it is
# a handoff decided by sales (``lead_handoff`` / ``lead_accept``).
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.VISITOR: frozenset({Stage.PROSPECT, Stage.MQL}),
    Stage.PROSPECT: frozenset({Stage.MQL}),
    Stage.MQL: frozenset({Stage.PROSPECT}),
    Stage.SQL: frozenset({Stage.OPPORTUNITY}),
    Stage.OPPORTUNITY: frozenset({Stage.SQL, Stage.CLIENT}),
    Stage.CLIENT: frozenset(),
}


def transition_targets(lead: Lead, *, pending: bool | None = None) -> list[str]:
    """The stages ``lead_transition`` accepts for this lead now, in funnel order (lost last).

    The one list the lead page and the board offer: the moves of ``ALLOWED_TRANSITIONS``, lost
    from any open stage, and only the stage it was lost from for a lost lead. A lead waiting
    for a handoff decision (``pending``; looked up when not given) or held by sales moves nowhere.
    """
    if pending is None:
        pending = lead.handoffs.filter(status=Handoff.Status.PENDING).exists()
    if lead.is_temporarily_with_sales or pending:
        return []
    if lead.stage == Stage.LOST:
        return [lead.lost_from_stage or Stage.PROSPECT]
    targets = set(ALLOWED_TRANSITIONS.get(lead.stage, frozenset()))
    if lead.stage in OPEN_STAGES:
        targets.add(Stage.LOST)
    return [stage for stage in [*FUNNEL_ORDER, Stage.LOST] if stage in targets]


class LeadConflict(Exception):
    """The lead changed under the caller (stale stage or version, handoff already decided)."""


# --- helpers -----------------------------------------------------------------------------


def _deny(message: str) -> None:
    raise PermissionDenied(message)


def _lock(lead: Lead, *, expected_stage: str | None = None, expected_version: int | None = None) -> Lead:
    """Lock the lead row and refuse to work on a stale view of it."""
    # No join in the locking query: PostgreSQL re-checks a join against the row a concurrent
    # transaction just changed (e.g. owner_team on accept) and would drop it (DoesNotExist).
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if expected_stage is not None and locked.stage != expected_stage:
        raise LeadConflict(
            _("This lead is now in stage “%(stage)s”; reload it and try again.") % {"stage": locked.get_stage_display()}
        )
    if expected_version is not None and locked.version != expected_version:
        raise LeadConflict(_("This lead was changed by someone else; reload it and try again."))
    return locked


def _when(lead: Lead | None, occurred_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """Validate a back-dated time: never in the future, never before the lead's latest event."""
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    if occurred_at > now:
        raise ValidationError({"occurred_at": _("This cannot happen in the future.")})
    if lead is not None and lead.last_event_at and occurred_at < lead.last_event_at:
        raise ValidationError(
            {
                "occurred_at": _("This cannot be dated before the lead's latest event (%(when)s).")
                % {"when": timezone.localtime(lead.last_event_at).strftime("%Y-%m-%d %H:%M")}
            }
        )
    return occurred_at


def _first_reach(lead: Lead, stage: str) -> bool:
    return not LeadEvent.objects.filter(lead=lead, to_stage=stage, first_reach=True).exists()


def _record(
    lead: Lead, *, kind: str, by, occurred_at: dt.datetime, now: dt.datetime, to_stage: str = "", **fields: Any
) -> LeadEvent:
    """Append one event and move the lead's clock forward (saved by the caller)."""
    first_reach = bool(to_stage) and _first_reach(lead, to_stage)
    event = _event(lead, kind=kind, by=by, occurred_at=occurred_at, now=now, to_stage=to_stage, **fields)
    event.first_reach = first_reach
    event.save()
    return event


def _event(lead: Lead, **arguments: Any) -> LeadEvent:
    """One event of the lead, not saved yet, and the lead's clock moved forward (saved by the caller)."""
    return LeadEvent(**_event_values(lead, **arguments))


def _event_values(
    lead: Lead, *, kind: str, by, occurred_at: dt.datetime, now: dt.datetime, to_stage: str = "", **fields: Any
) -> dict[str, Any]:
    """The fields of one event of the lead, and the lead's clock moved forward (saved by the caller)."""
    if lead.last_event_at is None or occurred_at > lead.last_event_at:
        lead.last_event_at = occurred_at
    lead.version += 1
    return {
        "lead": lead,
        "kind": kind,
        "actor": by if getattr(by, "pk", None) else None,
        "occurred_at": occurred_at,
        "recorded_at": now,
        "is_late_entry": LeadEvent.late(occurred_at, now),
        "to_stage": to_stage,
        **fields,
    }


def _move(lead: Lead, to: str, occurred_at: dt.datetime) -> str:
    from_stage = lead.stage
    lead.stage = to
    lead.stage_entered_at = occurred_at
    return from_stage


def _set_category(lead: Lead) -> None:
    if not lead.category_overridden:
        lead.maturity_category = lead.derived_category()


def _business_time(compute, *args) -> dt.datetime:
    """Business-time arithmetic of the SLA's clock; a clock that cannot answer is bad input.

    The SLA's bounds (``slas.models``) make every deadline computable; this only guards SLAs
    signed before those bounds existed (e.g. 99,999 business hours).
    """
    try:
        return compute(*args)
    except (NoWorkingTime, OverflowError) as exc:
        raise ValidationError(
            _(
                "The SLA in force cannot compute this deadline (its working calendar or parameters are "
                "out of bounds); amend the SLA."
            )
        ) from exc


def _close(followup: FollowUp, at: dt.datetime) -> None:
    followup.status = FollowUp.Status.DONE
    followup.done_at = at
    followup.done_on_time = at <= followup.due_at
    if followup.sla_id:
        calendar = followup.sla.business_calendar
        followup.business_hours_taken = _business_time(calendar.business_hours_between, followup.starts_at, at)
    followup.save(update_fields=["status", "done_at", "done_on_time", "business_hours_taken"])


def _open_followups(lead: Lead, *kinds: str):
    return FollowUp.objects.open().select_related("sla").filter(lead=lead, kind__in=kinds)


def _cancel_open_followups(lead: Lead, at: dt.datetime) -> None:
    """The lead's open SLA obligations lapse at ``at`` (they stay counted if already past due).

    Action items about the lead are left open: a meeting decided them, not the lead's stage.
    """
    FollowUp.objects.open().sla_obligations().filter(lead=lead).update(
        status=FollowUp.Status.CANCELLED, cancelled_at=at
    )


def _clean_data(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(LEAD_DATA_FIELDS)
    if unknown:
        raise ValidationError({field: _("This field cannot be set here.") for field in sorted(unknown)})
    cleaned = dict(data)
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].strip().lower()
    elif "email" in cleaned:
        cleaned["email"] = None
    return cleaned


def _full_clean(lead: Lead) -> None:
    lead.full_clean(exclude=["owner_team", "capture_form", "sla", "return_team", "created_by", "owner_user"])


# --- creation and edits ------------------------------------------------------------------


# What a second capture of a known e-mail may do to the lead (SPEC §2): fill what is blank,
# never change what is filled. Qualification answers only ever become proposals: they move the
# maturity category, hence the SLA's deadlines.
PROPOSE_ONLY_FIELDS = frozenset(QUALIFICATION_FIELDS)


def _blank(value: Any) -> bool:
    """Nothing given: None, an empty text or an unticked box (0 is a value)."""
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def capture_merge(lead: Lead, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict]]:
    """The one rule for a capture, an API create or an import row that matches an existing lead.

    Returns ``(filled, proposed)``: the blank fields the submission may fill, and for each
    filled field it would change, ``{"old": …, "new": …}`` — kept on the "captured again"
    event for someone allowed to edit the lead to apply (``lead_apply_proposal``). A value
    left empty (or an unticked box) proposes nothing.
    """
    filled: dict[str, Any] = {}
    proposed: dict[str, dict] = {}
    for field, value in data.items():
        if field == "email" or _blank(value):
            continue
        current = getattr(lead, field)
        if current == value:
            continue
        if _blank(current) and field not in PROPOSE_ONLY_FIELDS:
            filled[field] = value
        else:
            proposed[field] = {"old": _jsonable(current), "new": _jsonable(value)}
    return filled, proposed


def _new_lead(data: dict[str, Any], *, team: Team, by, when: dt.datetime, stage: str, source: str, capture_form=None):
    """A new lead as ``lead_create`` makes it (not saved, not validated yet)."""
    lead = Lead(
        **data,
        owner_team=team,
        stage=stage,
        stage_entered_at=when,
        source=source,
        capture_form=capture_form,
        created_by=by if getattr(by, "pk", None) else None,
        created_at=when,
    )
    if lead.consent_to_contact:
        lead.consent_at = when
    _set_category(lead)
    return lead


def _new_leads(*, by, source: str):
    """``_new_lead`` for many rows (an import): ``make(data, team=…, when=…, stage=…)``.

    The lead of each (team, stage, time) is made once by ``_new_lead``; each row's lead is that
    one's field values with the row's given fields in place, built from positional values (a
    fifth of the cost of a model built from keywords: 5,000 rows took 112 ms of CPU), then the
    same consent time and derived category as ``_new_lead``. ``test_import_set_based`` compares
    an imported lead with the one ``lead_create`` makes.
    """
    fields = Lead._meta.concrete_fields
    position = {field.name: n for n, field in enumerate(fields)}
    made: dict[tuple, list] = {}

    def make(data: dict[str, Any], *, team: Team, when: dt.datetime, stage: str) -> Lead:
        key = (team.pk, stage, when)
        if key not in made:
            first = _new_lead({}, team=team, by=by, when=when, stage=stage, source=source)
            made[key] = [getattr(first, field.attname) for field in fields]
        values = made[key].copy()
        for name, value in data.items():
            values[position[name]] = value
        lead = Lead(*values)
        if lead.consent_to_contact:
            lead.consent_at = when
        _set_category(lead)
        return lead

    return make


def _check_new_lead_input(by, team: Team, stage: str) -> None:
    if by is not None and not permissions.can_create_lead(by, team):
        _deny(_("You may not create leads for this team."))
    if team.function != Function.MARKETING:
        raise ValidationError({"team": _("New leads belong to a marketing team.")})
    if stage not in MARKETING_STAGES:
        raise ValidationError({"stage": _("A new lead starts in a marketing stage (visitor, prospect or MQL).")})


LEAD_FIELD_NAMES = frozenset(f.name for f in Lead._meta.concrete_fields)


@contextmanager
def _row_refusal(item: dict[str, Any]):
    """A rule's refusal of an import row, named by its row number."""
    try:
        yield
    except ValidationError as exc:
        messages = "; ".join(exc.messages)
        raise ValidationError(_("Row %(row)s: %(msg)s") % {"row": item["number"], "msg": messages}) from exc


@transaction.atomic
def leads_create_many(
    *, items: list[dict[str, Any]], by, source: str = Source.IMPORT, chunk: int = 2000, progress=None
) -> int:
    """``lead_create`` for many leads at once (a CSV import), set-based. Returns how many were written.

    Each item is ``{"data", "team", "stage", "occurred_at", "number"}``. The same rules as
    ``lead_create``, checked once per team; an item whose e-mail already belongs to a lead is a
    second capture and goes through ``lead_create`` (touch and merge, one by one). The new leads
    and their "created" events are inserted ``chunk`` at a time (one COPY each, each new lead made
    and checked while the server stores the previous ones), the e-mail lookups ``chunk`` at a
    time too. One transaction: every item or none. A row refused by a rule is a
    ``ValidationError`` naming its row number (the known e-mails of a chunk are merged before
    its new leads are checked). ``progress(done)`` is called after each chunk.
    """
    from smarketing.bulk import copy_insert, copy_values, gc_paused

    from .signals import rows_bulk_created

    for team, stage in {(item["team"], item["stage"]) for item in items}:
        _check_new_lead_input(by, team, stage)
    now = timezone.now()
    new_lead = _new_leads(by=by, source=source)
    done = 0
    with gc_paused():  # thousands of rows built: no full collections meanwhile
        for start in range(0, len(items), chunk):
            batch = items[start : start + chunk]
            emails = [item["data"]["email"] for item in batch if item["data"].get("email")]
            known = (
                {e.lower() for e in Lead.objects.with_email(*emails).values_list("email", flat=True)}
                if emails
                else set()
            )
            fresh, events = [], []
            for item in batch:
                with _row_refusal(item):
                    data = _clean_data(item["data"])
                    if data.get("email") and data["email"] in known:
                        lead_create(
                            data=data,
                            team=item["team"],
                            by=by,
                            occurred_at=item["occurred_at"],
                            source=source,
                            stage=item["stage"],
                        )
                    else:
                        fresh.append((item, data))

            def leads(fresh=fresh, events=events):
                # Made and checked while PostgreSQL stores the rows already sent (``copy_insert``).
                for item, data in fresh:
                    with _row_refusal(item):
                        when = _when(None, item["occurred_at"], now)
                        lead = new_lead(data, team=item["team"], when=when, stage=item["stage"])
                        # The rules of the fields the row gives and the model's own (who a lead is);
                        # the fields set here are valid by construction, and the unique e-mail is the
                        # index's (looked up above, per chunk).
                        lead.full_clean(
                            exclude=[name for name in LEAD_FIELD_NAMES if name not in data],
                            validate_unique=False,
                            validate_constraints=False,
                        )
                    events.append(
                        _event_values(
                            lead,
                            kind=LeadEvent.Kind.CREATED,
                            by=by,
                            occurred_at=when,
                            now=now,
                            to_stage=item["stage"],
                            first_reach=True,  # a new lead has reached nothing yet
                            team=item["team"],
                            payload={"source": source},
                        )
                    )
                    yield lead

            copy_insert(Lead, leads(), count=len(fresh))
            copy_values(LeadEvent, events)
            done += len(batch)
            if progress is not None:
                progress(done)
    rows_bulk_created.send(sender=LeadEvent)
    return done


@transaction.atomic
def lead_create(
    *,
    data: dict[str, Any],
    team: Team,
    by=None,
    occurred_at: dt.datetime | None = None,
    source: str = Source.MANUAL,
    stage: str = Stage.PROSPECT,
    capture_form=None,
) -> Lead:
    """Create a lead owned by a marketing team — or, when a lead has that e-mail, log the touch.

    A second capture of the same person (e-mail, case-insensitive) never changes a filled
    field of the existing lead, nor its owner or stage: it fills blank fields, logs a
    ``captured_again`` event carrying the differing values as proposals (``capture_merge``),
    and returns the lead with ``captured_again = True`` (callers answer 200, not 201).
    Public captures pass ``by=None``; every other caller needs ``can_create_lead``.
    """
    _check_new_lead_input(by, team, stage)
    data = _clean_data(data)
    now = timezone.now()
    email = data.get("email")
    existing = next(iter(Lead.objects.with_email(email)[:1]), None) if email else None
    if existing is not None:
        lead = _lock(existing)
        when = _when(lead, occurred_at, now)
        filled, proposed = capture_merge(lead, data)
        for field, value in filled.items():
            setattr(lead, field, value)
        if filled.get("consent_to_contact") and not lead.consent_at:
            lead.consent_at = when
        _set_category(lead)
        _full_clean(lead)
        payload = {"source": source, "changed": {k: str(v) for k, v in filled.items()}, "proposed": proposed}
        if lead.owner_team_id != team.pk:
            payload["submitted_team"] = {"id": team.pk, "name": team.name}
        if lead.stage != stage:
            payload["submitted_stage"] = stage
        _record(lead, kind=LeadEvent.Kind.CAPTURED_AGAIN, by=by, occurred_at=when, now=now, payload=payload)
        lead.save()
        lead.captured_again = True
        return lead

    when = _when(None, occurred_at, now)
    lead = _new_lead(data, team=team, by=by, when=when, stage=stage, source=source, capture_form=capture_form)
    _full_clean(lead)
    lead.save()
    _record(
        lead,
        kind=LeadEvent.Kind.CREATED,
        by=by,
        occurred_at=when,
        now=now,
        to_stage=stage,
        team=team,
        payload={"source": source},
    )
    lead.save(update_fields=["last_event_at", "version"])
    lead.captured_again = False
    return lead


@transaction.atomic
def lead_update(
    *,
    lead: Lead,
    data: dict[str, Any],
    by,
    occurred_at: dt.datetime | None = None,
    expected_version: int | None = None,
    applied_from: LeadEvent | None = None,
) -> Lead:
    """Edit contact, qualification and deal data; a changed derived category is logged too.

    ``applied_from`` is the "captured again" event whose proposals the edit applies (noted on
    the update event).
    """
    lead = _lock(lead, expected_version=expected_version)
    if not permissions.can_work_lead(by, lead):
        _deny(_("You may not edit this lead."))
    data = _clean_data(data)
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    if data.get("email"):
        duplicate = Lead.objects.with_email(data["email"]).exclude(pk=lead.pk).exists()
        if duplicate:
            raise ValidationError({"email": _("Another lead already has this e-mail address.")})
    changed = {}
    for field, value in data.items():
        if getattr(lead, field) != value:
            changed[field] = str(value)
            setattr(lead, field, value)
    if not changed:
        return lead
    if lead.consent_to_contact and not lead.consent_at:
        lead.consent_at = when
    old_category = lead.maturity_category
    _set_category(lead)
    _full_clean(lead)
    payload: dict[str, Any] = {"changed": changed}
    if applied_from is not None:
        payload["applied_from"] = applied_from.pk
    _record(lead, kind=LeadEvent.Kind.UPDATED, by=by, occurred_at=when, now=now, payload=payload)
    if lead.maturity_category != old_category:
        _record(
            lead,
            kind=LeadEvent.Kind.CATEGORY_CHANGED,
            by=by,
            occurred_at=when,
            now=now,
            payload={"from": old_category, "to": lead.maturity_category, "derived": True},
        )
    lead.save()
    return lead


@transaction.atomic
def lead_apply_proposal(
    *, lead: Lead, event: LeadEvent, by, fields: list[str] | None = None, expected_version: int | None = None
) -> Lead:
    """Apply values a later capture proposed (all, or ``fields``) through ``lead_update``."""
    if not permissions.can_work_lead(by, lead):
        _deny(_("You may not edit this lead."))
    if event.lead_id != lead.pk or event.kind != LeadEvent.Kind.CAPTURED_AGAIN:
        raise ValidationError({"event": _("This is not a capture of this lead.")})
    proposed = event.payload.get("proposed") or {}
    wanted = list(proposed) if fields is None else fields
    chosen = [field for field in wanted if field in proposed and field in LEAD_DATA_FIELDS]
    if not chosen:
        raise ValidationError({"fields": _("Choose at least one proposed value to apply.")})
    data = {field: Lead._meta.get_field(field).to_python(proposed[field]["new"]) for field in chosen}
    return lead_update(lead=lead, data=data, by=by, expected_version=expected_version, applied_from=event)


@transaction.atomic
def lead_set_category(
    *, lead: Lead, category: int | None, by, reason: str = "", occurred_at: dt.datetime | None = None
) -> Lead:
    """Override the derived maturity category (a reason is required), or clear the override."""
    lead = _lock(lead)
    if not permissions.can_work_lead(by, lead):
        _deny(_("You may not change this lead's category."))
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    old = lead.maturity_category
    if category is None:
        lead.category_overridden = False
        lead.category_override_reason = ""
        lead.maturity_category = lead.derived_category()
    else:
        if category not in (1, 2, 3):
            raise ValidationError({"category": _("The category is 1, 2 or 3.")})
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the category differs from the qualification answers.")})
        lead.category_overridden = True
        lead.category_override_reason = reason.strip()
        lead.maturity_category = category
    _record(
        lead,
        kind=LeadEvent.Kind.CATEGORY_CHANGED,
        by=by,
        occurred_at=when,
        now=now,
        reason=reason.strip(),
        payload={"from": old, "to": lead.maturity_category, "derived": category is None},
    )
    lead.save()
    return lead


# --- stage machine -----------------------------------------------------------------------


def _may_move(user, lead: Lead, stage_side: str) -> bool:
    if stage_side in MARKETING_STAGES:
        return permissions.can_edit_marketing_lead(user, lead)
    return permissions.can_work_sales_lead(user, lead)


@transaction.atomic
def lead_transition(
    *,
    lead: Lead,
    to: str,
    by,
    reason: str = "",
    occurred_at: dt.datetime | None = None,
    expected_stage: str | None = None,
    deal_value: Decimal | None = None,
) -> Lead:
    """Move a lead along the funnel, mark it lost (reason required) or reopen it.

    Lost is reachable from any open stage; a lost lead reopens to the stage it was lost
    from. Becoming a client records the deal value on the event (won revenue reads it).
    """
    lead = _lock(lead, expected_stage=expected_stage)
    now = timezone.now()
    if to not in Stage.values:
        raise ValidationError({"to": _("Unknown stage.")})
    if lead.handoffs.filter(status=Handoff.Status.PENDING).exists():
        raise LeadConflict(_("A handoff to sales is waiting for a decision; accept or reject it first."))
    if lead.is_temporarily_with_sales:
        raise LeadConflict(_("Sales holds this lead temporarily; return it to marketing first."))

    if to == Stage.LOST:
        if lead.stage not in OPEN_STAGES:
            raise ValidationError({"to": _("Only an open lead can be marked lost.")})
        if not _may_move(by, lead, lead.stage):
            _deny(_("You may not mark this lead lost."))
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the lead was lost.")})
        when = _when(lead, occurred_at, now)
        from_stage = _move(lead, Stage.LOST, when)
        lead.lost_from_stage = from_stage
        lead.lost_reason = reason.strip()
        _cancel_open_followups(lead, when)
        _record(
            lead,
            kind=LeadEvent.Kind.LOST,
            by=by,
            occurred_at=when,
            now=now,
            from_stage=from_stage,
            to_stage=Stage.LOST,
            reason=reason.strip(),
            team=lead.owner_team,
        )
        lead.save()
        return lead

    if lead.stage == Stage.LOST:
        back_to = lead.lost_from_stage or Stage.PROSPECT
        if to != back_to:
            raise ValidationError(
                {
                    "to": _("A lost lead reopens to the stage it was lost from (%(stage)s).")
                    % {"stage": Stage(back_to).label}
                }
            )
        if not _may_move(by, lead, back_to):
            _deny(_("You may not reopen this lead."))
        when = _when(lead, occurred_at, now)
        _move(lead, back_to, when)
        lead.lost_from_stage = ""
        lead.lost_reason = ""
        _record(
            lead,
            kind=LeadEvent.Kind.REOPENED,
            by=by,
            occurred_at=when,
            now=now,
            from_stage=Stage.LOST,
            to_stage=back_to,
            reason=reason.strip(),
            team=lead.owner_team,
        )
        lead.save()
        return lead

    if to not in ALLOWED_TRANSITIONS.get(lead.stage, frozenset()):
        if lead.stage == Stage.MQL and to == Stage.SQL:
            message = _("An MQL becomes an SQL when sales accepts its handoff.")
        else:
            message = _("A lead cannot move from %(from)s to %(to)s.") % {
                "from": Stage(lead.stage).label,
                "to": Stage(to).label,
            }
        raise ValidationError({"to": message})
    if not _may_move(by, lead, lead.stage):
        _deny(_("You may not move this lead."))
    anonymous = Lead.identity_error(to, first_name=lead.first_name, last_name=lead.last_name, email=lead.email)
    if anonymous:
        raise ValidationError({"to": anonymous})
    when = _when(lead, occurred_at, now)
    value = None
    if to == Stage.CLIENT:
        value = deal_value if deal_value is not None else lead.deal_value
        if value is None:
            raise ValidationError({"deal_value": _("Give the deal value of the won lead.")})
        if Decimal(value) < 0:
            raise ValidationError({"deal_value": _("The deal value cannot be negative.")})
        lead.deal_value = value
    from_stage = _move(lead, to, when)
    _record(
        lead,
        kind=LeadEvent.Kind.STAGE_CHANGED,
        by=by,
        occurred_at=when,
        now=now,
        from_stage=from_stage,
        to_stage=to,
        reason=reason.strip(),
        deal_value=value,
        team=lead.owner_team,
        sla=lead.sla,
    )
    if to == Stage.OPPORTUNITY:
        # Reaching opportunity inside the attempt window fulfils the contact-attempts promise.
        for followup in _open_followups(lead, FollowUp.Kind.CONTACT_ATTEMPTS, FollowUp.Kind.FIRST_CONTACT):
            if followup.kind == FollowUp.Kind.CONTACT_ATTEMPTS and when <= followup.due_at:
                _close(followup, when)
    if to == Stage.CLIENT:
        _cancel_open_followups(lead, when)
    lead.save()
    return lead


# --- handoff -----------------------------------------------------------------------------


def _governing_sla(marketing_team: Team, sales_team: Team, when: dt.datetime) -> SLA | None:
    sla = SLA.objects.governing(marketing_team, sales_team, when)
    if sla is not None:
        # One query each instead of one per lookup in ``commitment()``/``maturity_rule()``.
        sla = SLA.objects.prefetch_related("commitments", "maturity_rules").select_related().get(pk=sla.pk)
    return sla


def decision_hours(sla: SLA, category: int | None) -> Decimal | None:
    """H of the handoff-response commitment, else the response time of the category's rule."""
    commitment = sla.commitment(CommitmentKey.HANDOFF_RESPONSE)
    if commitment is not None and commitment.hours:
        return commitment.hours
    rule = sla.maturity_rule(category)
    return rule.response_hours if rule is not None else None


@transaction.atomic
def lead_handoff(
    *, lead: Lead, team: Team, by, occurred_at: dt.datetime | None = None, expected_stage: str | None = None
) -> Handoff:
    """Marketing hands an MQL to a sales team, which owes a decision within H business hours."""
    lead = _lock(lead, expected_stage=expected_stage)
    if not permissions.can_handoff(by, lead):
        if lead.stage != Stage.MQL:
            raise ValidationError({"stage": _("Only an MQL can be handed off to sales.")})
        _deny(_("You may not hand off this lead."))
    if team.function != Function.SALES:
        raise ValidationError({"team": _("Hand the lead to a sales team.")})
    if lead.handoffs.filter(status=Handoff.Status.PENDING).exists():
        raise LeadConflict(_("This lead is already waiting for a sales decision."))
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    sla = _governing_sla(lead.owner_team, team, when)
    due = None
    if sla is not None:
        hours = decision_hours(sla, lead.maturity_category)
        if hours is not None:
            due = _business_time(sla.business_calendar.add_business_hours, when, hours)
    handoff = Handoff.objects.create(
        lead=lead,
        from_team=lead.owner_team,
        to_team=team,
        sla=sla,
        handed_off_at=when,
        handed_off_by=by,
        decision_due_at=due,
        maturity_category=lead.maturity_category,
    )
    lead.sla = sla
    _record(
        lead,
        kind=LeadEvent.Kind.HANDED_OFF,
        by=by,
        occurred_at=when,
        now=now,
        from_stage=lead.stage,
        team=team,
        sla=sla,
        payload={"handoff": handoff.pk},
    )
    if due is not None:
        FollowUp.objects.create(
            lead=lead,
            sla=sla,
            handoff=handoff,
            kind=FollowUp.Kind.HANDOFF_DECISION,
            starts_at=when,
            due_at=due,
            owner_team=team,
            created_at=now,
        )
    lead.save()
    _emit_handoff_event("lead.handed_off", handoff)
    return handoff


def _emit_handoff_event(event_type: str, handoff: Handoff) -> None:
    """Outbound webhook for a handoff step, written in the same transaction as the change."""
    lead = handoff.lead
    emit_event(
        event_type,
        {
            "lead": handoff.lead_id,
            "handoff": handoff.pk,
            "status": handoff.status,
            "from_team": handoff.from_team_id,
            "to_team": handoff.to_team_id,
            "sla": handoff.sla_id,
            "handed_off_at": handoff.handed_off_at.isoformat(),
            "decision_due_at": handoff.decision_due_at.isoformat() if handoff.decision_due_at else None,
            "decided_at": handoff.decided_at.isoformat() if handoff.decided_at else None,
            "reason": handoff.reason,
            # Enough to act without a second call (issue 15): who, which teams, where to look.
            "from_team_name": handoff.from_team.name,
            "to_team_name": handoff.to_team.name,
            "lead_name": f"{lead.first_name} {lead.last_name}".strip(),
            "lead_email": lead.email,
            "lead_company": lead.company,
            "lead_stage": lead.stage,
            "maturity_category": lead.maturity_category,
            "owner_user": lead.owner_user_id,
            "api_url": absolute_url(reverse("api-lead-detail", args=[lead.pk])),
            "web_url": absolute_url(reverse("leads:detail", args=[lead.pk])),
        },
        key=f"handoff:{handoff.pk}:{handoff.status}",
    )


def _pending_handoff(lead: Lead) -> Handoff:
    handoff = lead.handoffs.select_related("to_team", "from_team", "sla").filter(status=Handoff.Status.PENDING).first()
    if handoff is None:
        raise LeadConflict(_("There is no handoff waiting for a decision on this lead (already decided?)."))
    return handoff


def _decide(handoff: Handoff, status: str, by, when: dt.datetime, reason: str = "") -> None:
    handoff.status = status
    handoff.decided_at = when
    handoff.decided_by = by
    handoff.reason = reason
    handoff.save(update_fields=["status", "decided_at", "decided_by", "reason"])
    for followup in _open_followups(handoff.lead, FollowUp.Kind.HANDOFF_DECISION).filter(handoff=handoff):
        _close(followup, when)


@transaction.atomic
def lead_accept(*, lead: Lead, by, owner=None, occurred_at: dt.datetime | None = None) -> Lead:
    """Sales accepts a pending handoff: the lead becomes an SQL owned by the sales team.

    Opens the first-contact follow-up (H per maturity category) and the contact-attempts
    window (K attempts within D business days), both starting at acceptance.
    """
    lead = _lock(lead)
    handoff = _pending_handoff(lead)
    if not permissions.can_decide_handoff(by, handoff.to_team):
        _deny(_("You may not decide this handoff."))
    if owner is None and is_member_of(by, handoff.to_team):
        owner = by
    if owner is not None and not is_member_of(owner, handoff.to_team):
        raise ValidationError({"owner": _("The owner must be a member of %(team)s.") % {"team": handoff.to_team}})
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    _decide(handoff, Handoff.Status.ACCEPTED, by, when)
    from_stage = _move(lead, Stage.SQL, when)
    lead.owner_team = handoff.to_team
    lead.owner_user = owner
    lead.return_team = handoff.from_team
    _record(
        lead,
        kind=LeadEvent.Kind.ACCEPTED,
        by=by,
        occurred_at=when,
        now=now,
        from_stage=from_stage,
        to_stage=Stage.SQL,
        team=handoff.to_team,
        owner_user=owner,
        sla=handoff.sla,
        payload={"handoff": handoff.pk},
    )
    sla = handoff.sla
    if sla is not None:
        sla = SLA.objects.prefetch_related("commitments").get(pk=sla.pk)
        calendar = sla.business_calendar
        common = {
            "lead": lead,
            "sla": sla,
            "handoff": handoff,
            "starts_at": when,
            "owner_team": handoff.to_team,
            "owner_user": owner,
            "created_at": now,
        }
        first_contact = sla.commitment(CommitmentKey.FIRST_CONTACT)
        hours = first_contact.hours_for_category(lead.maturity_category) if first_contact else None
        if hours:
            FollowUp.objects.create(
                kind=FollowUp.Kind.FIRST_CONTACT,
                due_at=_business_time(calendar.add_business_hours, when, hours),
                **common,
            )
        attempts = sla.commitment(CommitmentKey.CONTACT_ATTEMPTS)
        if attempts is not None and attempts.days and attempts.attempts:
            FollowUp.objects.create(
                kind=FollowUp.Kind.CONTACT_ATTEMPTS,
                due_at=_business_time(calendar.add_business_days, when, attempts.days),
                required_attempts=attempts.attempts,
                **common,
            )
    lead.save()
    _emit_handoff_event("lead.accepted", handoff)
    return lead


@transaction.atomic
def lead_reject(*, lead: Lead, by, reason: str, occurred_at: dt.datetime | None = None) -> Lead:
    """Sales rejects a pending handoff with a reason; the MQL stays with marketing."""
    lead = _lock(lead)
    handoff = _pending_handoff(lead)
    if not permissions.can_decide_handoff(by, handoff.to_team):
        _deny(_("You may not decide this handoff."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the lead is rejected.")})
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    _decide(handoff, Handoff.Status.REJECTED, by, when, reason.strip())
    _record(
        lead,
        kind=LeadEvent.Kind.REJECTED,
        by=by,
        occurred_at=when,
        now=now,
        from_stage=lead.stage,
        team=handoff.from_team,
        sla=handoff.sla,
        reason=reason.strip(),
        payload={"handoff": handoff.pk},
    )
    lead.save()
    _emit_handoff_event("lead.rejected", handoff)
    return lead


# --- temporary ownership -----------------------------------------------------------------


@transaction.atomic
def lead_take(
    *, lead: Lead, by, until: dt.datetime | dt.date, team: Team | None = None, occurred_at: dt.datetime | None = None
) -> Lead:
    """Sales takes a marketing lead temporarily, for a sales team the taker belongs to (an admin
    for any), when the SLA's maturity rule allows it.

    ``until`` is a moment, or a date: the end of that day in the SLA's time zone ("until the 20th"
    includes the 20th).
    """
    lead = _lock(lead)
    if not permissions.can_take(by, lead):
        _deny(_("You may not take this lead."))
    if team is None:
        sales_teams = teams_of(by, Function.SALES)
        if len(sales_teams) != 1:
            raise ValidationError({"team": _("Say which sales team takes the lead.")})
        team = sales_teams[0]
    if team.function != Function.SALES:
        raise ValidationError({"team": _("Only a sales team can take a lead.")})
    if not permissions.can_take(by, lead, team):
        _deny(_("You may take a lead only for a sales team you belong to."))
    if lead.handoffs.filter(status=Handoff.Status.PENDING).exists():
        raise LeadConflict(_("A handoff to sales is waiting for a decision."))
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    sla = _governing_sla(lead.owner_team, team, when)
    until = end_of_day(until, sla.time_zone if sla is not None else settings.TIME_ZONE)
    if until <= when:
        raise ValidationError({"until": _("The return date must be after the take.")})
    rule = sla.maturity_rule(lead.maturity_category) if sla is not None else None
    if rule is None or not rule.sales_may_take:
        raise ValidationError(
            {"until": _("The SLA in force does not let sales take a lead of this maturity category.")}
        )
    if rule.take_max_days and until > when + dt.timedelta(days=rule.take_max_days):
        raise ValidationError(
            {"until": _("Sales may keep this lead at most %(days)s days.") % {"days": rule.take_max_days}}
        )
    owner = by if is_member_of(by, team) else None
    lead.return_team = lead.owner_team
    lead.owner_team = team
    lead.owner_user = owner
    lead.temporary_until = until
    lead.sla = sla
    _record(
        lead,
        kind=LeadEvent.Kind.TAKEN,
        by=by,
        occurred_at=when,
        now=now,
        from_stage=lead.stage,
        team=team,
        owner_user=owner,
        sla=sla,
        payload={"until": until.isoformat()},
    )
    FollowUp.objects.create(
        lead=lead,
        sla=sla,
        kind=FollowUp.Kind.RETURN_DUE,
        starts_at=when,
        due_at=until,
        owner_team=team,
        owner_user=owner,
        created_at=now,
    )
    lead.save()
    return lead


@transaction.atomic
def lead_return(*, lead: Lead, by, feedback: str = "", occurred_at: dt.datetime | None = None) -> Lead:
    """Sales returns a lead to marketing for nurturing; feedback is asked for, not required.

    A return without feedback counts against sales (``payload.has_feedback`` is False).
    A sales-stage lead goes back to MQL; a temporarily taken lead keeps its stage.
    """
    lead = _lock(lead)
    if not permissions.can_return(by, lead):
        _deny(_("You may not return this lead to marketing."))
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    marketing_team = lead.return_team
    if marketing_team is None:
        last = lead.handoffs.filter(status=Handoff.Status.ACCEPTED).select_related("from_team").first()
        marketing_team = last.from_team if last else None
    if marketing_team is None:
        raise ValidationError({"team": _("No marketing team to return this lead to.")})
    feedback = (feedback or "").strip()
    for followup in _open_followups(lead, FollowUp.Kind.RETURN_DUE):
        _close(followup, when)
    _cancel_open_followups(lead, when)
    from_stage = lead.stage
    to_stage = ""
    if lead.stage in SALES_STAGES:
        _move(lead, Stage.MQL, when)
        to_stage = Stage.MQL
    lead.owner_team = marketing_team
    lead.owner_user = None
    lead.temporary_until = None
    lead.return_team = None
    _record(
        lead,
        kind=LeadEvent.Kind.RETURNED,
        by=by,
        occurred_at=when,
        now=now,
        from_stage=from_stage,
        to_stage=to_stage,
        team=marketing_team,
        sla=lead.sla,
        reason=feedback,
        payload={"has_feedback": bool(feedback)},
    )
    lead.save()
    return lead


# --- activities and visits ---------------------------------------------------------------


@transaction.atomic
def activity_log(
    *,
    lead: Lead,
    kind: str,
    outcome: str = Activity.Outcome.DONE,
    note: str = "",
    by,
    occurred_at: dt.datetime | None = None,
) -> Activity:
    """Log a touch on a lead; sales contact attempts close the first-contact and attempt follow-ups."""
    lead = _lock(lead)
    if not permissions.can_work_lead(by, lead):
        _deny(_("You may not log activities on this lead."))
    if kind not in Activity.Kind.values:
        raise ValidationError({"kind": _("Unknown activity kind.")})
    if outcome not in Activity.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    now = timezone.now()
    when = _when(lead, occurred_at, now)
    # The acting side: the user's function, or (admin, or member of both) the lead's holder.
    side = side_of(by) or lead.owner_team.function
    event = _record(
        lead,
        kind=LeadEvent.Kind.ACTIVITY,
        by=by,
        occurred_at=when,
        now=now,
        team=lead.owner_team,
        # The SLA that governs the lead (set at handoff or take): a late entry on a lead sales
        # holds counts for that SLA's series, like every other event recorded under it.
        sla=lead.sla,
        payload={"kind": kind, "outcome": outcome, "side": side},
    )
    activity = Activity.objects.create(
        lead=lead,
        event=event,
        kind=kind,
        outcome=outcome,
        note=note,
        actor=by,
        side=side,
        occurred_at=when,
        recorded_at=now,
        is_late_entry=event.is_late_entry,
    )
    if activity.is_contact_attempt:
        for followup in _open_followups(lead, FollowUp.Kind.FIRST_CONTACT, FollowUp.Kind.CONTACT_ATTEMPTS):
            if followup.kind == FollowUp.Kind.FIRST_CONTACT:
                _close(followup, when)
                continue
            if when > followup.due_at:
                continue
            attempts = Activity.objects.filter(
                lead=lead,
                side=Function.SALES,
                kind__in=Activity.CONTACT_KINDS,
                occurred_at__gte=followup.starts_at,
                occurred_at__lte=followup.due_at,
            ).count()
            if attempts >= (followup.required_attempts or 1):
                _close(followup, when)
    lead.save()
    return activity


@transaction.atomic
def visits_record(*, month: dt.date, channel: str, count: int, by) -> VisitCount:
    """Set the number of anonymous visits of a month for one channel (idempotent upsert)."""
    if not (permissions.can_create_lead(by) and can_write(by)):
        _deny(_("You may not record visits."))
    channel = (channel or "").strip()
    if not channel:
        raise ValidationError({"channel": _("Give the channel.")})
    if count is None or int(count) < 0:
        raise ValidationError({"count": _("The count cannot be negative.")})
    visit, _created = VisitCount.objects.update_or_create(
        month=month.replace(day=1),
        channel=channel,
        defaults={"count": int(count), "updated_by": by},
    )
    return visit


# --- action items: follow-ups decided in a meeting -----------------------------------------


@transaction.atomic
def followup_create_action_item(
    *,
    title: str,
    owner,
    owner_team: Team,
    due_at: dt.datetime,
    link: str = "",
    lead: Lead | None = None,
    sla: SLA | None = None,
    now: dt.datetime | None = None,
) -> FollowUp:
    """An action item of ``owner``: a follow-up like the SLA's (My follow-ups, the calendar feed,
    overdue alerts and escalation to ``owner_team``'s managers) that never counts for compliance.

    The caller (``reviews.services``) decides who may assign it; this only writes the row.
    """
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Say what is to be done.")})
    now = now or timezone.now()
    followup = FollowUp(
        lead=lead,
        sla=sla,
        kind=FollowUp.Kind.ACTION_ITEM,
        title=title[:200],
        link=link,
        starts_at=now,
        due_at=due_at,
        owner_team=owner_team,
        owner_user=owner,
        created_at=now,
    )
    followup.full_clean(exclude=["handoff"])
    followup.save()
    return followup


@transaction.atomic
def followup_mark_done(*, followup: FollowUp, at: dt.datetime | None = None) -> FollowUp:
    """Close an action item done by hand (no activity closes it): on time if done by its due time.

    SLA obligations are closed by what happens to the lead, never by hand: refused. A follow-up
    already closed stays as it was (returned unchanged). The caller checks who may.
    """
    locked = FollowUp.objects.select_for_update(of=("self",)).select_related("sla").get(pk=followup.pk)
    if locked.kind not in FollowUp.NOT_SLA_OBLIGATIONS:
        raise LeadConflict(_("An SLA obligation is closed by the lead's activity, not by hand."))
    if locked.status != FollowUp.Status.OPEN:
        return locked
    _close(locked, at or timezone.now())
    return locked
