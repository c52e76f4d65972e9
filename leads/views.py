"""Lead pages: list, board, detail with actions, create/edit, follow-ups, import, visits, capture.

Views parse input, call ``leads.services`` and render; refusals become messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from slas.models import Function, MaturityCategory, Team
from slas.permissions import can_write, teams_of
from smarketing.http import int_or_none, safe_next_url
from smarketing.keyset import keyset_page, rows_of_branches
from smarketing.models import Job
from smarketing.spreadsheets import csv_writer
from smarketing.throttling import CaptureThrottle

from . import forms, imports, permissions, services
from .api.views import queue_import
from .filters import LeadFilter, lead_list_queryset
from .models import FUNNEL_ORDER, CaptureForm, FollowUp, Handoff, ImportFile, Lead, LeadEvent, Source, Stage, VisitCount
from .queries import (
    capped_counts,
    capture_changes,
    followups_for,
    mark_followups_overdue,
    mark_overdue,
    next_actions,
    next_obligation,
)

SORTS = {
    "created": "created_at",
    "name": "last_name",
    "company": "company",
    "stage": "stage",
    "owner": "owner_team__name",
}
BOARD_CARDS = 30
# A column counts its leads up to this many, then shows "1000+".
BOARD_COUNT_CAP = 1000
MAX_PAGE_SIZE = 200


def _ordering(request: HttpRequest) -> tuple[list[str], str]:
    """The list's order from ``?sort=`` (the newest first by default), ending on the primary key."""
    key = request.GET.get("sort", "-created")
    field = SORTS.get(key.lstrip("-"), "created_at")
    return [f"-{field}" if key.startswith("-") else field, "-pk"], key


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    lead_filter = LeadFilter(request.GET or None, queryset=lead_list_queryset())
    ordering, sort = _ordering(request)
    queryset = lead_filter.qs.order_by(*ordering)
    if request.GET.get("export") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="leads.csv"'
        writer = csv_writer(response)
        writer.writerow(
            [
                "id",
                "first_name",
                "last_name",
                "email",
                "company",
                "stage",
                "owner_team",
                "owner",
                "maturity_category",
                "channel",
                "created_at",
                "overdue",
            ]
        )
        # The whole list: here one hashed pass over the overdue follow-ups is the right plan.
        for lead in queryset.with_overdue_flag().iterator(chunk_size=2000):
            writer.writerow(
                [
                    lead.pk,
                    lead.first_name,
                    lead.last_name,
                    lead.email or "",
                    lead.company,
                    lead.stage,
                    lead.owner_team.name,
                    lead.owner_user.username if lead.owner_user else "",
                    lead.maturity_category or "",
                    lead.channel,
                    lead.created_at.isoformat(),
                    lead.has_overdue,
                ]
            )
        return response
    page_size = min(max(int_or_none(request.GET.get("page_size")) or 25, 1), MAX_PAGE_SIZE)
    # Keyset pages and an estimated total: the same cost on page 1 and page 40,000.
    page = keyset_page(queryset, ordering, page_size, after=request.GET.get("after"), before=request.GET.get("before"))
    page.object_list = mark_overdue(page.object_list)
    params = request.GET.copy()
    for name in ("page", "after", "before"):
        params.pop(name, None)
    return render(
        request,
        "leads/list.html",
        {
            "filter": lead_filter,
            "page": page,
            "sort": sort,
            "querystring": params.urlencode(),
            "can_create": permissions.can_create_lead(request.user),
            "active_filters": _active_filters(lead_filter, request),
        },
    )


def _active_filters(lead_filter: LeadFilter, request: HttpRequest) -> int:
    """How many filters narrow the list (the count on the phone's Filters button)."""
    return sum(
        1
        for name in lead_filter.form.fields
        if any(value not in ("", "unknown") for value in request.GET.getlist(name))
    )


BOARD_FILTERS = ("owner_team", "owner_user", "maturity_category", "overdue")


