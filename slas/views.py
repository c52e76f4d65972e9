"""SLA pages: list, readable document, draft editor, lifecycle buttons, comparison, goal planner."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smarketing import hooks
from smarketing.http import int_or_none

from . import permissions, services
from .filters import SLAFilterSet
from .forms import (
    SECTION_TITLES,
    CalendarForm,
    GoalPlannerForm,
    PlanToSLAForm,
    SLAForm,
    apply_service_errors,
    build_formsets,
    formset_rows,
)
from .goal_planner import STEP_RATE_KEYS, PlanError, compute_plan
from .models import SLA, LifecycleRecord, Signature, Team

DEFAULT_HOURS = [{"weekday": day, "start": dt.time(9), "end": dt.time(18)} for day in range(5)]


def _document_queryset():
    return SLA.objects.select_related("marketing_team", "sales_team", "calendar", "amends").prefetch_related(
        "goals",
        "commitments",
        "maturity_rules",
        Prefetch("milestones__owner_team"),
        "calendar__hours",
        "calendar__closed_dates",
        Prefetch("signatures", queryset=Signature.objects.select_related("team", "signed_by")),
    )


@login_required
def sla_list(request: HttpRequest) -> HttpResponse:
    queryset = SLA.objects.select_related("marketing_team", "sales_team")
    filterset = SLAFilterSet(request.GET or None, queryset=queryset)
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "slas/sla_list.html",
        {"filter": filterset, "page": page, "can_draft": permissions.can_draft_sla(request.user)},
    )


@login_required
def sla_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sla = get_object_or_404(_document_queryset(), pk=pk)
    signed_team_ids = {signature.team_id for signature in sla.signatures.all()}
    signable = []
    if sla.status == SLA.Status.IN_SIGNATURE:
        signable = [team for team in permissions.signable_teams(request.user, sla) if team.pk not in signed_team_ids]
    may_draft = permissions.can_draft_sla(request.user, sla)
    versions = SLA.objects.filter(series=sla.series).exclude(pk=sla.pk).order_by("version")
    return render(
        request,
        "slas/sla_detail.html",
        {
            "sla": sla,
            "signable_teams": signable,
            "can_edit": may_draft and sla.status == SLA.Status.DRAFT,
            "can_submit": may_draft and sla.status == SLA.Status.DRAFT,
            "can_amend": may_draft and sla.status == SLA.Status.ACTIVE,
            "can_withdraw": sla.status == SLA.Status.IN_SIGNATURE and permissions.can_withdraw_sla(request.user, sla),
            "can_delete": sla.status == SLA.Status.DRAFT and permissions.can_delete_sla(request.user, sla),
            "other_versions": versions,
            "lifecycle_records": LifecycleRecord.objects.filter(series=sla.series).select_related("actor")[:20],
            "links": hooks.collect("sla.links", sla=sla),
        },
    )


def _editor(request: HttpRequest, sla: SLA | None) -> HttpResponse:
    calendar = getattr(sla, "calendar", None) if sla else None
    initial_sections = None if sla else {"hours": DEFAULT_HOURS}
    if request.method == "POST":
        form = SLAForm(request.POST, instance=sla or SLA())
        calendar_form = CalendarForm(request.POST, prefix="calendar", instance=calendar)
        formsets = build_formsets(sla, data=request.POST)
        valid = form.is_valid() & calendar_form.is_valid()
        # Validate every formset (no short-circuit) so all errors show at once.
        formsets_valid = [formset.is_valid() for formset in formsets.values()]
        valid &= all(formsets_valid)
        if valid:
            data = {field: form.cleaned_data[field] for field in SLAForm.Meta.fields}
            origins = {}
            for section, formset in formsets.items():
                data[section], origins[section] = formset_rows(formset)
            data["calendar"] = {
                **calendar_form.cleaned_data,
                "hours": data.pop("hours"),
                "closed_dates": data.pop("closed_dates"),
            }
            try:
                if sla is None:
                    sla = services.sla_create(by=request.user, data=data)
                    messages.success(request, _("Draft created."))
                else:
                    revision = form.cleaned_data.get("revision") or sla.revision
                    sla = services.sla_update(sla=sla, by=request.user, revision=revision, data=data)
                    messages.success(request, _("Draft saved."))
                return redirect("slas:detail", pk=sla.pk)
            except ValidationError as exc:
                apply_service_errors(exc, main=form, calendar=calendar_form, origins=origins)
            except services.SLAConflict as exc:
                messages.error(request, exc.message)
    else:
        form = SLAForm(instance=sla)
        calendar_form = CalendarForm(prefix="calendar", instance=calendar)
        formsets = build_formsets(sla, initial=initial_sections)
    sections = [(SECTION_TITLES[name], formset) for name, formset in formsets.items()]
    return render(
        request,
        "slas/sla_form.html",
        {
            "form": form,
            "calendar_form": calendar_form,
            "sections": sections,
            "sla": sla,
            "links": hooks.collect("sla.links", sla=sla) if sla else [],
        },
    )


@login_required
def sla_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_draft_sla(request.user):
        raise PermissionDenied
    return _editor(request, None)


@login_required
def sla_edit(request: HttpRequest, pk: int) -> HttpResponse:
    sla = get_object_or_404(_document_queryset(), pk=pk)
    if not permissions.can_draft_sla(request.user, sla):
        raise PermissionDenied
    if not sla.is_editable:
        messages.error(request, _("A signed SLA cannot be edited; amend it instead."))
        return redirect("slas:detail", pk=sla.pk)
    return _editor(request, sla)


def _lifecycle(request: HttpRequest, pk: int, call, success: str) -> HttpResponse:
    sla = get_object_or_404(SLA.objects.select_related("marketing_team", "sales_team"), pk=pk)
    try:
        result = call(sla)
    except services.SLAConflict as exc:
        if exc.conflicting is not None:
            messages.error(
                request,
                format_html(
                    '{} <a class="alert-link" href="{}">{}</a>',
                    exc.message,
                    reverse("slas:detail", args=[exc.conflicting.pk]),
                    _("Open the conflicting SLA"),
                ),
            )
        else:
            messages.error(request, exc.message)
        return redirect("slas:detail", pk=sla.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("slas:detail", pk=sla.pk)
    messages.success(request, success)
    target = result if isinstance(result, SLA) else sla
    return redirect("slas:detail", pk=target.pk)


@login_required
@require_POST
def sla_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _lifecycle(
        request, pk, lambda sla: services.sla_submit(sla=sla, by=request.user), _("Submitted for signature.")
    )


@login_required
@require_POST
def sla_sign(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=int_or_none(request.POST.get("team")) or 0)
    return _lifecycle(request, pk, lambda sla: services.sla_sign(sla=sla, team=team, by=request.user), _("Signed."))


@login_required
@require_POST
def sla_amend(request: HttpRequest, pk: int) -> HttpResponse:
    return _lifecycle(
        request, pk, lambda sla: services.sla_amend(sla=sla, by=request.user), _("Amendment drafted: edit it.")
    )


@login_required
@require_POST
def sla_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _lifecycle(
        request,
        pk,
        lambda sla: services.sla_withdraw(sla=sla, by=request.user, reason=reason),
        _("Withdrawn to draft: the signatures were cleared (who signed and when is kept in its history)."),
    )


@login_required
@require_POST
def sla_delete(request: HttpRequest, pk: int) -> HttpResponse:
    sla = get_object_or_404(SLA, pk=pk)
    try:
        services.sla_delete_draft(sla=sla, by=request.user)
    except services.SLAConflict as exc:
        messages.error(request, exc.message)
        return redirect("slas:detail", pk=sla.pk)
    messages.success(request, _("Draft “%(title)s” deleted.") % {"title": sla.title})
    return redirect("slas:list")


CLAUSES = [
    ("title", _("Title")),
    ("marketing_team", _("Marketing team")),
    ("sales_team", _("Sales team")),
    ("start_date", _("Start date")),
    ("end_date", _("End date")),
    ("currency", _("Currency")),
    ("company_objectives", _("Company objectives")),
    ("marketing_role", _("Marketing role and scope")),
    ("sales_role", _("Sales role and scope")),
    ("escalation_delay_hours", _("Escalation delay (business hours)")),
    ("goals", _("Shared SMART goals")),
    ("commitments", _("Commitments")),
    ("maturity_rules", _("Maturity rules")),
    ("milestones", _("Intervention calendar")),
    ("calendar", _("Working calendar")),
]


def _clause_text(value, team_names: dict[int, str]) -> str:
    if isinstance(value, list):
        return "\n".join(_clause_text(item, team_names) for item in value) or "—"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if key in {"owner_team"}:
                item = team_names.get(item, item)
            if item in (None, "", {}, []):
                continue
            parts.append(f"{key}: {item if not isinstance(item, list | dict) else json.dumps(item)}")
        return "; ".join(parts)
    return "—" if value in (None, "") else str(value)


@login_required
def sla_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions of the same series side by side, clause by clause."""
    right = get_object_or_404(_document_queryset(), pk=pk)
    other_pk = int_or_none(request.GET.get("other")) or right.amends_id
    versions = SLA.objects.filter(series=right.series).order_by("version")
    left = versions.exclude(pk=right.pk).filter(pk=other_pk).first() if other_pk else None
    rows = []
    if left is not None:
        if left.version > right.version:
            left, right = right, left
        team_names = dict(Team.objects.values_list("pk", "name"))
        before, after = left.canonical_content(), right.canonical_content()
        for key in ("marketing_team", "sales_team"):
            before[key], after[key] = team_names.get(before[key]), team_names.get(after[key])
        for key, label in CLAUSES:
            old, new = _clause_text(before[key], team_names), _clause_text(after[key], team_names)
            rows.append({"label": label, "old": old, "new": new, "changed": old != new})
    return render(
        request,
        "slas/sla_compare.html",
        {"sla": right, "left": left, "right": right, "rows": rows, "versions": versions},
    )


