"""State changes of SLA documents: draft, edit, submit, sign, amend, expire.

Every function here is the one place its rule lives: the web UI, the REST API, the admin and
the Celery tasks all call it. Refusals are ``SLAConflict`` (the object's state forbids the
change: views show a message, the API answers 409), ``PermissionDenied`` (403) or Django's
``ValidationError`` (field errors, 400).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from smarketing.audit import record_change
from smarketing.webhooks import absolute_url, emit_event

from . import permissions
from .clock import Month
from .models import (
    SLA,
    ClosedDate,
    Commitment,
    LifecycleRecord,
    MaturityRule,
    Milestone,
    SharedGoal,
    Signature,
    Team,
    WorkingCalendar,
    WorkingHours,
    in_force_q,
)


class SLAConflict(Exception):
    """The SLA's current state forbids the change (signed, stale revision, overlapping SLA).

    ``conflicting`` is the other SLA that stands in the way, when there is one.
    """

    def __init__(self, message: str, *, conflicting: SLA | None = None):
        super().__init__(message)
        self.message = message
        self.conflicting = conflicting


# Fields of the SLA row a draft edit may set.
SLA_FIELDS = (
    "title",
    "marketing_team",
    "sales_team",
    "start_date",
    "end_date",
    "currency",
    "company_objectives",
    "marketing_role",
    "sales_role",
    "escalation_delay_hours",
)


# Where each section of the document lives in the API's input (dotted error paths, docs/api.md).
SECTION_PATHS = {"calendar": "calendar", "hours": "calendar.hours", "closed_dates": "calendar.closed_dates"}


def section_error_path(section: str, index: int | None = None, field: str = "") -> str:
    """``commitments.0.target``, ``calendar.hours.2.end``, ``calendar.time_zone``: one spelling
    for the API, the forms (``slas.forms.apply_service_errors``) and the tests."""
    parts = [SECTION_PATHS.get(section, section)]
    if index is not None and section != "calendar":
        parts.append(str(index))
    if field:
        parts.append(field)
    return ".".join(parts)


def _full_clean_all(sla: SLA, children: Mapping[str, list]) -> None:
    """Validate the SLA and its unsaved children, collecting errors by dotted path."""
    errors: dict[str, list] = {}
    try:
        sla.full_clean(exclude=["series"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for section, objects in children.items():
        for index, obj in enumerate(objects):
            try:
                obj.full_clean(exclude=["sla", "calendar"], validate_unique=False)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    path = section_error_path(section, index, "" if field == "__all__" else field)
                    errors.setdefault(path, []).extend(messages)
    for index, milestone in enumerate(children.get("milestones", [])):
        dates_known = sla.start_date and sla.end_date and milestone.due_date
        if dates_known and not sla.start_date <= milestone.due_date <= sla.end_date:
            errors.setdefault(section_error_path("milestones", index, "due_date"), []).append(
                _("A milestone must fall inside the SLA period.")
            )
    if "hours" in children:
        intervals = [(h.weekday, h.start, h.end) for h in children["hours"]]
        for section, message in WorkingCalendar.check_working_time(intervals, children.get("closed_dates", [])).items():
            errors.setdefault(section_error_path(section), []).append(message)
    keys = [c.key for c in children.get("commitments", [])]
    if len(keys) != len(set(keys)):
        errors.setdefault("commitments", []).append(_("Each commitment may appear only once."))
    categories = [r.category for r in children.get("maturity_rules", [])]
    if len(categories) != len(set(categories)):
        errors.setdefault("maturity_rules", []).append(_("Each maturity category may appear only once."))
    if errors:
        raise ValidationError(errors)


def _build_children(sla: SLA, data: Mapping[str, Any]) -> dict[str, list]:
    """Unsaved child rows from plain dicts; only the sections present in ``data``."""
    children: dict[str, list] = {}
    if "goals" in data:
        children["goals"] = [SharedGoal(sla=sla, **goal) for goal in data["goals"]]
    if "commitments" in data:
        children["commitments"] = [Commitment(sla=sla, **item) for item in data["commitments"]]
    if "maturity_rules" in data:
        children["maturity_rules"] = [MaturityRule(sla=sla, **rule) for rule in data["maturity_rules"]]
    if "milestones" in data:
        children["milestones"] = [Milestone(sla=sla, **item) for item in data["milestones"]]
    if data.get("calendar") is not None:
        calendar_data = dict(data["calendar"])
        hours = calendar_data.pop("hours", [])
        closed = calendar_data.pop("closed_dates", [])
        calendar = WorkingCalendar(sla=sla, **calendar_data)
        children["calendar"] = [calendar]
        children["hours"] = [WorkingHours(calendar=calendar, **h) for h in hours]
        children["closed_dates"] = [ClosedDate(calendar=calendar, **c) for c in closed]
        if not hours:
            raise ValidationError({section_error_path("hours"): [_("Give at least one working interval.")]})
    return children


def _save_children(sla: SLA, children: Mapping[str, list]) -> None:
    """Replace each given section of a draft by the new rows."""
    models = {"goals": SharedGoal, "commitments": Commitment, "maturity_rules": MaturityRule, "milestones": Milestone}
    for section, model in models.items():
        if section in children:
            model.objects.filter(sla=sla).delete()
            for obj in children[section]:
                obj.sla = sla
            model.objects.bulk_create(children[section])
    if "calendar" in children:
        WorkingCalendar.objects.filter(sla=sla).delete()
        calendar = children["calendar"][0]
        calendar.sla = sla
        calendar.save()
        for row in children["hours"] + children["closed_dates"]:
            row.calendar = calendar
        WorkingHours.objects.bulk_create(children["hours"])
        ClosedDate.objects.bulk_create(children["closed_dates"])


@transaction.atomic
def sla_create(*, by, data: Mapping[str, Any]) -> SLA:
    """A new draft (version 1 of a new series) with its goals, commitments, rules and calendar.

    ``data`` holds the SLA fields plus optional lists ``goals``, ``commitments``,
    ``maturity_rules``, ``milestones`` and a ``calendar`` dict (with ``hours`` and ``closed_dates``).
    """
    if not permissions.can_draft_sla(by):
        raise PermissionDenied(_("You may not draft an SLA."))
    sla = SLA(**{k: v for k, v in data.items() if k in SLA_FIELDS}, series=uuid.uuid4(), created_by=by)
    if not permissions.is_admin(by) and not (
        permissions.is_manager_of(by, getattr(sla, "marketing_team", None))
        or permissions.is_manager_of(by, getattr(sla, "sales_team", None))
    ):
        raise PermissionDenied(_("You may draft an SLA only for a team you manage."))
    children = _build_children(sla, data)
    _full_clean_all(sla, children)
    sla.save()
    _save_children(sla, children)
    return sla


def _lock(sla: SLA) -> SLA:
    return SLA.objects.select_for_update().get(pk=sla.pk)


@transaction.atomic
def sla_update(*, sla: SLA, by, revision: int, data: Mapping[str, Any]) -> SLA:
    """Edit a draft; ``revision`` is the one the editor started from (optimistic lock)."""
    if not permissions.can_draft_sla(by, sla):
        raise PermissionDenied(_("You may not edit this SLA."))
    locked = _lock(sla)
    if locked.status != SLA.Status.DRAFT:
        raise SLAConflict(_("Only a draft can be edited; amend a signed SLA instead."))
    sections_before = _sections(locked)
    if int(revision) != locked.revision:
        raise SLAConflict(
            _("Someone else changed this draft since you opened it (revision %(theirs)s). Reload and edit again.")
            % {"theirs": locked.revision}
        )
    parties = (locked.marketing_team_id, locked.sales_team_id)
    for field, value in data.items():
        if field in SLA_FIELDS:
            setattr(locked, field, value)
    if locked.amends_id and (locked.marketing_team_id, locked.sales_team_id) != parties:
        # The versions of a series are one agreement between the same two teams.
        raise ValidationError(
            {
                field: [_("An amendment binds the same two teams; draft a new SLA for other teams.")]
                for field, before, after in (
                    ("marketing_team", parties[0], locked.marketing_team_id),
                    ("sales_team", parties[1], locked.sales_team_id),
                )
                if before != after
            }
        )
    if not permissions.is_admin(by) and not permissions.can_draft_sla(by, locked):
        raise PermissionDenied(_("You may draft an SLA only for a team you manage."))
    children = _build_children(locked, data)
    _full_clean_all(locked, children)
    if "milestones" not in children:
        # The period may have moved: existing milestones must still fall inside it.
        _full_clean_all(locked, {"milestones": list(locked.milestones.all())})
    locked.revision += 1
    locked.save()
    _save_children(locked, children)
    # The sections are replaced in bulk, which the audit log's model signals do not see.
    record_change(locked, sections_before, _sections(locked))
    return locked


SECTIONS = ("goals", "commitments", "maturity_rules", "milestones", "calendar")


def _sections(sla: SLA) -> dict:
    content = sla.canonical_content()
    return {section: content[section] for section in SECTIONS}


def _lock_parties(sla: SLA) -> None:
    """Lock both teams' rows, always in the same order: submissions and signatures of one team
    pair run one after the other, so two overlapping SLAs can never both get through."""
    list(Team.objects.select_for_update().filter(pk__in=[sla.marketing_team_id, sla.sales_team_id]).order_by("pk"))


def overlapping_slas(sla: SLA, *, signed_only: bool = False):
    """Other agreements between the same teams whose period overlaps ``sla``'s: signed and in
    force on one of its days, or (unless ``signed_only``) waiting in signature.

    The versions of ``sla``'s own series are left out: an amendment takes over from the
    version it amends, never alongside it (see ``_activate``).
    """
    blocking = in_force_q(sla.start_date, sla.end_date)
    if not signed_only:
        blocking |= Q(status=SLA.Status.IN_SIGNATURE, start_date__lte=sla.end_date, end_date__gte=sla.start_date)
    return (
        SLA.objects.for_teams(sla.marketing_team_id, sla.sales_team_id)
        .exclude(series=sla.series)
        .filter(blocking)
        .order_by("start_date", "pk")
    )


def _refuse_overlap(sla: SLA, *, signed_only: bool) -> None:
    conflict = overlapping_slas(sla, signed_only=signed_only).first()
    if conflict is not None:
        raise SLAConflict(
            _(
                "“%(other)s” (%(status)s) already binds these teams from %(start)s to %(end)s; periods may not "
                "overlap. Change the dates, or withdraw or let that SLA end first."
            )
            % {
                "other": conflict,
                "status": conflict.get_status_display(),
                "start": conflict.start_date,
                "end": conflict.end_date,
            },
            conflicting=conflict,
        )


@transaction.atomic
def sla_submit(*, sla: SLA, by) -> SLA:
    """Freeze a draft for signature and record the fingerprint of its content.

    Refused (conflict) when another SLA of the same team pair, active or in signature,
    overlaps its period: a document that could never be signed is never sent for signature.
    """
    if not permissions.can_draft_sla(by, sla):
        raise PermissionDenied(_("You may not submit this SLA."))
    _lock_parties(sla)
    locked = _lock(sla)
    if locked.status != SLA.Status.DRAFT:
        raise SLAConflict(_("Only a draft can be submitted for signature."))
    missing = locked.missing_for_submission()
    if missing:
        raise ValidationError({section: [message] for section, message in missing.items()})
    _refuse_overlap(locked, signed_only=False)
    locked.status = SLA.Status.IN_SIGNATURE
    locked.fingerprint = locked.compute_fingerprint()
    locked.submitted_at = timezone.now()
    locked.revision += 1
    locked.save()
    return locked


@transaction.atomic
def sla_sign(*, sla: SLA, team: Team, by, fingerprint: str | None = None) -> Signature:
    """A manager signs for one party; the second signature makes the SLA active.

    ``fingerprint`` is the one the signer was shown (the confirmation page, or an API client
    that read the document): when the version's content changed since — withdrawn, edited and
    submitted again — the signature is refused, so nobody signs a text they have not read.

    The two teams' rows are locked first (always in the same order) so two SLAs of the same
    pair can never be activated concurrently over overlapping dates; a signature is refused
    while a signed SLA of the pair overlaps the period.
    """
    if not permissions.can_sign_sla(by, sla, team):
        raise PermissionDenied(_("You may not sign this SLA for %(team)s.") % {"team": team})
    _lock_parties(sla)
    locked = _lock(sla)
    if locked.status != SLA.Status.IN_SIGNATURE:
        raise SLAConflict(_("Only an SLA in signature can be signed."))
    if locked.signatures.filter(team=team).exists():
        raise SLAConflict(_("%(team)s has already signed this SLA.") % {"team": team})
    if fingerprint is not None and fingerprint != locked.fingerprint:
        raise SLAConflict(
            _(
                "Version %(version)s changed since you read it: you confirmed the fingerprint %(confirmed)s, "
                "its content now has %(current)s. Read it again before signing."
            )
            % {"version": locked.version, "confirmed": fingerprint[:12] or "—", "current": locked.fingerprint[:12]}
        )
    fingerprint = locked.compute_fingerprint()
    if fingerprint != locked.fingerprint:
        raise SLAConflict(_("The content changed since it was submitted; it cannot be signed."))
    _refuse_overlap(locked, signed_only=True)
    signature = Signature.objects.create(sla=locked, team=team, signed_by=by, fingerprint=fingerprint)
    if set(locked.signatures.values_list("team_id", flat=True)) >= {locked.marketing_team_id, locked.sales_team_id}:
        _activate(locked)
    return signature


def _activate(sla: SLA) -> None:
    """Both parties signed: the version governs from its start date — or, for an amendment, from
    the later of its start date and the day it was signed (never over days already governed
    by the version it amends), which is superseded from that day."""
    previous = None
    if sla.amends_id:
        previous = SLA.objects.select_for_update().get(pk=sla.amends_id)
    in_force_from = sla.start_date
    if previous is not None:
        in_force_from = max(sla.start_date, sla.today(), previous.in_force_from or previous.start_date)
    if previous is not None and previous.status == SLA.Status.ACTIVE:
        previous.status = SLA.Status.SUPERSEDED
        previous.superseded_on = in_force_from
        previous.save(update_fields=["status", "superseded_on", "updated_at"])
    sla.status = SLA.Status.ACTIVE
    sla.in_force_from = in_force_from
    sla.activated_at = timezone.now()
    sla.save(update_fields=["status", "in_force_from", "activated_at", "updated_at"])
    emit_event(
        "sla.activated",
        {
            "id": sla.pk,
            "title": sla.title,
            "version": sla.version,
            "series": str(sla.series),
            "marketing_team": sla.marketing_team_id,
            "sales_team": sla.sales_team_id,
            "start_date": sla.start_date.isoformat(),
            "end_date": sla.end_date.isoformat(),
            "in_force_from": in_force_from.isoformat(),
            "supersedes": previous.pk if previous is not None else None,
            "status": sla.status,
            "marketing_team_name": sla.marketing_team.name,
            "sales_team_name": sla.sales_team.name,
            "currency": sla.currency,
            "api_url": absolute_url(reverse("sla-detail", args=[sla.pk])),
            "status_url": absolute_url(reverse("api-sla-status", args=[sla.pk])),
            "web_url": absolute_url(reverse("slas:detail", args=[sla.pk])),
        },
        key=f"sla:{sla.pk}:activated",
    )


def _signature_trace(signature: Signature) -> dict:
    return {
        "team": signature.team_id,
        "team_name": signature.team.name,
        "signed_by": signature.signed_by_id,
        "signed_by_username": signature.signed_by.get_username(),
        "signed_at": signature.signed_at.isoformat(),
        "fingerprint": signature.fingerprint,
    }


def _record(sla: SLA, *, action: str, by, reason: str = "", signatures: Iterable[Signature] = ()) -> LifecycleRecord:
    return LifecycleRecord.objects.create(
        sla=sla,
        series=sla.series,
        version=sla.version,
        title=sla.title,
        action=action,
        actor=by,
        reason=reason,
        fingerprint=sla.fingerprint,
        cleared_signatures=[_signature_trace(signature) for signature in signatures],
    )


@transaction.atomic
def sla_withdraw(*, sla: SLA, by, reason: str = "") -> SLA:
    """Take a document in signature back to draft (a manager of either party).

    Its signatures are cleared — who signed and when is kept in an append-only
    ``LifecycleRecord`` — and it can be edited, submitted again or deleted.
    """
    if not permissions.can_withdraw_sla(by, sla):
        raise PermissionDenied(_("Only a manager of one of the two teams may withdraw this SLA."))
    locked = _lock(sla)
    if locked.status != SLA.Status.IN_SIGNATURE:
        raise SLAConflict(_("Only an SLA in signature can be withdrawn to draft."))
    signatures = list(locked.signatures.select_related("team", "signed_by"))
    _record(
        locked, action=LifecycleRecord.Action.WITHDRAWN, by=by, reason=(reason or "").strip(), signatures=signatures
    )
    locked.signatures.all().delete()
    locked.status = SLA.Status.DRAFT
    locked.fingerprint = ""
    locked.submitted_at = None
    locked.revision += 1
    locked.save()
    return locked


@transaction.atomic
def sla_delete_draft(*, sla: SLA, by) -> None:
    """Delete a draft (its author or an admin); a signed or submitted version is never deleted."""
    if not permissions.can_delete_sla(by, sla):
        raise PermissionDenied(_("Only the author of this draft or an administrator may delete it."))
    locked = _lock(sla)
    if locked.status != SLA.Status.DRAFT:
        raise SLAConflict(_("Only a draft can be deleted: a submitted or signed SLA is kept."))
    _record(locked, action=LifecycleRecord.Action.DRAFT_DELETED, by=by)
    locked.delete()


def _copy_rows(rows: Iterable, **overrides) -> list:
    copies = []
    for row in rows:
        row.pk = None
        row.id = None
        for field, value in overrides.items():
            setattr(row, field, value)
        copies.append(row)
    return copies


@transaction.atomic
def sla_amend(*, sla: SLA, by) -> SLA:
    """A new draft version of the series, copied from a signed version, that amends it."""
    if not permissions.can_draft_sla(by, sla):
        raise PermissionDenied(_("You may not amend this SLA."))
    locked = _lock(sla)
    if locked.status != SLA.Status.ACTIVE:
        raise SLAConflict(_("Only an active SLA can be amended."))
    if SLA.objects.filter(amends=locked, status__in=[SLA.Status.DRAFT, SLA.Status.IN_SIGNATURE]).exists():
        raise SLAConflict(_("An amendment of this version is already being prepared."))
    next_version = (SLA.objects.filter(series=locked.series).aggregate(v=Max("version"))["v"] or 0) + 1
    goals = list(locked.goals.all())
    commitments = list(locked.commitments.all())
    rules = list(locked.maturity_rules.all())
    milestones = list(locked.milestones.all())
    calendar = getattr(locked, "calendar", None)
    hours = list(calendar.hours.all()) if calendar else []
    closed = list(calendar.closed_dates.all()) if calendar else []

    draft = SLA.objects.get(pk=locked.pk)
    draft.pk = draft.id = None
    draft.status = SLA.Status.DRAFT
    draft.version = next_version
    draft.amends = locked
    draft.in_force_from = None
    draft.superseded_on = None
    draft.revision = 1
    draft.fingerprint = ""
    draft.submitted_at = draft.activated_at = None
    draft.created_by = by
    draft.created_at = timezone.now()
    draft.save()
    SharedGoal.objects.bulk_create(_copy_rows(goals, sla=draft))
    Commitment.objects.bulk_create(_copy_rows(commitments, sla=draft))
    MaturityRule.objects.bulk_create(_copy_rows(rules, sla=draft))
    Milestone.objects.bulk_create(_copy_rows(milestones, sla=draft))
    if calendar is not None:
        new_calendar = _copy_rows([calendar], sla=draft)[0]
        new_calendar.save()
        WorkingHours.objects.bulk_create(_copy_rows(hours, calendar=new_calendar))
        ClosedDate.objects.bulk_create(_copy_rows(closed, calendar=new_calendar))
    return draft


@transaction.atomic
def sla_expire_due(*, today: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Active SLAs whose end date has passed become expired; returns how many.

    "Passed" is judged on each SLA's own local date at ``now`` (or on ``today`` for all).
    """
    now = now or timezone.now()
    # The latest local date anywhere is at most a day after the UTC date.
    candidates = SLA.objects.select_for_update(of=("self",)).filter(
        status=SLA.Status.ACTIVE, end_date__lt=today or now.date() + dt.timedelta(days=1)
    )
    due = [sla.pk for sla in candidates.select_related("calendar") if sla.end_date < (today or sla.today(now))]
    return SLA.objects.filter(pk__in=due).update(status=SLA.Status.EXPIRED, updated_at=timezone.now())


