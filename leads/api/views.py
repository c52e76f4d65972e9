"""Thin REST views over ``leads.services`` (SPEC §6): parse input, call the service, render."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from slas.models import Function
from slas.permissions import teams_of
from smarketing.api import Conflict, SafeFormParser, SafeMultiPartParser
from smarketing.models import Job

from .. import permissions, services
from ..filters import LeadFilter, lead_list_queryset
from ..models import Activity, Lead, LeadEvent
from ..queries import followups_for
from . import serializers as s


class LeadCursor(CursorPagination):
    ordering = ("-created_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class EventCursor(CursorPagination):
    ordering = ("-occurred_at", "-pk")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
            201: OpenApiResponse(s.LeadCreateResultSerializer, "A new lead (`merged`: false)"),
            200: OpenApiResponse(
                s.LeadCreateResultSerializer,
                "A lead had this e-mail (`merged`: true): the touch is logged, blank fields filled, filled "
                "fields kept; the differing values are proposals on its `captured_again` history event.",
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
            raise PermissionDenied("Give the marketing team that owns the lead.")
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


class LeadAction(APIView):
    """Base of the POST actions: validate input, call one service, answer with the lead."""

    input_serializer: type = s.OccurredAtSerializer

    def run(self, lead: Lead, data: dict):
        raise NotImplementedError

    def post(self, request, pk: int):
        lead = get_object_or_404(Lead, pk=pk)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        _call(self.run, lead=lead, data={**data.validated_data, "by": request.user})
        return Response(s.LeadSerializer(lead_list_queryset().get(pk=pk)).data)


def _action(name: str, serializer: type, run, description: str) -> type:
    view = type(
        name,
        (LeadAction,),
        {"input_serializer": serializer, "run": lambda self, lead, data: run(lead, data)},
    )
    view.post = extend_schema(request=serializer, responses={200: s.LeadSerializer}, description=description)(view.post)
    return view


LeadTransition = _action(
    "LeadTransition",
    s.TransitionSerializer,
    lambda lead, d: services.lead_transition(lead=lead, **d),
    "Move the lead (lost needs a reason; a lost lead reopens to its former stage).",
)
LeadHandoffView = _action(
    "LeadHandoffView",
    s.HandoffSerializer,
    lambda lead, d: services.lead_handoff(lead=lead, **d),
    "Hand an MQL to sales.",
)
LeadAccept = _action(
    "LeadAccept",
    s.AcceptSerializer,
    lambda lead, d: services.lead_accept(lead=lead, **d),
    "Accept the pending handoff.",
)
LeadReject = _action(
    "LeadReject", s.RejectSerializer, lambda lead, d: services.lead_reject(lead=lead, **d), "Reject with a reason."
)
LeadTake = _action(
    "LeadTake", s.TakeSerializer, lambda lead, d: services.lead_take(lead=lead, **d), "Take temporarily until a date."
)
LeadReturn = _action(
    "LeadReturn", s.ReturnSerializer, lambda lead, d: services.lead_return(lead=lead, **d), "Return to marketing."
)
LeadCategory = _action(
    "LeadCategory",
    s.CategorySerializer,
    lambda lead, d: services.lead_set_category(lead=lead, **d),
    "Override the maturity category (reason required) or clear the override with null.",
)


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
    parameters=[
        OpenApiParameter("overdue", bool, description="Only open follow-ups past due."),
        OpenApiParameter("owner", str, description="`me`: mine or my teams' unassigned ones."),
        OpenApiParameter("status", str, description="open, done or cancelled"),
    ]
)
class FollowUpList(generics.ListAPIView):
    serializer_class = s.FollowUpSerializer
    filterset_class = None

    def get_queryset(self):
        params = self.request.query_params
        return followups_for(
            self.request.user,
            mine=params.get("owner") == "me",
            overdue=params.get("overdue") in {"1", "true", "True"},
            status=params.get("status"),
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
    from ..tasks import lead_import

    if import_file is None:
        headers, _rows = read(text)
        import_file = ImportFile.objects.create(created_by=by, team=team, name=name[:255], headers=headers, text=text)
    job = Job.objects.create(
        kind=Job.Kind.LEAD_IMPORT,
        created_by=by,
        params={"import_file": import_file.pk, "mapping": mapping or {}, "team": team.pk if team else None},
    )
    transaction.on_commit(lambda: lead_import.delay(job.pk))
    return job


class JobDetail(generics.RetrieveAPIView):
    serializer_class = s.JobSerializer
    queryset = Job.objects.all()

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user)
