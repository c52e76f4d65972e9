"""State changes of reviews: prepare, invite, reschedule, take notes, decide, assign, amend, close.

Every function is the one place its rule lives; the pages, the API, the admin, the signal receiver
and the demo all call it. Each locks the review row first, so nothing is written to a review while
it is being closed, and nothing after. Refusals: ``ReviewConflict`` (the review's state forbids it:
a message in the pages, 409 in the API), ``PermissionDenied`` (403), ``ValidationError`` (400).
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leads import services as lead_services
from leads.models import Lead
from reporting.models import Notification
from reporting.notifications.outbox import notification_queue
from slas import services as sla_services
from slas.clock import Month
from slas.models import SLA, CommitmentKey, Membership, Profile, Team
from slas.permissions import can_write, teams_of
from smarketing.webhooks import emit_event

from . import agenda, permissions, scheduling
from .models import DEFAULT_DURATION_MINUTES, ActionItem, AgendaPoint, Decision, Note, Participant, Review

logger = logging.getLogger(__name__)

MAX_DURATION_MINUTES = 8 * 60


class ReviewConflict(Exception):
    """The review's state forbids the change (closed, or an amendment that cannot be opened)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- helpers ---------------------------------------------------------------------------------


def _lock(review: Review) -> Review:
    # ``of=("self",)``: the row lock is the review's; its SLA's calendar is an outer join PostgreSQL will not lock.
    return Review.objects.select_for_update(of=("self",)).select_related("sla__calendar").get(pk=review.pk)


def _lock_open(review: Review) -> Review:
    locked = _lock(review)
    if not locked.is_open:
        raise ReviewConflict(_("This review is closed: its minutes are final. Prepare a new review to amend them."))
    return locked


