"""Thin REST views over ``leads.services`` (SPEC §6): parse input, call the service, render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from slas.models import Function
from slas.permissions import teams_of
from smarketing.api import Conflict, ExampleMoment, SafeFormParser, SafeMultiPartParser
from smarketing.jobs import job_create
from smarketing.models import Job
from smarketing.pagination import CursorPagination, EstimatedCountCursorPagination

from .. import permissions, services
from ..filters import LeadFilter, lead_list_queryset
from ..models import Activity, Lead, LeadEvent
from ..queries import followups_for, mark_followups_overdue
from . import serializers as s


class LeadCursor(CursorPagination):
    """Newest first; no ``count`` (the lead table is the big one)."""

    ordering = ("-created_at", "-pk")


class EventCursor(CursorPagination):
    ordering = ("-occurred_at", "-pk")


def _call(service, **kwargs):
    """Run a service; a stale state becomes a 409 (PermissionDenied/ValidationError map themselves)."""
    try:
        return service(**kwargs)
    except services.LeadConflict as exc:
        raise Conflict(str(exc)) from exc


def _default_team(user):
    teams = teams_of(user, Function.MARKETING)
    return teams[0] if teams else None


class LeadListCreate(generics.ListAPIView):
    serializer_class = s.LeadSerializer
    pagination_class = LeadCursor
    filterset_class = LeadFilter

    def get_queryset(self):
        return lead_list_queryset()

    @extend_schema(
        request=s.LeadCreateSerializer,
        responses={
            201: OpenApiResponse(s.LeadCreateResultSerializer, gettext_lazy("A new lead (`merged`: false)")),
            200: OpenApiResponse(
                s.LeadCreateResultSerializer,
                gettext_lazy(
                    "A lead had this e-mail (`merged`: true): the touch is logged, blank fields filled, filled "
                    "fields kept; the differing values are proposals on its `captured_again` history event."
                ),
            ),
        },
    )
    def post(self, request):
        data = s.LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        occurred_at = values.pop("occurred_at", None)
        stage = values.pop("stage")
        team = values.pop("team", None) or _default_team(request.user)
        if team is None:
            raise ValidationError({"team": [_("Give the marketing team that owns the lead (you belong to none).")]})
        lead = _call(
            services.lead_create,
            data=values,
            team=team,
            by=request.user,
            occurred_at=occurred_at,
            source="api",
            stage=stage,
        )
        code = status.HTTP_200_OK if lead.captured_again else status.HTTP_201_CREATED
        return Response(s.LeadCreateResultSerializer(lead).data, status=code)


class LeadDetail(generics.RetrieveAPIView):
    serializer_class = s.LeadSerializer

    def get_queryset(self):
        return lead_list_queryset()

    @extend_schema(request=s.LeadUpdateSerializer, responses={200: s.LeadSerializer})
    def patch(self, request, pk: int):
        lead = get_object_or_404(Lead, pk=pk)
        data = s.LeadUpdateSerializer(lead, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        occurred_at = values.pop("occurred_at", None)
        version = values.pop("version", None)
        lead = _call(
            services.lead_update,
            lead=lead,
            data=values,
            by=request.user,
            occurred_at=occurred_at,
            expected_version=version,
        )
        return Response(s.LeadSerializer(lead).data)


class _LeadActionView(APIView):
    """Shared plumbing of the lead actions (not an operation itself): each action below is its own
    class with its own input serializer, schema and examples."""

    def _act(self, request, pk: int, serializer_class: type, service) -> Response:
        lead = get_object_or_404(Lead, pk=pk)
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        _call(service, lead=lead, by=request.user, **data.validated_data)
        return Response(s.LeadSerializer(lead_list_queryset().get(pk=pk)).data)


def _example(name: str, value: dict, summary: str = "") -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=True, summary=summary or name)


_LEAD_RESPONSE = OpenApiResponse(s.LeadSerializer, gettext_lazy("The lead after the action."))
_STALE = OpenApiResponse(
    description=gettext_lazy("The lead changed under you (stale `expected_stage`, a handoff already decided).")
)
_OCCURRED_AT = gettext_lazy(
    "`occurred_at` back-dates the event (an ISO 8601 time **with** its offset; never in the future, never "
    "before the lead's latest event; more than 24 h late it is flagged as a late entry)."
)


def _with_occurred_at(description):
    return format_lazy("{} {}", description, _OCCURRED_AT)


class LeadTransition(_LeadActionView):
    @extend_schema(
        operation_id="leads_transition",
        summary=gettext_lazy("Move a lead along the funnel"),
        description=_with_occurred_at(
            gettext_lazy(
                "Move the lead to stage `to`. Marketing moves visitor → prospect → MQL; sales moves "
                "SQL → opportunity → client. `lost` needs a `reason`; a lost lead reopens to the stage it was lost "
                "from. `client` may carry the `deal_value` (in the SLA's currency). `expected_stage` makes the call "
                "safe to retry: 409 when the lead is no longer in that stage."
            )
        ),
        request=s.TransitionSerializer,
        responses={200: _LEAD_RESPONSE, 409: _STALE},
        examples=[
            _example("Qualify as MQL", {"to": "mql", "expected_stage": "prospect"}),
            _example("Mark lost", {"to": "lost", "reason": "No budget this year"}),
            _example("Win", {"to": "client", "deal_value": "12000.00", "expected_stage": "opportunity"}),
        ],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.TransitionSerializer, services.lead_transition)


class LeadHandoffView(_LeadActionView):
    @extend_schema(
        operation_id="leads_handoff",
        summary=gettext_lazy("Hand an MQL to a sales team"),
        description=_with_occurred_at(
            gettext_lazy(
                "Marketing hands an MQL to sales team `team`, which owes a decision (accept or reject) "
                "within the SLA's handoff-response hours."
            )
        ),
        request=s.HandoffSerializer,
        responses={
            200: _LEAD_RESPONSE,
            409: OpenApiResponse(description=gettext_lazy("A handoff is already pending.")),
        },
        examples=[_example("Hand off", {"team": 2})],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.HandoffSerializer, services.lead_handoff)


class LeadAccept(_LeadActionView):
    @extend_schema(
        operation_id="leads_accept",
        summary=gettext_lazy("Accept the pending handoff"),
        description=_with_occurred_at(
            gettext_lazy(
                "Sales accepts the pending handoff: the lead becomes an SQL of the sales team, owned by "
                "`owner` (default: the caller when a member of that team). Opens the first-contact and contact-attempt "
                "follow-ups."
            )
        ),
        request=s.AcceptSerializer,
        responses={200: _LEAD_RESPONSE, 409: OpenApiResponse(description=gettext_lazy("No handoff is pending."))},
        examples=[_example("Accept", {}), _example("Accept for a seller", {"owner": 6})],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.AcceptSerializer, services.lead_accept)


class LeadReject(_LeadActionView):
    @extend_schema(
        operation_id="leads_reject",
        summary=gettext_lazy("Reject the pending handoff"),
        description=_with_occurred_at(
            gettext_lazy("Sales rejects the pending handoff with a `reason`; the MQL stays with marketing.")
        ),
        request=s.RejectSerializer,
        responses={200: _LEAD_RESPONSE, 409: OpenApiResponse(description=gettext_lazy("No handoff is pending."))},
        examples=[_example("Reject", {"reason": "Not our market"})],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.RejectSerializer, services.lead_reject)


class LeadTake(_LeadActionView):
    @extend_schema(
        operation_id="leads_take",
        summary=gettext_lazy("Take a marketing lead temporarily"),
        description=_with_occurred_at(
            gettext_lazy(
                "Sales takes a marketing lead for `team` (default: the caller's only sales team) until "
                "`until`, when the SLA's maturity rule allows it. `until` is a date (the lead returns at the "
                "**end** of that day in the SLA's time zone) or a time with its offset."
            )
        ),
        request=s.TakeSerializer,
        responses={200: _LEAD_RESPONSE, 409: OpenApiResponse(description=gettext_lazy("A handoff is pending."))},
        examples=[
            _example("Take until a day", {"until": ExampleMoment(days=7)}, "Until the end of the day a week from now"),
            _example(
                "Take until a time",
                {"until": ExampleMoment(days=7, hour=18), "team": 2},
                "Until 6 pm a week from now, for team 2",
            ),
        ],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.TakeSerializer, services.lead_take)


class LeadReturn(_LeadActionView):
    @extend_schema(
        operation_id="leads_return",
        summary=gettext_lazy("Return a lead to marketing"),
        description=_with_occurred_at(
            gettext_lazy(
                "Sales returns the lead to marketing for nurturing. `feedback` is asked for, not required: "
                "a return without feedback counts against sales."
            )
        ),
        request=s.ReturnSerializer,
        responses={200: _LEAD_RESPONSE},
        examples=[_example("Return", {"feedback": "Call back in Q3, budget then"})],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.ReturnSerializer, services.lead_return)


class LeadCategory(_LeadActionView):
    @extend_schema(
        operation_id="leads_category",
        summary=gettext_lazy("Override the maturity category"),
        description=_with_occurred_at(
            gettext_lazy(
                "Override the category derived from the qualification answers (1, 2 or 3; a `reason` is "
                "required), or clear the override with `category: null`."
            )
        ),
        request=s.CategorySerializer,
        responses={200: _LEAD_RESPONSE},
        examples=[
            _example("Override", {"category": 1, "reason": "Signed a letter of intent"}),
            _example("Clear", {"category": None}),
        ],
    )
    def post(self, request, pk: int):
        return self._act(request, pk, s.CategorySerializer, services.lead_set_category)


class LeadActivities(generics.ListAPIView):
    serializer_class = s.ActivitySerializer
    pagination_class = EventCursor
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no lead
            return Activity.objects.none()
        get_object_or_404(Lead, pk=self.kwargs["pk"])
        return Activity.objects.filter(lead_id=self.kwargs["pk"]).select_related("actor")

    @extend_schema(request=s.ActivityInputSerializer, responses={201: s.ActivitySerializer})
    def post(self, request, pk: int):
        lead = get_object_or_404(Lead, pk=pk)
        data = s.ActivityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        activity = _call(services.activity_log, lead=lead, by=request.user, **data.validated_data)
        return Response(s.ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


class LeadHistory(generics.ListAPIView):
    serializer_class = s.LeadEventSerializer
    pagination_class = EventCursor
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no lead
            return LeadEvent.objects.none()
        get_object_or_404(Lead, pk=self.kwargs["pk"])
        return LeadEvent.objects.filter(lead_id=self.kwargs["pk"]).select_related("actor")


@extend_schema(
    description=gettext_lazy("Follow-ups (SLA obligations and review action items), soonest due first."),
    parameters=[s.FollowUpQuerySerializer],
)
class FollowUpList(generics.ListAPIView):
    serializer_class = s.FollowUpSerializer
    filterset_class = None
    pagination_class = EstimatedCountCursorPagination

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return None if page is None else mark_followups_overdue(page)

    def get_queryset(self):
        # A plain dict, not the QueryDict: DRF reads an empty form value as "not given".
        query = s.FollowUpQuerySerializer(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        return followups_for(
            self.request.user,
            mine=query.validated_data.get("owner") == "me",
            overdue=query.validated_data["overdue"],
            status=query.validated_data.get("status"),
        )


class VisitCreate(APIView):
    @extend_schema(request=s.VisitSerializer, responses={200: s.VisitSerializer})
    def post(self, request):
        data = s.VisitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visit = services.visits_record(by=request.user, **data.validated_data)
        return Response(s.VisitSerializer(visit).data)


class ImportCreate(APIView):
    parser_classes = [SafeMultiPartParser, SafeFormParser]

    @extend_schema(request={"multipart/form-data": s.ImportSerializer}, responses={202: s.JobSerializer})
    def post(self, request):
        data = s.ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = data.validated_data.get("team") or _default_team(request.user)
        if not permissions.can_create_lead(request.user, team):
            raise PermissionDenied("You may not import leads.")
        job = queue_import(
            text=data.validated_data["text"],
            name=data.validated_data["file"].name or "",
            mapping=data.validated_data.get("mapping"),
            team=team,
            by=request.user,
        )
        return Response(s.JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def queue_import(*, mapping: dict | None, team, by, text: str = "", name: str = "", import_file=None) -> Job:
    """Create the progress-tracked job and queue the import once the job row is committed.

    The file is an :class:`~leads.models.ImportFile` row (the upload page's draft, or one made
    from ``text``), referenced by id: the job's parameters stay small.
    """
    from ..imports import read
    from ..models import ImportFile

    if import_file is None:
        headers, _rows = read(text)
        import_file = ImportFile.objects.create(created_by=by, team=team, name=name[:255], headers=headers, text=text)
    return job_create(
        kind=Job.Kind.LEAD_IMPORT,
        by=by,
        params={"import_file": import_file.pk, "mapping": mapping or {}, "team": team.pk if team else None},
    )


class JobDetail(generics.RetrieveAPIView):
    serializer_class = s.JobSerializer
    queryset = Job.objects.all()

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user)
