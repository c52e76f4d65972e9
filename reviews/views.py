"""Review pages: the list, the agenda (before), the meeting (during), the minutes (after).

Views parse the input, ask ``reviews.permissions``, call ``reviews.services`` and render. Times are
shown and read in the SLA's time zone. A refused change comes back as a message on the page it
came from (the forms are small; the page is the agenda or the meeting).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from reporting.models import MonthlyReport
from reporting.pdf import pdf_response
from reporting.planner_rates import planner_url_for
from slas.models import SLA
from slas.permissions import managed_teams
from smarketing.http import int_or_none

from . import agenda as agenda_module
from . import emails, ics, permissions, presentation, services
from .forms import (
    ActionItemForm,
    DecisionForm,
    ExtraReviewForm,
    NoteForm,
    ParticipantForm,
    PointForm,
    RescheduleForm,
)
from .models import ActionItem, Decision, Review


def _review(pk: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related(
            "sla", "sla__calendar", "sla__marketing_team", "sla__sales_team", "created_by", "closed_by"
        ),
        pk=pk,
    )


def _tz(review_or_sla) -> ZoneInfo:
    sla = review_or_sla.sla if isinstance(review_or_sla, Review) else review_or_sla
    return ZoneInfo(sla.time_zone)


def _form_errors(form) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


def _service_errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(" ".join(messages) for messages in exc.message_dict.values())
    return " ".join(exc.messages)


def _valid(request, form) -> dict | None:
    """The form's cleaned data, or None after putting its errors in a message."""
    if form.is_valid():
        return form.cleaned_data
    messages.error(request, _form_errors(form))
    return None


def _call(request, call, success: str):
    """Run a service call; refusals become messages (403 stays a 403). Returns the result or None."""
    try:
        result = call()
    except services.ReviewConflict as exc:
        messages.error(request, exc.message)
        return None
    except ValidationError as exc:
        messages.error(request, _service_errors(exc))
        return None
    if success:
        messages.success(request, success)
    return result


# --- list and preparation ------------------------------------------------------------------------


@login_required
@require_GET
def review_list(request):
    reviews = Review.objects.select_related("sla").annotate(
        open_actions=Count("action_items", filter=Q(action_items__followup__status="open"))
    )
    status = request.GET.get("status")
    if status in Review.Status.values:
        reviews = reviews.filter(status=status)
    sla_id = int_or_none(request.GET.get("sla"))
    if sla_id is not None:
        reviews = reviews.filter(series__in=SLA.objects.filter(pk=sla_id).values("series"))
    page = Paginator(reviews.order_by("-month", "-scheduled_at", "-pk"), 25).get_page(request.GET.get("page"))
    # Reports of ended months whose series has no monthly review yet: a manager may prepare it.
    prepared = Review.objects.filter(kind=Review.Kind.MONTHLY).values("series", "month")
    pending = []
    if managed_teams(request.user) or request.user.is_superuser:
        reports = (
            MonthlyReport.objects.current()
            .select_related("sla__marketing_team", "sla__sales_team")
            .exclude(Q(series__in=prepared.values("series")) & Q(month__in=prepared.values("month")))
            .order_by("-month")[:50]
        )
        keys = {(row["series"], row["month"]) for row in prepared}
        pending = [
            report
            for report in reports
            if (report.series, report.month) not in keys and permissions.can_prepare_review(request.user, report.sla)
        ][:6]
    return render(
        request,
        "reviews/list.html",
        {
            "page": page,
            "reviews": page.object_list,
            "status": status,
            "pending_reports": pending,
            "can_prepare": bool(_preparable_slas(request.user).exists()),
        },
    )


def _preparable_slas(user):
    slas = SLA.objects.signed().select_related("marketing_team", "sales_team").order_by("title", "-version")
    allowed = [sla.pk for sla in slas if permissions.can_prepare_review(user, sla)]
    return SLA.objects.filter(pk__in=allowed).order_by("title", "-version")


@login_required
@require_POST
def review_prepare(request):
    """The monthly review of a stored report's series and month, prepared by a manager."""
    report = get_object_or_404(MonthlyReport.objects.select_related("sla"), pk=int_or_none(request.POST.get("report")))
    review = _call(
        request,
        lambda: services.review_create_monthly(sla=report.sla, month=report.month, by=request.user),
        _("Review prepared: both teams' managers are invited."),
    )
    if review is None:
        return redirect("reviews:list")
    return redirect(review)