def _deny_unless(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _closed_month(sla: SLA, month: dt.date, now: dt.datetime) -> tuple[SLA, Month]:
    """The version of ``sla``'s series whose targets applied to ``month``, which must have ended."""
    local = sla.month(month)
    if local.end > now:
        raise ValidationError({"month": _("A review is about a month that has ended.")})
    version = sla.version_for(local, now)
    if version is None:
        raise ValidationError({"month": _("This SLA was not in force in that month.")})
    return version, local


def _managers(sla: SLA):
    managers = Membership.objects.filter(
        team_id__in=[sla.marketing_team_id, sla.sales_team_id], role=Membership.Role.MANAGER, user__is_active=True
    ).values("user_id")
    return get_user_model().objects.filter(pk__in=managers).order_by("pk")


def _language(user) -> str:
    profile = Profile.objects.filter(user=user).first()
    return profile.language if profile else settings.LANGUAGE_CODE


def _invite(review: Review, users) -> int:
    """Queue the invitation (with its .ics) of the review's current sequence to each user, once."""
    count = 0
    for user in users:
        if not user.email:
            continue
        with translation.override(_language(user)):
            subject = _("Invitation: %(title)s, %(sla)s") % {"title": review.display_title, "sla": review.sla.title}
        created = notification_queue(
            kind=Notification.Kind.REVIEW_INVITATION,
            recipient=user,
            dedupe_key=f"review:{review.pk}:invite:{review.sequence}",
            payload={
                "review": review.pk,
                "sequence": review.sequence,
                "scheduled_at": review.scheduled_at.isoformat(),
                "ends_at": review.ends_at.isoformat(),
                "location": review.location,
            },
            subject=subject,
        )
        count += created is not None
    return count


def _add_participants(review: Review, users, by=None) -> list:
    """Participants for ``users`` not yet invited; returns the users newly added."""
    present = set(review.participants.values_list("user_id", flat=True))
    added = [user for user in users if user.pk not in present]
    Participant.objects.bulk_create([Participant(review=review, user=user, added_by=by) for user in added])
    return added


def _duration(minutes) -> dt.timedelta:
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        raise ValidationError({"duration_minutes": _("Give the length of the meeting in minutes.")}) from None
    if not 15 <= minutes <= MAX_DURATION_MINUTES:
        raise ValidationError(
            {"duration_minutes": _("A meeting lasts from 15 to %(max)s minutes.") % {"max": MAX_DURATION_MINUTES}}
        )
    return dt.timedelta(minutes=minutes)


def _aware(moment: dt.datetime, sla: SLA) -> dt.datetime:
    if timezone.is_naive(moment):
        # A wall-clock time from a form: the SLA's time zone.
        return timezone.make_aware(moment, sla.business_calendar.tz)
    return moment


# --- preparing a review ------------------------------------------------------------------------


@transaction.atomic
def review_create_monthly(*, sla: SLA, month: dt.date, by=None, now: dt.datetime | None = None) -> Review:
    """The monthly review of ``sla``'s series about ``month`` (ended), created once: a second call
    returns the first one. Scheduled by ``scheduling.default_slot``; both teams' managers are
    invited. ``by`` is None when the system prepares it (the month's report was computed)."""
    now = now or timezone.now()
    if by is not None:
        _deny_unless(permissions.can_prepare_review(by, sla), _("Only a manager of the SLA's teams may do this."))
    version, local = _closed_month(sla, month, now)
    # One review per (series, month): concurrent preparations wait here, then find it.
    SLA.objects.select_for_update().filter(pk=version.pk).first()
    existing = Review.objects.filter(series=version.series, month=local.first_day, kind=Review.Kind.MONTHLY).first()
    if existing is not None:
        return existing
    start, end = scheduling.default_slot(version, local)
    try:
        with transaction.atomic():
            review = Review.objects.create(
                series=version.series,
                sla=version,
                month=local.first_day,
                kind=Review.Kind.MONTHLY,
                scheduled_at=start,
                ends_at=end,
                created_by=by,
                created_at=now,
            )
    except IntegrityError:
        return Review.objects.get(series=version.series, month=local.first_day, kind=Review.Kind.MONTHLY)
    invited = _add_participants(review, list(_managers(version)), by=by)
    _invite(review, invited)
    return review


def review_for_report(report) -> Review | None:
    """The monthly review prepared when the report of the series' last closed month is stored
    (``reporting.signals.report_created``); older months' reports (back-fills) prepare none."""
    sla = report.sla
    now = timezone.now()
    if sla.current_month(now).previous().first_day != report.month:
        return None
    return review_create_monthly(sla=sla, month=report.month, now=now)


@transaction.atomic
def review_create_extra(
    *,
    sla: SLA,
    month: dt.date,
    by,
    scheduled_at: dt.datetime,
    title: str = "",
    location: str = "",
    duration_minutes: int = DEFAULT_DURATION_MINUTES,
    now: dt.datetime | None = None,
) -> Review:
    """An extra meeting about an ended month (e.g. to amend closed minutes), prepared by a manager
    of either team; both teams' managers and its author are invited."""
    now = now or timezone.now()
    _deny_unless(permissions.can_prepare_review(by, sla), _("Only a manager of the SLA's teams may do this."))
    version, local = _closed_month(sla, month, now)
    scheduled_at = _aware(scheduled_at, version)
    if scheduled_at < now - dt.timedelta(minutes=5):
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    review = Review(
        series=version.series,
        sla=version,
        month=local.first_day,
        kind=Review.Kind.EXTRA,
        title=(title or "").strip()[:200],
        location=(location or "").strip()[:300],
        scheduled_at=scheduled_at,
        ends_at=scheduled_at + _duration(duration_minutes),
        created_by=by,
        created_at=now,
    )
    review.full_clean(exclude=["series", "ends_at"])
    review.save()
    users = list(_managers(version))
    if by.pk not in {user.pk for user in users}:
        users.append(by)
    _invite(review, _add_participants(review, users, by=by))
    return review


@transaction.atomic
def review_add_participant(*, review: Review, user, by) -> Participant:
    """Invite one more person (anyone signed in who may write); they get the current invitation."""
    _deny_unless(permissions.can_write_review(by, review), _("Only the participants and managers may invite."))
    review = _lock_open(review)
    if not (user and user.is_active):
        raise ValidationError({"user": _("Choose an active user.")})
    existing = review.participants.filter(user=user).first()
    if existing is not None:
        return existing
    _add_participants(review, [user], by=by)
    _invite(review, [user])
    return review.participants.get(user=user)


@transaction.atomic
def review_reschedule(
    *,
    review: Review,
    by,
    scheduled_at: dt.datetime,
    duration_minutes: int | None = None,
    location: str | None = None,
    now: dt.datetime | None = None,
) -> Review:
    """Move the meeting: the invitation's SEQUENCE goes up and every participant gets the update."""
    now = now or timezone.now()
    _deny_unless(permissions.can_run_review(by, review), _("Only a manager of the SLA's teams may reschedule."))
    review = _lock_open(review)
    scheduled_at = _aware(scheduled_at, review.sla)
    if scheduled_at < now - dt.timedelta(minutes=5):
        raise ValidationError({"scheduled_at": _("Choose a time in the future.")})
    length = _duration(duration_minutes) if duration_minutes is not None else review.duration
    review.scheduled_at = scheduled_at
    review.ends_at = scheduled_at + length
    if location is not None:
        review.location = location.strip()[:300]
    review.sequence += 1
    review.save(update_fields=["scheduled_at", "ends_at", "location", "sequence"])
    users = get_user_model().objects.filter(pk__in=review.participants.values("user_id")).order_by("pk")
    _invite(review, users)
    return review


# --- during the meeting ------------------------------------------------------------------------


def _check_item(item: str, *, blank: bool = False) -> str:
    item = (item or "").strip()
    if not item and blank:
        return ""
    known = set(agenda.SECTION_TITLES) | {f"miss:{key}" for key in CommitmentKey.values}
    if item not in known:
        raise ValidationError({"item": _("Choose an item of the agenda.")})
    return item


def _text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field cannot be blank.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(count)s characters.") % {"count": limit}})
    return value


@transaction.atomic
def agenda_point_add(*, review: Review, by, text: str) -> AgendaPoint:
    """A participant's own point for the agenda."""
    _deny_unless(permissions.can_write_review(by, review), _("Only the participants and managers may add points."))
    review = _lock_open(review)
    return AgendaPoint.objects.create(review=review, author=by, text=_text(text, "text", 2000))


@transaction.atomic
def note_add(*, review: Review, by, item: str, text: str) -> Note:
    """A note taken on one agenda item during the meeting."""
    _deny_unless(permissions.can_write_review(by, review), _("Only the participants and managers may take notes."))
    review = _lock_open(review)
    return Note.objects.create(review=review, item=_check_item(item), author=by, text=_text(text, "text", 5000))


@transaction.atomic
def decision_add(
    *,
    review: Review,
    by,
    text: str,
    item: str = "",
    proposal: str = "",
    commitment_key: str = "",
    category: int | None = None,
    proposed_value: Decimal | None = None,
    proposed_owner_function: str = "",
) -> Decision:
    """A decision of the meeting, optionally proposing one change of the SLA (see ``Decision``)."""
    _deny_unless(permissions.can_write_review(by, review), _("Only the participants and managers may decide."))
    review = _lock_open(review)
    decision = Decision(
        review=review,
        item=_check_item(item, blank=True),
        text=_text(text, "text", 5000),
        author=by,
        proposal=proposal or "",
        commitment_key=commitment_key or "",
        category=category or None,
        proposed_value=proposed_value,
        proposed_owner_function=proposed_owner_function or "",
    )
    if not decision.proposal:
        decision.commitment_key, decision.category, decision.proposed_value = "", None, None
        decision.proposed_owner_function = ""
    decision.full_clean(exclude=["review", "author"])
    if decision.proposal == Decision.Proposal.RESPONSE_TIME and review.sla.commitment(decision.commitment_key) is None:
        raise ValidationError({"commitment_key": _("The SLA has no such commitment.")})
    decision.save()
    return decision


def _owner_team(owner, sla: SLA) -> Team:
    """The team an action item's overdue alert escalates to: the owner's party of the SLA, else their team."""
    teams = teams_of(owner)
    for team in teams:
        if team.pk in (sla.marketing_team_id, sla.sales_team_id):
            return team
    if teams:
        return teams[0]
    raise ValidationError({"owner": _("The owner must belong to a team.")})


@transaction.atomic
def action_item_add(
    *,
    review: Review,
    by,
    title: str,
    owner,
    due_date: dt.date,
    item: str = "",
    lead: Lead | None = None,
    commitment_key: str = "",
    sla: SLA | None = None,
    decision: Decision | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """An action item: a follow-up of ``owner`` due at the end of ``due_date``'s working hours."""
    now = now or timezone.now()
    _deny_unless(
        permissions.can_write_review(by, review), _("Only the participants and managers may assign action items.")
    )
    review = _lock_open(review)
    errors = {}
    if owner is None or not owner.is_active or not can_write(owner):
        errors["owner"] = _("Choose an active user who may write (not a viewer).")
    if due_date is None:
        errors["due_date"] = _("Give the due date.")
    elif due_date < review.sla.today(now):
        errors["due_date"] = _("The due date cannot be in the past.")
    if decision is not None and decision.review_id != review.pk:
        errors["decision"] = _("Choose a decision of this review.")
    if sla is not None and sla.series != review.series:
        errors["sla"] = _("Choose a version of this review's SLA.")
    if commitment_key and commitment_key not in CommitmentKey.values:
        errors["commitment_key"] = _("Unknown commitment.")
    if errors:
        raise ValidationError(errors)
    title = _text(title, "title", 200)
    item_key = _check_item(item, blank=True)
    followup = lead_services.followup_create_action_item(
        title=title,
        owner=owner,
        owner_team=_owner_team(owner, review.sla),
        due_at=scheduling.due_at(review.sla, due_date),
        link=review.get_absolute_url(),
        lead=lead,
        sla=sla or review.sla,
        now=now,
    )
    action = ActionItem.objects.create(
        review=review,
        decision=decision,
        item=item_key,
        title=title,
        owner=owner,
        due_date=due_date,
        lead=lead,
        commitment_key=commitment_key or "",
        sla=sla,
        followup=followup,
        created_by=by,
        created_at=now,
    )
    # The follow-up opens the action item itself (its anchor on the review page).
    followup.link = action.get_absolute_url()
    followup.save(update_fields=["link"])
    return action


@transaction.atomic
def action_item_complete(*, item: ActionItem, by, at: dt.datetime | None = None) -> ActionItem:
    """Mark an action item done (its owner, or a participant or manager of its review) — also after
    the review closed: the minutes keep what it was, the next review shows it done."""
    _deny_unless(permissions.can_complete_action_item(by, item), _("Only its owner or the review's managers may."))
    lead_services.followup_mark_done(followup=item.followup, at=at)
    item.followup.refresh_from_db()
    return item


# --- adjustments -------------------------------------------------------------------------------


def _proposed_sections(decision: Decision, draft: SLA) -> dict:
    """The ``commitments`` or ``maturity_rules`` section of ``draft`` with the decision's change applied,
    as the plain dicts ``slas.services.sla_update`` takes."""
    value = decision.proposed_value
    if decision.proposal == Decision.Proposal.CATEGORY_RULE:
        rules = [rule.canonical() for rule in draft.maturity_rules.all()]
        for rule in rules:
            rule["response_hours"] = Decimal(rule["response_hours"])
        rule = next((r for r in rules if r["category"] == decision.category), None)
        if rule is None:
            rule = {
                "category": decision.category,
                "owner_function": decision.proposed_owner_function or "marketing",
                "response_hours": value,
                "sales_may_take": False,
                "take_max_days": None,
            }
            rules.append(rule)
        rule["response_hours"] = value
        if decision.proposed_owner_function:
            rule["owner_function"] = decision.proposed_owner_function
        return {"maturity_rules": rules}
    commitments = []
    for commitment in draft.commitments.all():
        commitments.append(
            {
                "key": commitment.key,
                "target": commitment.target,
                "hours": commitment.hours,
                "attempts": commitment.attempts,
                "days": commitment.days,
                "category_hours": dict(commitment.category_hours or {}),
            }
        )
    row = next((c for c in commitments if c["key"] == decision.commitment_key), None)
    if row is None:
        if decision.proposal != Decision.Proposal.TARGET:
            raise ValidationError({"commitment_key": _("The SLA has no such commitment.")})
        row = {"key": decision.commitment_key, "target": value, "category_hours": {}}
        commitments.append(row)
    if decision.proposal == Decision.Proposal.TARGET:
        row["target"] = value
    elif decision.category:
        hours = int(value) if value == value.to_integral_value() else float(value)
        row["category_hours"] = {**row["category_hours"], str(decision.category): hours}
    else:
        row["hours"] = value
    return {"commitments": commitments}


@transaction.atomic
def decision_open_amendment(*, decision: Decision, by) -> SLA:
    """Open the amendment a decision proposes: a draft of the series' active version (or the draft
    amendment already being prepared), with the change applied and the decision linked to it.

    Goes on through the normal flow (edit, submit, sign). Clicking again returns the same SLA
    version (whatever its status by then); a deleted draft is opened anew.
    """
    decision = (
        Decision.objects.select_for_update(of=("self",)).select_related("review__sla", "amendment").get(pk=decision.pk)
    )
    review = decision.review
    _deny_unless(permissions.can_open_amendment(by, review), _("Only a manager of the SLA's teams may amend it."))
    if not decision.proposal:
        raise ReviewConflict(_("This decision proposes no change to the SLA."))
    if decision.amendment is not None:
        return decision.amendment
    active = SLA.objects.filter(series=review.series, status=SLA.Status.ACTIVE).order_by("-version").first()
    if active is None:
        raise ReviewConflict(_("No version of this SLA is active: there is nothing to amend."))
    draft = SLA.objects.filter(amends=active, status=SLA.Status.DRAFT).first()
    if draft is None:
        try:
            draft = sla_services.sla_amend(sla=active, by=by)
        except sla_services.SLAConflict as exc:
            raise ReviewConflict(exc.message) from exc
    try:
        draft = sla_services.sla_update(
            sla=draft, by=by, revision=draft.revision, data=_proposed_sections(decision, draft)
        )
    except sla_services.SLAConflict as exc:
        raise ReviewConflict(exc.message) from exc
    decision.amendment = draft
    decision.save(update_fields=["amendment"])
    return draft


# --- closing: the minutes ----------------------------------------------------------------------


def minutes_snapshot(review: Review, *, by, now: dt.datetime) -> dict:
    """Everything the minutes say, frozen: the agenda as of closing, who took part, the notes,
    decisions and action items (with their state at closing)."""
    decisions = review.decisions.select_related("author", "amendment")
    items = review.action_items.select_related("owner", "lead", "followup", "decision")
    participants = review.participants.select_related("user").order_by("user__last_name", "user__username")
    return {
        "agenda": agenda.build(review, now=now),
        "participants": [agenda.person(p.user) for p in participants],
        "notes": [
            {
                "id": note.pk,
                "item": note.item,
                "by": agenda.person(note.author),
                "text": note.text,
                "created_at": note.created_at.isoformat(),
            }
            for note in review.notes.select_related("author")
        ],
        "decisions": [decision_data(decision) for decision in decisions],
        "action_items": [action_item_data(item) for item in items],
        "closed_at": now.isoformat(),
        "closed_by": agenda.person(by),
    }


def decision_data(decision: Decision) -> dict:
    return {
        "id": decision.pk,
        "item": decision.item,
        "text": decision.text,
        "by": agenda.person(decision.author),
        "created_at": decision.created_at.isoformat(),
        "proposal": decision.proposal,
        "commitment_key": decision.commitment_key,
        "category": decision.category,
        "proposed_value": str(decision.proposed_value) if decision.proposed_value is not None else None,
        "proposed_owner_function": decision.proposed_owner_function,
        "amendment": decision.amendment_id,
    }


def action_item_data(item: ActionItem) -> dict:
    return {
        "id": item.pk,
        "item": item.item,
        "title": item.title,
        "owner": agenda.person(item.owner),
        "due_date": item.due_date.isoformat(),
        "due_at": item.followup.due_at.isoformat(),
        "status": item.followup.status,
        "done_at": item.followup.done_at.isoformat() if item.followup.done_at else None,
        "lead": agenda.lead_data(item.lead),
        "commitment_key": item.commitment_key,
        "sla": item.sla_id,
        "decision": item.decision_id,
        "followup": item.followup_id,
    }


@transaction.atomic
def review_close(*, review: Review, by, now: dt.datetime | None = None) -> Review:
    """Freeze the minutes, e-mail them once to each participant (their language, HTML + text + PDF)
    and emit ``review.closed`` — all in one transaction. A closed review never changes again."""
    now = now or timezone.now()
    _deny_unless(permissions.can_run_review(by, review), _("Only a manager of the SLA's teams may close the review."))
    review = _lock_open(review)
    review.minutes = minutes_snapshot(review, by=by, now=now)
    review.status = Review.Status.CLOSED
    review.closed_at = now
    review.closed_by = by
    review.save(update_fields=["minutes", "status", "closed_at", "closed_by"])
    recipients = get_user_model().objects.filter(pk__in=review.participants.values("user_id"), is_active=True)
    for user in recipients.order_by("pk"):
        if not user.email:
            continue
        with translation.override(_language(user)):
            subject = _("Minutes: %(title)s, %(sla)s") % {"title": review.display_title, "sla": review.sla.title}
        notification_queue(
            kind=Notification.Kind.REVIEW_MINUTES,
            recipient=user,
            dedupe_key=f"review:{review.pk}:minutes",
            payload={"review": review.pk},
            subject=subject,
        )
    emit_event("review.closed", webhook_payload(review), key=f"review:{review.pk}:closed")
    return review


def webhook_payload(review: Review) -> dict:
    """The ``review.closed`` event's data (docs/reviews.md)."""
    minutes = review.minutes
    return {
        "id": review.pk,
        "sla": review.sla_id,
        "series": str(review.series),
        "month": f"{review.month:%Y-%m}",
        "kind": review.kind,
        "title": review.display_title,
        "scheduled_at": review.scheduled_at.isoformat(),
        "closed_at": review.closed_at.isoformat() if review.closed_at else None,
        "closed_by": review.closed_by_id,
        "participants": [person["id"] for person in minutes.get("participants", [])],
        "decisions": minutes.get("decisions", []),
        "action_items": minutes.get("action_items", []),
        "url": f"{settings.SITE_URL}{review.get_absolute_url()}",
        "web_url": f"{settings.SITE_URL}{review.get_absolute_url()}",
        "api_url": f"{settings.SITE_URL}{reverse('api-review-detail', args=[review.pk])}",
    }