@transaction.atomic
def team_create(*, by, name: str, function: str, description: str = "") -> Team:
    """A new marketing or sales team (admin only)."""
    if not permissions.can_manage_users(by):
        raise PermissionDenied(_("Only an administrator manages teams."))
    team = Team(name=name, function=function, description=description)
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def user_create(*, by, username: str, password: str | None = None, memberships: Iterable[Mapping] = (), **fields):
    """A new user with team memberships ``[{"team": Team, "role": "manager"|"member"}]`` (admin only)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from .models import Membership, Profile

    if not permissions.can_manage_users(by):
        raise PermissionDenied(_("Only an administrator manages users."))
    is_viewer = fields.pop("is_viewer", False)
    user = get_user_model()(username=username, **fields)
    user.full_clean(exclude=["password"])
    if password:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    Profile.objects.update_or_create(user=user, defaults={"is_viewer": is_viewer})
    Membership.objects.bulk_create(
        Membership(user=user, team=m["team"], role=m.get("role") or Membership.Role.MEMBER) for m in memberships
    )
    return user


@transaction.atomic
def goal_plan_save(*, by, name: str, inputs: Mapping[str, Any], result: Mapping[str, Any]):
    """Keep a computed goal plan for later (any user who may write)."""
    from .models import GoalPlan

    if not permissions.can_write(by):
        raise PermissionDenied(_("Viewers cannot save plans."))
    return GoalPlan.objects.create(name=name, inputs=dict(inputs), result=dict(result), created_by=by)


@transaction.atomic
def sla_create_from_plan(*, by, plan, title: str, marketing_team: Team, sales_team: Team, start_date: dt.date) -> SLA:
    """A draft SLA whose volume and revenue commitments are the plan's monthly targets."""
    from .goal_planner import plan_commitments

    first = Month.of(start_date)
    data = {
        "title": title,
        "marketing_team": marketing_team,
        "sales_team": sales_team,
        "start_date": first.first_day,
        "end_date": first.shift(plan.months - 1).last_day,
        "commitments": plan_commitments(plan),
        "calendar": {
            "time_zone": "Europe/Paris",
            "country": "FR",
            "hours": [{"weekday": day, "start": dt.time(9), "end": dt.time(18)} for day in range(5)],
        },
    }
    return sla_create(by=by, data=data)


