"""The SLA editor: a stepper (parties & roles → shared goals → commitments → maturity rules →
calendars → review & submit), one page per step, that works without JavaScript.

Every step saves the draft through ``services.sla_create`` / ``services.sla_update`` with only
its own sections (Back, Next, Save and the step links all save what was typed first); a step
with an error saves nothing and shows the error at its field. "Add a row" buttons re-show the
step with one more row (``slas/js/sla_editor.js`` adds it in place when scripts run).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smarketing import hooks
from smarketing.http import int_or_none

from . import permissions, services
from .forms import CalendarForm, SLAForm, apply_service_errors, build_formsets, formset_rows, with_added_row
from .models import COMMITMENT_CATALOGUE, SLA, CommitmentKey
from .selectors import document_queryset
from .wording import CATEGORIES, commitment_sentence


@dataclass(frozen=True)
class Step:
    slug: str
    title: Promise
    help: Promise
    sections: tuple[str, ...] = ()
    main: bool = False
    calendar: bool = False

    @property
    def template(self) -> str:
        return f"slas/editor/_step_{self.slug}.html"


STEPS = (
    Step(
        "parties",
        gettext_lazy("Parties & roles"),
        gettext_lazy("Who signs, for how long, and what each team is there for."),
        main=True,
    ),
    Step(
        "goals",
        gettext_lazy("Shared goals"),
        gettext_lazy("The SMART goals both teams work towards: specific, measurable, with a target and a deadline."),
        sections=("goals",),
    ),
    Step(
        "commitments",
        gettext_lazy("Commitments"),
        gettext_lazy("What each side promises every month. Change the figures in the sentences."),
        sections=("commitments",),
    ),
    Step(
        "rules",
        gettext_lazy("Maturity rules"),
        gettext_lazy("Per maturity category: who owns the lead, how fast it is worked, whether sales may take it."),
        sections=("maturity_rules",),
    ),
    Step(
        "calendars",
        gettext_lazy("Calendars"),
        gettext_lazy("The intervention calendar (reviews, campaigns) and the working hours the clocks count."),
        sections=("milestones", "hours", "closed_dates"),
        calendar=True,
    ),
    Step(
        "review",
        gettext_lazy("Review & submit"),
        gettext_lazy("The document exactly as it will be signed."),
    ),
)
STEP_BY_SLUG = {step.slug: step for step in STEPS}
DEFAULT_CALENDAR = {
    "time_zone": settings.TIME_ZONE,
    "country": "FR",
    "hours": [{"weekday": day, "start": dt.time(9), "end": dt.time(18)} for day in range(5)],
    "closed_dates": [],
}
ADD_LABELS = {
    "goals": gettext_lazy("Add a goal"),
    "commitments": gettext_lazy("Add a commitment"),
    "maturity_rules": gettext_lazy("Add a maturity rule"),
    "milestones": gettext_lazy("Add a milestone"),
    "hours": gettext_lazy("Add working hours"),
    "closed_dates": gettext_lazy("Add a closed date"),
}
SECTION_HEADINGS = {
    "milestones": gettext_lazy("Intervention calendar"),
    "hours": gettext_lazy("Weekly working hours"),
    "closed_dates": gettext_lazy("Extra closed dates"),
}


def step_url(sla: SLA, step: Step) -> str:
    if step.slug == "parties":
        return reverse("slas:edit", args=[sla.pk])
    return reverse("slas:edit_step", args=[sla.pk, step.slug])


def _neighbours(step: Step) -> tuple[Step | None, Step | None]:
    index = STEPS.index(step)
    return (STEPS[index - 1] if index else None, STEPS[index + 1] if index + 1 < len(STEPS) else None)


def _target(step: Step, action: str) -> Step:
    """Where a valid save goes: Next, Back, a step of the stepper, or the same step (Save)."""
    previous, following = _neighbours(step)
    if action == "next" and following:
        return following
    if action == "back" and previous:
        return previous
    if action.startswith("goto:") and action[5:] in STEP_BY_SLUG:
        return STEP_BY_SLUG[action[5:]]
    return step


class StepForms:
    """The forms of one step, validated and turned into the service's ``data`` together."""

    def __init__(self, sla: SLA | None, step: Step, data=None):
        self.step = step
        calendar = getattr(sla, "calendar", None) if sla else None
        self.main = SLAForm(data, instance=sla or SLA()) if step.main else None
        self.calendar = CalendarForm(data, prefix="calendar", instance=calendar) if step.calendar else None
        initial = {"hours": DEFAULT_CALENDAR["hours"]} if step.calendar and calendar is None else None
        currency = {"commitments": {"currency": sla.currency if sla else ""}}
        self.formsets = build_formsets(sla, step.sections, data=data, initial=initial, form_kwargs=currency)
        self.leftovers: list[str] = []
        self.origins: dict[str, list] = {}

    def is_valid(self) -> bool:
        # Every form is validated (no short-circuit) so that all errors show at once.
        results = [form.is_valid() for form in (self.main, self.calendar) if form is not None]
        results += [formset.is_valid() for formset in self.formsets.values()]
        return all(results)

    def cleaned(self) -> dict:
        data = {}
        if self.main is not None:
            data = {field: self.main.cleaned_data[field] for field in SLAForm.Meta.fields}
        for section, formset in self.formsets.items():
            data[section], self.origins[section] = formset_rows(formset)
        if self.calendar is not None:
            data["calendar"] = {
                **self.calendar.cleaned_data,
                "hours": data.pop("hours"),
                "closed_dates": data.pop("closed_dates"),
            }
        return data

    def show(self, error: ValidationError) -> None:
        self.leftovers = apply_service_errors(error, main=self.main, calendar=self.calendar, origins=self.origins)


