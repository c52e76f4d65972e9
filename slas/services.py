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
from django.utils import timezone
from django.utils.translation import gettext as _

from smarketing.audit import record_change
from smarketing.webhooks import emit_event

from . import permissions
from .models import (
    SLA,
    ClosedDate,
    Commitment,
    MaturityRule,
    Milestone,
    SharedGoal,
    Signature,
    Team,
    WorkingCalendar,
    WorkingHours,
)


class SLAConflict(Exception):
    """The SLA's current state forbids the change (signed, stale revision, overlapping SLA)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


def _full_clean_all(sla: SLA, children: Mapping[str, list]) -> None:
    """Validate the SLA and its unsaved children, collecting errors by section."""
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
                    errors.setdefault(f"{section}[{index}].{field}", []).extend(messages)
    for index, milestone in enumerate(children.get("milestones", [])):
        dates_known = sla.start_date and sla.end_date and milestone.due_date
        if dates_known and not sla.start_date <= milestone.due_date <= sla.end_date:
            errors.setdefault(f"milestones[{index}].due_date", []).append(
                _("A milestone must fall inside the SLA period.")
            )
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
            raise ValidationError({"calendar": [_("Give at least one working interval.")]})
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
    for field, value in data.items():
        if field in SLA_FIELDS:
            setattr(locked, field, value)
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


@transaction.atomic
def sla_submit(*, sla: SLA, by) -> SLA:
    """Freeze a draft for signature and record the fingerprint of its content."""
    if not permissions.can_draft_sla(by, sla):
        raise PermissionDenied(_("You may not submit this SLA."))
    locked = _lock(sla)
    if locked.status != SLA.Status.DRAFT:
        raise SLAConflict(_("Only a draft can be submitted for signature."))
    if not locked.commitments.exists():
        raise ValidationError({"commitments": [_("An SLA needs at least one commitment.")]})
    if not hasattr(locked, "calendar"):
        raise ValidationError({"calendar": [_("An SLA needs a working calendar.")]})
    locked.status = SLA.Status.IN_SIGNATURE
    locked.fingerprint = locked.compute_fingerprint()
    locked.submitted_at = timezone.now()
    locked.revision += 1
    locked.save()
    return locked


def _overlapping_in_force(sla: SLA):
    """Signed SLAs between the same teams whose period in force overlaps ``sla``'s period."""
    overlapping = Q(start_date__lte=sla.end_date, end_date__gte=sla.start_date)
    still_in_force = Q(status__in=[SLA.Status.ACTIVE, SLA.Status.EXPIRED]) | Q(
        status=SLA.Status.SUPERSEDED, superseded_on__gt=sla.start_date
    )
    return SLA.objects.for_teams(sla.marketing_team_id, sla.sales_team_id).filter(overlapping & still_in_force)


@transaction.atomic
def sla_sign(*, sla: SLA, team: Team, by) -> Signature:
    """A manager signs for one party; the second signature makes the SLA active.

    The two teams' rows are locked first (always in the same order) so two SLAs of the same
    pair can never be activated concurrently over overlapping dates.
    """
    if not permissions.can_sign_sla(by, sla, team):
        raise PermissionDenied(_("You may not sign this SLA for %(team)s.") % {"team": team})
    list(Team.objects.select_for_update().filter(pk__in=[sla.marketing_team_id, sla.sales_team_id]).order_by("pk"))
    locked = _lock(sla)
    if locked.status != SLA.Status.IN_SIGNATURE:
        raise SLAConflict(_("Only an SLA in signature can be signed."))
    if locked.signatures.filter(team=team).exists():
        raise SLAConflict(_("%(team)s has already signed this SLA.") % {"team": team})
    fingerprint = locked.compute_fingerprint()
    if fingerprint != locked.fingerprint:
        raise SLAConflict(_("The content changed since it was submitted; it cannot be signed."))
    signature = Signature.objects.create(sla=locked, team=team, signed_by=by, fingerprint=fingerprint)
    if set(locked.signatures.values_list("team_id", flat=True)) >= {locked.marketing_team_id, locked.sales_team_id}:
        _activate(locked)
    return signature


def _activate(sla: SLA) -> None:
    previous = None
    if sla.amends_id:
        previous = SLA.objects.select_for_update().get(pk=sla.amends_id)
    conflicts = _overlapping_in_force(sla).exclude(pk=sla.pk)
    if previous is not None and previous.status == SLA.Status.ACTIVE:
        conflicts = conflicts.exclude(pk=previous.pk)
    conflict = conflicts.first()
    if conflict is not None:
        raise SLAConflict(
            _("“%(other)s” already binds these teams from %(start)s to %(end)s; periods may not overlap.")
            % {"other": conflict, "start": conflict.start_date, "end": conflict.end_date}
        )
    if previous is not None and previous.status == SLA.Status.ACTIVE:
        previous.status = SLA.Status.SUPERSEDED
        previous.superseded_on = max(sla.start_date, previous.start_date)
        previous.save(update_fields=["status", "superseded_on", "updated_at"])
    sla.status = SLA.Status.ACTIVE
    sla.activated_at = timezone.now()
    sla.save(update_fields=["status", "activated_at", "updated_at"])
    emit_event(
        "sla.activated",
        {
            "id": sla.pk,
            "title": sla.title,
            "version": sla.version,
            "marketing_team": sla.marketing_team_id,
            "sales_team": sla.sales_team_id,
            "start_date": sla.start_date.isoformat(),
            "end_date": sla.end_date.isoformat(),
            "supersedes": previous.pk if previous is not None else None,
        },
    )


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
def sla_expire_due(*, today: dt.date) -> int:
    """Active SLAs whose end date has passed become expired; returns how many."""
    due = SLA.objects.select_for_update().filter(status=SLA.Status.ACTIVE, end_date__lt=today)
    return SLA.objects.filter(pk__in=list(due.values_list("pk", flat=True))).update(
        status=SLA.Status.EXPIRED, updated_at=timezone.now()
    )


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


def _months_later(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    return dt.date(day.year + month_index // 12, month_index % 12 + 1, 1)


@transaction.atomic
def sla_create_from_plan(*, by, plan, title: str, marketing_team: Team, sales_team: Team, start_date: dt.date) -> SLA:
    """A draft SLA whose volume and revenue commitments are the plan's monthly targets."""
    from .goal_planner import plan_commitments

    first = start_date.replace(day=1)
    data = {
        "title": title,
        "marketing_team": marketing_team,
        "sales_team": sales_team,
        "start_date": first,
        "end_date": _months_later(first, plan.months) - dt.timedelta(days=1),
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