def _url_for_each(name: str, *args):
    """``reverse(name, args=[pk, *args])`` for many leads: reversed once, each pk put in its place."""
    marker = 2147483647
    before, _, after = reverse(name, args=[marker, *args]).partition(str(marker))
    return lambda pk: f"{before}{pk}{after}"


def _styled_fields(form, names):
    """The named fields of a filter form as Bootstrap selects."""
    for name in names:
        form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
    return [form[name] for name in names]


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The pipeline: one column per stage with its (capped) count and deal total, the newest
    cards, each offering only the moves the server accepts; filters by team, owner, category and
    overdue."""
    params = request.GET.copy()
    for key in list(params):
        if key not in BOARD_FILTERS:
            params.pop(key)
    lead_filter = LeadFilter(params or None, queryset=lead_list_queryset())
    filtered = lead_filter.is_bound and lead_filter.is_valid()
    base = lead_filter.qs if filtered else lead_list_queryset()
    stages = [*FUNNEL_ORDER, Stage.LOST]
    # Both read the (stage, stage_entered_at) index: each column's newest cards (one UNION ALL
    # of a LIMIT branch per column), and a count that stops at BOARD_COUNT_CAP instead of
    # counting every lead of the stage per request.
    branches = [base.filter(stage=stage).order_by("-stage_entered_at")[:BOARD_CARDS] for stage in stages]
    cards = {stage: [] for stage in stages}
    for lead in rows_of_branches(branches):
        cards[lead.stage].append(lead)
    for column in cards.values():
        column.sort(key=lambda lead: lead.stage_entered_at, reverse=True)
    mark_overdue(card for column in cards.values() for card in column)
    counted = base if filtered else Lead.objects.all()
    counts = capped_counts({stage: counted.filter(stage=stage) for stage in stages}, BOARD_COUNT_CAP)
    # The deal total is summed only for columns within the cap (bounded work per request).
    summed = [stage for stage in stages if counts[stage] <= BOARD_COUNT_CAP]
    totals = (
        dict(
            counted.filter(stage__in=summed)
            .order_by()
            .values("stage")
            .annotate(total=Sum("deal_value"))
            .values_list("stage", "total")
        )
        if summed
        else {}
    )
    # Labels and texts translated once per stage, links reversed once per kind: the 210 cards
    # rendered them one by one (a third of the page's time).
    labels = {stage: str(Stage(stage).label) for stage in stages}
    columns = [
        {
            "stage": stage,
            "label": labels[stage],
            "count": min(counts[stage], BOARD_COUNT_CAP),
            "count_capped": counts[stage] > BOARD_COUNT_CAP,
            "total": totals.get(stage),
            "cards": cards[stage],
            "refused": _("A lead cannot move from %(from)s to %(to)s.") % {"from": labels[stage], "to": "__TO__"},
        }
        for stage in stages
    ]
    user = request.user
    readonly = not can_write(user)
    # Each card offers only the moves the server accepts (one query for the pending handoffs).
    card_ids = [lead.pk for column in columns for lead in column["cards"]]
    pending = set(
        Handoff.objects.filter(status=Handoff.Status.PENDING, lead_id__in=card_ids).values_list("lead_id", flat=True)
    )
    options: dict[tuple, str] = {}  # the <option>s of each distinct list of targets
    detail_url, move_url, handoff_url = (
        _url_for_each("leads:detail"),
        _url_for_each("leads:action", "transition"),
        _url_for_each("leads:action", "handoff"),
    )
    for column in columns:
        for lead in column["cards"]:
            may_move = not readonly and (
                permissions.can_edit_marketing_lead(user, lead) or permissions.can_work_sales_lead(user, lead)
            )
            targets = services.transition_targets(lead, pending=lead.pk in pending) if may_move else []
            lead.targets = [(stage, labels[stage]) for stage in targets]
            lead.may_handoff = not readonly and lead.pk not in pending and permissions.can_handoff(user, lead)
            lead.target_values = " ".join(targets + (["sql"] if lead.may_handoff else []))
            if targets:
                key = tuple(targets)
                if key not in options:
                    options[key] = format_html_join("", '<option value="{}">{}</option>', lead.targets)
                lead.target_options = options[key]
                lead.move_label = _("Move %(name)s to") % {"name": lead.display_name}
            lead.detail_url, lead.move_url, lead.handoff_url = (
                detail_url(lead.pk),
                move_url(lead.pk),
                handoff_url(lead.pk),
            )
    return render(
        request,
        "leads/board.html",
        {
            "columns": columns,
            "readonly": readonly,
            "next_url": request.get_full_path(),
            # What {% csrf_token %} writes, made once for the cards' 210 move forms.
            "csrf_input": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            ),
            "move_text": _("Move"),
            "filter_fields": _styled_fields(lead_filter.form, BOARD_FILTERS),
            "filtered": bool(params),
            "sales_teams": list(Team.objects.filter(function=Function.SALES).order_by("name")),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead.objects.select_related("owner_team", "owner_user", "sla", "return_team"), pk=pk)
    user = request.user
    pending = lead.handoffs.select_related("to_team").filter(status=Handoff.Status.PENDING).first()
    may = {
        "edit": permissions.can_work_lead(user, lead),
        "move": permissions.can_edit_marketing_lead(user, lead) or permissions.can_work_sales_lead(user, lead),
        "handoff": permissions.can_handoff(user, lead) and pending is None,
        "decide": pending is not None and permissions.can_decide_handoff(user, pending.to_team),
        "take": permissions.can_take(user, lead) and pending is None,
        "return": permissions.can_return(user, lead),
        "activity": permissions.can_work_lead(user, lead),
    }
    targets = services.transition_targets(lead) if may["move"] else []
    may["move"] = bool(targets)
    events = list(lead.events.select_related("actor", "team", "owner_user", "activity").order_by("-occurred_at", "-pk"))
    categories = dict(MaturityCategory.choices)
    for event in events:
        event.who = (event.actor.get_full_name() or event.actor.username) if event.actor else _("The public form")
        if event.kind == LeadEvent.Kind.CAPTURED_AGAIN:
            event.capture = capture_changes(lead, event)
        event.activity_row = event.activity if event.kind == LeadEvent.Kind.ACTIVITY and _has_activity(event) else None
        if event.kind == LeadEvent.Kind.UPDATED:
            event.changed_labels = [_field_label(field) for field in (event.payload.get("changed") or {})]
        if event.kind == LeadEvent.Kind.CATEGORY_CHANGED:
            event.category_from = categories.get(event.payload.get("from"))
            event.category_to = categories.get(event.payload.get("to"))
    followup_rows = list(
        lead.followups.select_related("owner_team", "owner_user", "sla__calendar")
        .with_overdue_flag()
        .order_by("status", "due_at")
    )
    activities = [event.activity_row for event in events if event.activity_row is not None]
    qualify_form = forms.QualifyForm(
        initial={**{f: getattr(lead, f) for f in services.QUALIFICATION_FIELDS}, "version": lead.version}
    )
    context = {
        "lead": lead,
        "pending": pending,
        "may": may,
        "events": events,
        "followups": followup_rows,
        "activities": activities,
        # Feedback sales gives marketing: meeting and call notes, returns and rejections with a reason.
        "feedback": [
            event
            for event in events
            if (event.activity_row is not None and event.activity_row.note.strip())
            or (event.kind in (LeadEvent.Kind.RETURNED, LeadEvent.Kind.REJECTED) and event.reason.strip())
        ],
        "obligation": next_obligation(lead, followup_rows),
        "next_actions": next_actions(lead, user, may=may, followups=followup_rows),
        "derived_category": lead.derived_category(),
        "category_label": categories.get(lead.maturity_category),
        "derived_category_label": categories.get(lead.derived_category()),
        "qualify_form": qualify_form,
        "answers": [(Lead._meta.get_field(f).verbose_name, getattr(lead, f)) for f in services.QUALIFICATION_FIELDS],
        "transition_form": forms.TransitionForm(initial={"expected_stage": lead.stage}, targets=targets),
        "handoff_form": forms.HandoffForm(),
        "accept_form": forms.AcceptForm(team=pending.to_team if pending else None),
        "reject_form": forms.RejectForm(),
        "take_form": forms.TakeForm(user=user),
        "return_form": forms.ReturnForm(),
        "category_form": forms.CategoryForm(),
        "activity_form": forms.ActivityForm(),
    }
    return render(request, "leads/detail.html", context)


def _field_label(field: str) -> str:
    try:
        return str(Lead._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:
        return field


def _has_activity(event: LeadEvent) -> bool:
    try:
        return event.activity is not None
    except LeadEvent.activity.RelatedObjectDoesNotExist:
        return False


@login_required
@require_POST
def apply_proposal(request: HttpRequest, pk: int, event_id: int) -> HttpResponse:
    """Apply the values a later capture proposed, through the normal update service."""
    lead = get_object_or_404(Lead, pk=pk)
    event = get_object_or_404(lead.events, pk=event_id)
    form = forms.ApplyProposalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the values to apply."))
        return redirect("leads:detail", pk=pk)
    _perform(
        request,
        lambda: services.lead_apply_proposal(
            lead=lead,
            event=event,
            by=request.user,
            fields=form.cleaned_data["fields_to_apply"],
            expected_version=form.cleaned_data["version"],
        ),
        _("The proposed values were applied."),
    )
    return redirect("leads:detail", pk=pk)


def _perform(request: HttpRequest, call, success: str) -> None:
    """Run one service call of a page's button: its outcome becomes a message.

    The page never offers a forbidden action, so only a forced request is refused — outright, with
    the 403 page (PermissionDenied goes on to ``handler403``).
    """
    try:
        call()
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc) or _("You may not do this.")) from exc
    except services.LeadConflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_lead(request.user):
        raise PermissionDenied(_("You may not create leads."))
    form = forms.LeadCreateForm(
        request.POST or None, initial={"team": (teams_of(request.user, Function.MARKETING) or [None])[0]}
    )
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in services.LEAD_DATA_FIELDS}
        try:
            lead = services.lead_create(
                data=data,
                team=form.cleaned_data["team"],
                by=request.user,
                occurred_at=form.cleaned_data["occurred_at"],
                stage=form.cleaned_data["stage"],
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("team", str(exc))
        else:
            if lead.captured_again:
                messages.info(
                    request,
                    _(
                        "A lead with this e-mail already existed: its filled fields were kept and the touch "
                        "was logged; values that differ are proposed on its timeline."
                    ),
                )
            return redirect("leads:detail", pk=lead.pk)
    return render(request, "leads/form.html", {"form": form, "title": _("New lead")})


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_object_or_404(Lead, pk=pk)
    if not permissions.can_work_lead(request.user, lead):
        raise PermissionDenied(_("You may not edit this lead."))
    form = forms.LeadForm(request.POST or None, instance=Lead.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in services.LEAD_DATA_FIELDS}
        try:
            services.lead_update(
                lead=lead,
                data=data,
                by=request.user,
                occurred_at=form.cleaned_data["occurred_at"],
                expected_version=int_or_none(request.POST.get("version")) or lead.version,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        except services.LeadConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Lead updated."))
            return redirect("leads:detail", pk=pk)
    return render(request, "leads/form.html", {"form": form, "title": _("Edit lead"), "lead": lead})


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _qualify(lead: Lead, data: dict) -> Lead:
    return services.lead_update(
        lead=lead,
        data={field: bool(data.get(field)) for field in services.QUALIFICATION_FIELDS},
        by=data["by"],
        occurred_at=data.get("occurred_at"),
        expected_version=data.get("version"),
    )


# name → (form, service call, confirmation): every button of the lead page and the board.
ACTIONS = {
    "transition": (
        forms.TransitionForm,
        lambda lead, d: services.lead_transition(lead=lead, **d),
        gettext_lazy("The lead moved to its new stage."),
    ),
    "handoff": (
        forms.HandoffForm,
        lambda lead, d: services.lead_handoff(lead=lead, **d),
        gettext_lazy("The lead was handed off to sales; it waits for their decision."),
    ),
    "accept": (
        forms.AcceptForm,
        lambda lead, d: services.lead_accept(lead=lead, **d),
        gettext_lazy("Handoff accepted: the lead is an SQL of your team."),
    ),
    "reject": (
        forms.RejectForm,
        lambda lead, d: services.lead_reject(lead=lead, **d),
        gettext_lazy("Handoff rejected: the lead went back to marketing with your reason."),
    ),
    "take": (
        forms.TakeForm,
        lambda lead, d: services.lead_take(lead=lead, **d),
        gettext_lazy("You hold the lead temporarily for sales."),
    ),
    "return": (
        forms.ReturnForm,
        lambda lead, d: services.lead_return(lead=lead, **d),
        gettext_lazy("The lead was returned to marketing."),
    ),
    "category": (
        forms.CategoryForm,
        lambda lead, d: services.lead_set_category(lead=lead, **d),
        gettext_lazy("Maturity category saved."),
    ),
    "qualify": (forms.QualifyForm, _qualify, gettext_lazy("Qualification saved.")),
    "activity": (
        forms.ActivityForm,
        lambda lead, d: services.activity_log(lead=lead, **d),
        gettext_lazy("Activity logged."),
    ),
}


@login_required
@require_POST
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Every button of the detail page and the board's card moves: one service call each."""
    lead = get_object_or_404(Lead, pk=pk)
    if name not in ACTIONS:
        raise Http404
    form_class, run, success = ACTIONS[name]
    kwargs = {}
    if name == "take":
        kwargs["user"] = request.user
    if name == "accept":
        pending = lead.handoffs.select_related("to_team").filter(status=Handoff.Status.PENDING).first()
        kwargs["team"] = pending.to_team if pending else None
    form = form_class(request.POST, **kwargs)
    next_url = safe_next_url(request, request.POST.get("next"))
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
        return redirect(next_url or "leads:detail", **({} if next_url else {"pk": pk}))
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") or k in {"reason", "feedback"}}
    if name == "category":
        data.setdefault("category", None)
    _perform(request, lambda: run(lead, {**data, "by": request.user}), str(success))
    if next_url:
        return redirect(next_url)
    return redirect("leads:detail", pk=pk)