# --- Accounts: the admin's changes to teams, users, memberships and profiles -----------------------


def _require_user_manager(by) -> None:
    if not permissions.can_manage_users(by):
        raise PermissionDenied(_("Only an administrator manages users and teams."))


@transaction.atomic
def team_update(*, team: Team, by, **changes) -> Team:
    """Rename or describe a team (``Team.clean``: its function is fixed once SLAs or members depend on it)."""
    _require_user_manager(by)
    locked = Team.objects.select_for_update().get(pk=team.pk)
    for field in ("name", "function", "description"):
        if field in changes:
            setattr(locked, field, changes[field])
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def membership_save(*, user, team: Team, role: str, by):
    """Put ``user`` in ``team`` with ``role`` (or change the role they have there)."""
    from .models import Membership

    _require_user_manager(by)
    membership = Membership.objects.select_for_update().filter(user=user, team=team).first()
    membership = membership or Membership(user=user, team=team)
    membership.role = role
    membership.full_clean(validate_unique=False)
    membership.save()
    return membership


@transaction.atomic
def membership_delete(*, membership, by) -> None:
    _require_user_manager(by)
    membership.delete()


USER_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff", "is_superuser")


@transaction.atomic
def user_update(*, user, by, **changes):
    """Change a user's identity, activity or administrator rights (never the password: see
    Django's password forms, whose change revokes every API token)."""
    from django.contrib.auth import get_user_model

    _require_user_manager(by)
    locked = get_user_model().objects.select_for_update().get(pk=user.pk)
    if locked.pk == by.pk and (changes.get("is_active") is False or changes.get("is_superuser") is False):
        raise ValidationError(_("You cannot deactivate yourself or remove your own administrator rights."))
    for field in USER_FIELDS:
        if field in changes:
            setattr(locked, field, changes[field])
    locked.full_clean(exclude=["password"])
    locked.save()
    return locked


PROFILE_FIELDS = ("is_viewer", "language", "time_zone", "alert_mode")


@transaction.atomic
def profile_update(*, user, by, **changes):
    """A user's preferences (their own) or viewer role (admin only), validated (time zone, language)."""
    from .models import Profile

    if by.pk != user.pk or "is_viewer" in changes:
        _require_user_manager(by)
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    for field in PROFILE_FIELDS:
        if field in changes:
            setattr(profile, field, changes[field])
    profile.full_clean()
    profile.save()
    return profile