def _sentence_templates(currency: str) -> list[tuple[str, str]]:
    """Per commitment, its sentence with empty slots: the script moves a row's inputs into them
    when the commitment chosen changes."""
    slot = '<span data-slot="{}"></span>'
    slots = {name: format_html(slot, name) for name in ("target", "hours", "attempts", "days")}
    categories = {c: format_html(slot, f"category_{c}") for c in CATEGORIES}
    return [
        (
            key,
            commitment_sentence(
                key,
                {**slots, "currency": currency},
                category_hours=categories if "category_hours" in COMMITMENT_CATALOGUE[key]["params"] else {},
            ),
        )
        for key in CommitmentKey.values
    ]


def _render(request: HttpRequest, sla: SLA | None, step: Step, forms: StepForms | None = None, **extra):
    previous, following = _neighbours(step)
    context = {
        "sla": sla,
        "step": step,
        "steps": [(number, item, sla is not None or item is step) for number, item in enumerate(STEPS, 1)],
        "step_number": STEPS.index(step) + 1,
        "previous": previous,
        "following": following,
        "forms": forms,
        "revision": sla.revision if sla else "",
        "links": hooks.collect("sla.links", sla=sla) if sla else [],
        **extra,
    }
    if forms is not None:
        context["sections"] = [
            (name, SECTION_HEADINGS.get(name), formset, ADD_LABELS[name]) for name, formset in forms.formsets.items()
        ]
        if "commitments" in forms.formsets:
            context["sentence_templates"] = _sentence_templates(sla.currency if sla else "")
    return render(request, "slas/sla_editor.html", context)


def _step(request: HttpRequest, sla: SLA | None, step: Step) -> HttpResponse:
    if step.slug == "review":
        return _render(request, sla, step, missing=sla.missing_for_submission())
    action = request.POST.get("action", "") if request.method == "POST" else ""
    adding = action.removeprefix("add:") if action.startswith("add:") else None
    data = request.POST if request.method == "POST" else None
    if adding in step.sections:
        # "Add a row" without JavaScript: the same step, everything typed kept, one more row.
        return _render(request, sla, step, StepForms(sla, step, with_added_row(data, adding)))
    forms = StepForms(sla, step, data)
    if request.method == "POST" and forms.is_valid():
        changes = forms.cleaned()
        try:
            if sla is None:
                sla = services.sla_create(by=request.user, data={**changes, "calendar": DEFAULT_CALENDAR})
            else:
                revision = int_or_none(request.POST.get("revision")) or sla.revision
                sla = services.sla_update(sla=sla, by=request.user, revision=revision, data=changes)
        except ValidationError as exc:
            forms.show(exc)
        except services.SLAConflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Draft saved: %(step)s.") % {"step": step.title})
            return redirect(step_url(sla, _target(step, action)))
    return _render(request, sla, step, forms)


@login_required
def sla_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_draft_sla(request.user):
        raise PermissionDenied(_("Only an administrator or a manager of a marketing or sales team may draft an SLA."))
    return _step(request, None, STEPS[0])


@login_required
def sla_edit(request: HttpRequest, pk: int, step: str = "parties") -> HttpResponse:
    sla = get_object_or_404(document_queryset(), pk=pk)
    if step not in STEP_BY_SLUG:
        raise Http404
    if not permissions.can_draft_sla(request.user, sla):
        raise PermissionDenied(_("Only an administrator or a manager of one of this SLA's two teams may edit it."))
    if not sla.is_editable:
        messages.error(request, _("A signed SLA cannot be edited; amend it instead."))
        return redirect("slas:detail", pk=sla.pk)
    return _step(request, sla, STEP_BY_SLUG[step])
