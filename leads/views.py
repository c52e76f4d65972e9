"""Lead pages: list, board, detail with actions, create/edit, follow-ups, import, visits, capture.

Views parse input, call ``leads.services`` and render; refusals become messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slas.models import Function
from slas.permissions import can_write, teams_of
from smarketing.http import int_or_none, safe_next_url
from smarketing.models import Job
from smarketing.spreadsheets import csv_writer
from smarketing.throttling import CaptureThrottle

from . import forms, imports, permissions, services
from .api.views import queue_import
from .filters import LeadFilter, lead_list_queryset
from .models import FUNNEL_ORDER, CaptureForm, FollowUp, Handoff, ImportFile, Lead, LeadEvent, Source, Stage, VisitCount
from .queries import capture_changes, followups_for

SORTS = {
    "created": "created_at",
    "name": "last_name",
    "company": "company",
    "stage": "stage",
    "owner": "owner_team__name",
}
BOARD_CARDS = 30
MAX_PAGE_SIZE = 200


def _sorted(request: HttpRequest, queryset):
    key = request.GET.get("sort", "-created")
    field = SORTS.get(key.lstrip("-"), "created_at")
    return queryset.order_by(f"-{field}" if key.startswith("-") else field, "-pk"), key


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    lead_filter = LeadFilter(request.GET or None, queryset=lead_list_queryset())
    queryset, sort = _sorted(request, lead_filter.qs)
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
        for lead in queryset.iterator(chunk_size=2000):
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
    page = Paginator(queryset, page_size).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "leads/list.html",
        {
            "filter": lead_filter,
            "page": page,
            "sort": sort,
            "querystring": params.urlencode(),
            "can_create": permissions.can_create_lead(request.user),
        },
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    base = lead_list_queryset()
    counts = dict(base.order_by().values_list("stage").annotate(n=Count("pk")))
    columns = []
    for stage in [*FUNNEL_ORDER, Stage.LOST]:
        cards = list(base.filter(stage=stage).order_by("-stage_entered_at")[:BOARD_CARDS])
        columns.append({"stage": stage, "label": Stage(stage).label, "count": counts.get(stage, 0), "cards": cards})
    return render(request, "leads/board.html", {"columns": columns, "stages": Stage.choices})


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
    events = list(lead.events.select_related("actor", "team", "owner_user").order_by("-occurred_at", "-pk"))
    for event in events:
        if event.kind == LeadEvent.Kind.CAPTURED_AGAIN:
            event.capture = capture_changes(lead, event)
    context = {
        "lead": lead,
        "pending": pending,
        "may": may,
        "events": events,
        "followups": lead.followups.select_related("owner_team", "owner_user")
        .with_overdue_flag()
        .order_by("status", "due_at"),
        "answers": [(Lead._meta.get_field(f).verbose_name, getattr(lead, f)) for f in services.QUALIFICATION_FIELDS],
        "transition_form": forms.TransitionForm(initial={"expected_stage": lead.stage}),
        "handoff_form": forms.HandoffForm(),
        "accept_form": forms.AcceptForm(team=pending.to_team if pending else None),
        "reject_form": forms.RejectForm(),
        "take_form": forms.TakeForm(user=user),
        "return_form": forms.ReturnForm(),
        "category_form": forms.CategoryForm(),
        "activity_form": forms.ActivityForm(),
    }
    return render(request, "leads/detail.html", context)


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


ACTIONS = {
    "transition": (forms.TransitionForm, lambda lead, d: services.lead_transition(lead=lead, **d)),
    "handoff": (forms.HandoffForm, lambda lead, d: services.lead_handoff(lead=lead, **d)),
    "accept": (forms.AcceptForm, lambda lead, d: services.lead_accept(lead=lead, **d)),
    "reject": (forms.RejectForm, lambda lead, d: services.lead_reject(lead=lead, **d)),
    "take": (forms.TakeForm, lambda lead, d: services.lead_take(lead=lead, **d)),
    "return": (forms.ReturnForm, lambda lead, d: services.lead_return(lead=lead, **d)),
    "category": (forms.CategoryForm, lambda lead, d: services.lead_set_category(lead=lead, **d)),
    "activity": (forms.ActivityForm, lambda lead, d: services.activity_log(lead=lead, **d)),
}


@login_required
@require_POST
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Every button of the detail page and the board's card moves: one service call each."""
    lead = get_object_or_404(Lead, pk=pk)
    if name not in ACTIONS:
        raise Http404
    form_class, run = ACTIONS[name]
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
    _perform(request, lambda: run(lead, {**data, "by": request.user}), _("Done."))
    if next_url:
        return redirect(next_url)
    return redirect("leads:detail", pk=pk)


@login_required
def followups(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    queryset = followups_for(
        request.user, mine=True, overdue=show == "overdue", status=None if show == "all" else FollowUp.Status.OPEN
    )
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
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
            messages.success(request, _("Visits saved."))
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
