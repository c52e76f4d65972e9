"""SLA pages: list, readable document, draft editor, lifecycle buttons, comparison, goal planner."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smarketing import hooks
from smarketing.http import int_or_none

from . import permissions, services
from .diff import compare_versions
from .filters import SLAFilterSet
from .forms import GoalPlannerForm, PlanToSLAForm
from .goal_planner import STEP_RATE_KEYS, PlanError, compute_plan, stage_label
from .models import SLA, GoalPlan, LifecycleRecord, Team
from .selectors import document_queryset


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
    sla = get_object_or_404(document_queryset(), pk=pk)
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
def sla_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation naming the version and the fingerprint of what is signed; POST: the
    signature of that fingerprint (refused when the content changed since the page was shown)."""
    params = request.POST if request.method == "POST" else request.GET
    team = get_object_or_404(Team, pk=int_or_none(params.get("team")) or 0)
    if request.method == "POST":
        fingerprint = request.POST.get("fingerprint", "")
        return _lifecycle(
            request,
            pk,
            lambda sla: services.sla_sign(sla=sla, team=team, by=request.user, fingerprint=fingerprint),
            _("Signed."),
        )
    sla = get_object_or_404(document_queryset(), pk=pk)
    if not permissions.can_sign_sla(request.user, sla, team):
        raise PermissionDenied(_("Only a manager of %(team)s may sign for it.") % {"team": team})
    if sla.status != SLA.Status.IN_SIGNATURE or any(s.team_id == team.pk for s in sla.signatures.all()):
        messages.info(request, _("There is nothing to sign for %(team)s on this version.") % {"team": team})
        return redirect("slas:detail", pk=sla.pk)
    return render(request, "slas/sla_sign_confirm.html", {"sla": sla, "team": team})


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


@login_required
def sla_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions of the same series: what changed, section by section, in words."""
    right = get_object_or_404(document_queryset(), pk=pk)
    other_pk = int_or_none(request.GET.get("other")) or right.amends_id
    versions = SLA.objects.filter(series=right.series).order_by("version")
    left = document_queryset().filter(series=right.series).exclude(pk=right.pk).filter(pk=other_pk).first()
    sections = []
    if left is not None:
        if left.version > right.version:
            left, right = right, left
        sections = compare_versions(left, right)
    return render(
        request,
        "slas/sla_compare.html",
        {
            "sla": right,
            "left": left,
            "right": right,
            "sections": sections,
            "change_count": sum(section.count for section in sections),
            "versions": versions,
        },
    )


@login_required
def goal_planner(request: HttpRequest) -> HttpResponse:
    """Reverse funnel; POST actions: compute, save the plan, or draft an SLA from it.
    ``?plan=<id>`` reopens one of the person's saved plans (its inputs, computed again)."""
    # Rates may arrive prefilled in the query string (see ``reporting.planner_rates.planner_url``):
    # slas cannot read the leads itself.
    prefill = {key: request.GET[key] for key in (*STEP_RATE_KEYS, "overall_rate") if request.GET.get(key)}
    saved_plans = GoalPlan.objects.filter(created_by=request.user)
    reopened = None
    if request.method == "GET" and "plan" in request.GET:
        reopened = get_object_or_404(saved_plans, pk=int_or_none(request.GET["plan"]) or 0)
    data = request.POST or ({**reopened.inputs, "name": reopened.name} if reopened else None)
    form = GoalPlannerForm(data, initial={"months": 12, **prefill})
    sla_form = PlanToSLAForm(request.POST or None, prefix="sla") if request.POST.get("action") == "create_sla" else None
    plan = None
    if (request.method == "POST" or reopened) and form.is_valid():
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
                raise PermissionDenied(
                    _("A viewer reads only: a team member, a manager or an administrator saves plans.")
                )
            inputs = {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "") and k != "name"}
            services.goal_plan_save(
                by=request.user, name=form.cleaned_data["name"], inputs=inputs, result=plan.as_dict()
            )
            messages.success(
                request,
                _("Plan “%(name)s” saved: reopen it from “Saved plans”.")
                % {"name": form.cleaned_data["name"] or _("Untitled plan")},
            )
        if plan is not None and action == "create_sla":
            if not permissions.can_draft_sla(request.user):
                raise PermissionDenied(
                    _("Only an administrator or a manager of a marketing or sales team may draft an SLA.")
                )
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
        stages = [(stage_label(stage), plan.totals[stage], plan.per_month[stage]) for stage in plan.totals]
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
            "saved_plans": saved_plans.order_by("-created_at", "-pk")[:10],
            "reopened": reopened,
        },
    )