@login_required
def review_new(request):
    """An extra meeting about an ended month."""
    slas = _preparable_slas(request.user)
    if not slas.exists():
        raise PermissionDenied(_("Only an administrator or a manager of a signed SLA's team may call a review."))
    initial = {"month": f"{timezone.localdate().replace(day=1) - timezone.timedelta(days=1):%Y-%m}"}
    if int_or_none(request.GET.get("sla")) is not None:
        initial["sla"] = int_or_none(request.GET.get("sla"))
    form = ExtraReviewForm(request.POST or None, slas=slas, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        review = _call(
            request,
            lambda: services.review_create_extra(
                sla=data["sla"],
                month=data["month"],
                by=request.user,
                scheduled_at=data["scheduled_at"],
                title=data["title"],
                location=data["location"],
                duration_minutes=data["duration_minutes"],
            ),
            _("Meeting prepared: the participants are invited."),
        )
        if review is not None:
            return redirect(review)
    return render(request, "reviews/new.html", {"form": form})


# --- one review --------------------------------------------------------------------------------


def _leads_in(minutes: dict) -> list[tuple[int, str]]:
    """(id, name) of the leads the agenda mentions, for the action item form."""
    seen: dict[int, str] = {}

    def walk(value):
        if isinstance(value, dict):
            lead = value.get("lead")
            if isinstance(lead, dict) and "id" in lead:
                seen.setdefault(lead["id"], lead["name"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(minutes["agenda"])
    return sorted(seen.items(), key=lambda pair: pair[1])


def _page_context(request, review: Review) -> dict:
    minutes = presentation.review_minutes(review)
    can_write = permissions.can_write_review(request.user, review)
    participants = review.participants.select_related("user").order_by("user__first_name", "user__username")
    context = {
        "review": review,
        "sla": review.sla,
        "minutes": minutes,
        "participants": participants,
        "can_write": can_write and review.is_open,
        # Marking an action item done is allowed after closing too (its state lives on).
        "can_complete_any": can_write,
        "can_run": permissions.can_run_review(request.user, review) and review.is_open,
        "can_amend": permissions.can_open_amendment(request.user, review),
        "report": MonthlyReport.objects.current().filter(series=review.series, month=review.month).first(),
        "time_zone": review.sla.time_zone,
        "decisions": review.decisions.select_related("amendment"),
    }
    if review.is_open and can_write:
        items = agenda_module.item_choices(minutes["agenda"])
        decisions = [(d.pk, d.text[:80]) for d in context["decisions"]]
        context.update(
            participant_form=ParticipantForm(exclude_ids=[p.user_id for p in participants]),
            point_form=PointForm(),
            decision_form=DecisionForm(items=items),
            action_form=ActionItemForm(items=items, leads=_leads_in(minutes), decisions=decisions),
            agenda_items=items,
        )
    if context["can_run"]:
        context["reschedule_form"] = RescheduleForm(
            initial={
                "scheduled_at": timezone.localtime(review.scheduled_at, _tz(review)),
                "duration_minutes": int(review.duration.total_seconds() // 60),
                "location": review.location,
            }
        )
    return context


@login_required
@require_GET
def review_detail(request, pk: int):
    """Before and during the meeting: the agenda from the data; after it: the minutes."""
    review = _review(pk)
    with timezone.override(_tz(review)):
        context = _page_context(request, review)
        template = "reviews/agenda.html" if review.is_open else "reviews/minutes.html"
        return render(request, template, context)


@login_required
@require_GET
def review_meeting(request, pk: int):
    """The meeting: each agenda item with its notes, then decisions and action items."""
    review = _review(pk)
    if not review.is_open:
        return redirect(review)
    with timezone.override(_tz(review)):
        context = _page_context(request, review)
        context["note_form"] = NoteForm() if context["can_write"] else None
        return render(request, "reviews/meeting.html", context)


def _back(review: Review, anchor: str = "", *, meeting: bool = False) -> HttpResponse:
    url = reverse("reviews:meeting" if meeting and review.is_open else "reviews:detail", args=[review.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


@login_required
@require_POST
def participant_add(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_write_review(request.user, review))
    data = _valid(request, ParticipantForm(request.POST))
    if data is None:
        return _back(review, "participants")
    user = data["user"]
    _call(
        request,
        lambda: services.review_add_participant(review=review, user=user, by=request.user),
        _("%(name)s is invited.") % {"name": user.get_full_name() or user.get_username()},
    )
    return _back(review, "participants")


@login_required
@require_POST
def point_add(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_write_review(request.user, review))
    data = _valid(request, PointForm(request.POST))
    if data is None:
        return _back(review, "points")
    _call(
        request,
        lambda: services.agenda_point_add(review=review, by=request.user, text=data["text"]),
        _("Your point is on the agenda."),
    )
    return _back(review, "section-points")


@login_required
@require_POST
def note_add(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_write_review(request.user, review))
    data = _valid(request, NoteForm(request.POST))
    if data is None:
        return _back(review, meeting=True)
    _call(
        request,
        lambda: services.note_add(review=review, by=request.user, item=data["item"], text=data["text"]),
        _("Note added."),
    )
    return _back(review, f"section-{data['item'].replace(':', '-')}", meeting=True)


@login_required
@require_POST
def decision_add(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_write_review(request.user, review))
    data = _valid(request, DecisionForm(request.POST))
    if data is None:
        return _back(review, "decisions", meeting=True)
    _call(
        request,
        lambda: services.decision_add(
            review=review,
            by=request.user,
            text=data["text"],
            item=data["item"],
            proposal=data["proposal"],
            commitment_key=data["commitment_key"],
            category=data["category"],
            proposed_value=data["proposed_value"],
            proposed_owner_function=data["proposed_owner_function"],
        ),
        _("Decision recorded."),
    )
    return _back(review, "decisions", meeting=True)


@login_required
@require_POST
def decision_amend(request, pk: int, decision_pk: int):
    """One click: the amendment draft of the SLA with the decision's change, opened in the editor."""
    review = _review(pk)
    decision = get_object_or_404(Decision, pk=decision_pk, review=review)
    _refuse_unless(permissions.can_open_amendment(request.user, review))
    draft = _call(
        request,
        lambda: services.decision_open_amendment(decision=decision, by=request.user),
        _("Amendment draft prepared with the proposed change: check it, then submit it for signature."),
    )
    if draft is None:
        return _back(review, f"decision-{decision.pk}", meeting=True)
    if draft.status == SLA.Status.DRAFT:
        return redirect("slas:edit", pk=draft.pk)
    return redirect("slas:detail", pk=draft.pk)


@login_required
@require_POST
def action_add(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_write_review(request.user, review))
    data = _valid(request, ActionItemForm(request.POST))
    if data is None:
        return _back(review, "actions", meeting=True)
    decision = Decision.objects.filter(pk=data["decision"]).first() if data["decision"] else None
    _call(
        request,
        lambda: services.action_item_add(
            review=review,
            by=request.user,
            title=data["title"],
            owner=data["owner"],
            due_date=data["due_date"],
            item=data["item"],
            lead=data["lead"],
            commitment_key=data["commitment_key"],
            decision=decision,
        ),
        _("Action item assigned: it is in its owner's follow-ups."),
    )
    return _back(review, "actions", meeting=True)


@login_required
@require_POST
def action_done(request, pk: int):
    item = get_object_or_404(ActionItem.objects.select_related("review__sla", "followup"), pk=pk)
    _refuse_unless(permissions.can_complete_action_item(request.user, item))
    _call(
        request,
        lambda: services.action_item_complete(item=item, by=request.user),
        _("Action item marked done."),
    )
    return _back(item.review, f"action-{item.pk}", meeting=True)


@login_required
@require_POST
def review_reschedule(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_run_review(request.user, review))
    with timezone.override(_tz(review)):  # the form reads the wall-clock time in the SLA's zone
        data = _valid(request, RescheduleForm(request.POST))
    if data is None:
        return _back(review, "schedule")
    _call(
        request,
        lambda: services.review_reschedule(
            review=review,
            by=request.user,
            scheduled_at=data["scheduled_at"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
        ),
        _("Meeting moved: every participant gets the updated invitation."),
    )
    return _back(review, "schedule")


@login_required
@require_POST
def review_close(request, pk: int):
    review = _review(pk)
    _refuse_unless(permissions.can_run_review(request.user, review))
    closed = _call(
        request,
        lambda: services.review_close(review=review, by=request.user),
        _("Review closed: the minutes are final and e-mailed to every participant."),
    )
    if closed is None:
        return _back(review, meeting=True)
    return redirect(closed)


@login_required
@require_GET
def minutes_pdf(request, pk: int):
    review = _review(pk)
    if review.is_open:
        raise Http404(_("The minutes exist once the review is closed."))
    with timezone.override(_tz(review)):
        return pdf_response(lambda: emails.minutes_pdf(review), f"minutes-{review.month:%Y-%m}-{review.pk}.pdf")


@login_required
@require_GET
def review_invitation(request, pk: int):
    """The meeting as an .ics file (the same event as the invitation e-mail's)."""
    review = _review(pk)
    content = ics.invitation(
        review,
        sequence=review.sequence,
        start=review.scheduled_at,
        end=review.ends_at,
        location=review.location,
        summary=f"{review.display_title}, {review.sla.title}",
        description=request.build_absolute_uri(review.get_absolute_url()),
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="review-{review.pk}.ics"'
    return response


@login_required
@require_GET
def review_planner(request, pk: int):
    """The goal planner prefilled with the reviewed month's real step conversion rates."""
    review = _review(pk)
    agenda = review.minutes.get("agenda") if not review.is_open else None
    if agenda is None:
        report = MonthlyReport.objects.current().filter(series=review.series, month=review.month).first()
        rates = report.data.get("funnel", {}).get("conversion_rates", {}) if report else {}
    else:
        rates = agenda.get("planner_rates", {})
    return redirect(planner_url_for(rates))