@login_required
def goal_planner(request: HttpRequest) -> HttpResponse:
    """Reverse funnel; POST actions: compute, save the plan, or draft an SLA from it."""
    # Rates may arrive prefilled in the query string (see ``reporting.planner_rates.planner_url``):
    # slas cannot read the leads itself.
    prefill = {key: request.GET[key] for key in (*STEP_RATE_KEYS, "overall_rate") if request.GET.get(key)}
    form = GoalPlannerForm(request.POST or None, initial={"months": 12, **prefill})
    sla_form = PlanToSLAForm(request.POST or None, prefix="sla") if request.POST.get("action") == "create_sla" else None
    plan = None
    if request.method == "POST" and form.is_valid():
        try:
            plan = compute_plan(
                revenue_target=form.cleaned_data["revenue_target"],
                average_deal_size=form.cleaned_data["average_deal_size"],
                months=form.cleaned_data["months"],
                overall_rate=form.cleaned_data.get("overall_rate"),
                step_rates=form.step_rates(),
            )
        except PlanError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        action = request.POST.get("action")
        if plan is not None and action == "save":
            if not permissions.can_write(request.user):
                raise PermissionDenied
            inputs = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "") and k != "name"}
            services.goal_plan_save(
                by=request.user, name=form.cleaned_data["name"], inputs=inputs, result=plan.as_dict()
            )
            messages.success(request, _("Plan saved."))
        if plan is not None and action == "create_sla":
            if not permissions.can_draft_sla(request.user):
                raise PermissionDenied
            if sla_form.is_valid():
                try:
                    with transaction.atomic():
                        sla = services.sla_create_from_plan(by=request.user, plan=plan, **sla_form.cleaned_data)
                except (ValidationError, PermissionDenied) as exc:
                    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
                else:
                    messages.success(request, _("Draft SLA created from the plan: complete it."))
                    return redirect("slas:edit", pk=sla.pk)
    if sla_form is None:
        sla_form = PlanToSLAForm(prefix="sla")
    stages = []
    if plan is not None:
        stages = [(stage, plan.totals[stage], plan.per_month[stage]) for stage in plan.totals]
    return render(
        request,
        "slas/goal_planner.html",
        {
            "form": form,
            "sla_form": sla_form,
            "plan": plan,
            "stages": stages,
            "step_rate_keys": STEP_RATE_KEYS,
            "can_draft": permissions.can_draft_sla(request.user),
            "can_save": permissions.can_write(request.user),
        },
    )