@login_required
def followups(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    queryset = followups_for(
        request.user, mine=True, overdue=show == "overdue", status=None if show == "all" else FollowUp.Status.OPEN
    )
    # Keyset pages in due order and an estimated total: no COUNT(*) of the table, no OFFSET.
    page = keyset_page(queryset, ["due_at", "pk"], 50, after=request.GET.get("after"), before=request.GET.get("before"))
    page.object_list = mark_followups_overdue(page.object_list)
    return render(request, "leads/followups.html", {"page": page, "show": show})


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    form = forms.VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.visits_record(by=request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            data = form.cleaned_data
            messages.success(
                request,
                _("%(count)s visits recorded for %(channel)s in %(month)s.")
                % {
                    "count": formats.number_format(data["count"], force_grouping=True),
                    "channel": data["channel"],
                    "month": formats.date_format(data["month"], "YEAR_MONTH_FORMAT"),
                },
            )
            return redirect("leads:visits")
    rows = VisitCount.objects.all()[:120]
    return render(request, "leads/visits.html", {"form": form, "rows": rows})


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload (bounded, stored in the database), preview with a column mapping, then confirm."""
    if not (permissions.can_create_lead(request.user) and can_write(request.user)):
        raise PermissionDenied(_("You may not import leads."))
    draft_id = int_or_none(request.GET.get("draft") or request.POST.get("draft"))
    draft = ImportFile.objects.filter(pk=draft_id, created_by=request.user).first() if draft_id else None
    if draft is None:
        form = forms.ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            ImportFile.objects.stale().delete()
            draft = ImportFile.objects.create(
                created_by=request.user,
                team=form.cleaned_data["team"],
                name=(form.cleaned_data["file"].name or "")[:255],
                headers=form.cleaned_data["headers"],
                text=form.cleaned_data["text"],
            )
            return redirect(f"{request.path}?draft={draft.pk}")
        return render(request, "leads/import.html", {"upload_form": form})
    initial = imports.default_mapping(draft.headers)
    mapping_form = forms.ImportMappingForm(request.POST or None, headers=draft.headers, initial_mapping=initial)
    mapping = mapping_form.mapping() if request.method == "POST" and mapping_form.is_valid() else initial
    checked = imports.preview(draft.text, mapping, default_team=draft.team)
    if request.method == "POST" and request.POST.get("confirm") and checked.ok:
        job = queue_import(import_file=draft, mapping=mapping, team=draft.team, by=request.user)
        return redirect("leads:import_job", pk=job.pk)
    return render(
        request,
        "leads/import.html",
        {
            "mapping_form": mapping_form,
            "checked": checked,
            "draft": draft.pk,
            "sample": checked.rows[:20],
            "existing_count": sum(1 for row in checked.rows if row.get("existing")),
            "errors": checked.errors[:200],
        },
    )


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.visible_to(request.user), pk=pk, kind=Job.Kind.LEAD_IMPORT)
    template = "leads/_job.html" if request.headers.get("HX-Request") else "leads/import_job.html"
    return render(request, template, {"job": job})


@login_required
def capture_forms(request: HttpRequest) -> HttpResponse:
    """The public capture forms, each with its address and the HTML to put on a website.

    The snippet links to the form (it opens in a new tab): the page refuses to be framed
    (``X-Frame-Options: DENY``, ``frame-ancestors 'none'``) and its CSRF cookie would not reach a
    third-party frame, so an ``<iframe>`` would show nothing or refuse every submission.
    """
    rows = []
    for capture_form in CaptureForm.objects.select_related("team").order_by("-is_active", "name"):
        url = request.build_absolute_uri(reverse("capture", args=[capture_form.slug]))
        label = _("Contact us")
        snippet = format_html(
            '<a href="{}" target="_blank" rel="noopener" class="smarketing-capture">{}</a>', url, label
        )
        rows.append({"form": capture_form, "url": url, "snippet": str(snippet)})
    return render(request, "leads/capture_forms.html", {"rows": rows})


def capture(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page a prospect fills in: CSRF-protected, rate-limited per client IP, deduplicated.

    The limit is the ``capture`` throttle rate (``API_THROTTLE_CAPTURE``), keyed by
    :func:`smarketing.client_ip.client_ip`, so it holds behind trusted proxies.
    """
    capture_form = get_object_or_404(CaptureForm.objects.select_related("team"), slug=slug, is_active=True)
    form = forms.CaptureForm(request.POST or None)
    if request.method == "POST":
        if not CaptureThrottle().allow_request(request, None):
            return render(
                request,
                "leads/capture.html",
                {"capture_form": capture_form, "form": form, "throttled": True},
                status=429,
            )
        if form.is_valid():
            data = {**form.cleaned_data, "channel": capture_form.channel}
            try:
                services.lead_create(
                    data=data, team=capture_form.team, by=None, source=Source.CAPTURE_FORM, capture_form=capture_form
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                return render(request, "leads/capture_done.html", {"capture_form": capture_form})
    return render(request, "leads/capture.html", {"capture_form": capture_form, "form": form})
