"""Thin REST views: parse input, check the matrix, call a service, render (SPEC §6)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from slas import permissions, services
from slas.filters import SLAFilterSet
from slas.goal_planner import STEP_RATE_KEYS, PlanError, compute_plan
from slas.models import SLA, Membership, Signature, Team
from smarketing.api import Conflict

from .serializers import (
    GoalPlanInputSerializer,
    GoalPlanOutputSerializer,
    SignatureSerializer,
    SignInputSerializer,
    SLASerializer,
    TeamSerializer,
    UserSerializer,
    WithdrawInputSerializer,
)

ERRORS = {
    400: OpenApiResponse(description=_("Invalid input (field errors)")),
    403: OpenApiResponse(description=_("Not allowed by the permission matrix")),
    404: OpenApiResponse(description=_("Not found")),
    409: OpenApiResponse(description=_("Conflicts with the SLA's state (signed, stale revision, overlap)")),
}


def _nested(validated: dict) -> dict:
    """Serializer output to the plain dicts the services take."""
    data = dict(validated)
    calendar = data.get("calendar")
    if calendar is not None:
        data["calendar"] = {**calendar, "closed_dates": calendar.get("closed_dates", [])}
    return data


@extend_schema_view(
    list=extend_schema(summary=_("List teams")),
    create=extend_schema(summary=_("Create a team (admin)"), responses={201: TeamSerializer, **ERRORS}),
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    queryset = Team.objects.all()
    serializer_class = TeamSerializer
    filterset_fields = ["function"]

    def perform_create(self, serializer):
        serializer.instance = services.team_create(by=self.request.user, **serializer.validated_data)

    def create(self, request, *args, **kwargs):
        if not permissions.can_manage_users(request.user):
            raise PermissionDenied()
        return super().create(request, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(summary=_("List users with their memberships")),
    create=extend_schema(
        summary=_("Create a user with memberships (admin)"), responses={201: UserSerializer, **ERRORS}
    ),
)
class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = UserSerializer
    cursor_ordering = ("username",)

    def get_queryset(self):
        return (
            get_user_model()
            .objects.filter(is_active=True)
            .select_related("profile")
            .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("team")))
            .order_by("username")
        )

    def create(self, request, *args, **kwargs):
        if not permissions.can_manage_users(request.user):
            raise PermissionDenied()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_create(by=request.user, **serializer.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=user.pk)).data, status=status.HTTP_201_CREATED)


def sla_queryset():
    return SLA.objects.select_related("marketing_team", "sales_team", "calendar").prefetch_related(
        "goals",
        "commitments",
        "maturity_rules",
        "milestones",
        Prefetch("calendar__hours"),
        Prefetch("calendar__closed_dates"),
        Prefetch("signatures", queryset=Signature.objects.select_related("team", "signed_by")),
    )


def _conflict(exc: services.SLAConflict) -> Conflict:
    """409 with the message and, when another SLA stands in the way, which one."""
    extra = {}
    if exc.conflicting is not None:
        other = exc.conflicting
        extra["conflicting_sla"] = {
            "id": other.pk,
            "title": other.title,
            "version": other.version,
            "status": other.status,
            "start_date": other.start_date.isoformat(),
            "end_date": other.end_date.isoformat(),
        }
    return Conflict(exc.message, extra=extra)


@extend_schema_view(
    list=extend_schema(summary=_("List SLAs (filter by status, team, period)")),
    retrieve=extend_schema(
        summary=_("One SLA with all its sections"), responses={200: SLASerializer, 404: ERRORS[404]}
    ),
    create=extend_schema(summary=_("Draft a new SLA"), responses={201: SLASerializer, **ERRORS}),
    partial_update=extend_schema(
        summary=_("Edit a draft (409 when signed or when `revision` is stale)"),
        responses={200: SLASerializer, **ERRORS},
    ),
)
class SLAViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SLASerializer
    filterset_class = SLAFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return sla_queryset()

    def _reload(self, sla: SLA) -> dict:
        return SLASerializer(sla_queryset().get(pk=sla.pk), context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        if not permissions.can_draft_sla(request.user):
            raise PermissionDenied()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = _nested(serializer.validated_data)
        data.pop("revision", None)
        sla = services.sla_create(by=request.user, data=data)
        return Response(self._reload(sla), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        sla = self.get_object()
        if not permissions.can_draft_sla(request.user, sla):
            raise PermissionDenied()
        if not sla.is_editable:
            raise Conflict("Only a draft can be edited; amend a signed SLA instead.")
        serializer = self.get_serializer(sla, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = _nested(serializer.validated_data)
        revision = data.pop("revision", sla.revision)
        try:
            sla = services.sla_update(sla=sla, by=request.user, revision=revision, data=data)
        except services.SLAConflict as exc:
            raise _conflict(exc) from exc
        return Response(self._reload(sla))

    @extend_schema(
        summary=_("Delete a draft (its author or an admin); 409 for a submitted or signed SLA"),
        request=None,
        responses={204: None, **ERRORS},
    )
    def destroy(self, request, *args, **kwargs):
        sla = self.get_object()
        self._transition(request, lambda: services.sla_delete_draft(sla=sla, by=request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request, call) -> SLA:
        try:
            return call()
        except services.SLAConflict as exc:
            raise _conflict(exc) from exc

    @extend_schema(summary=_("Submit a draft for signature"), request=None, responses={200: SLASerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        sla = self.get_object()
        sla = self._transition(request, lambda: services.sla_submit(sla=sla, by=request.user))
        return Response(self._reload(sla))

    @extend_schema(
        summary=_("Sign for one team (a manager of that team)"),
        request=SignInputSerializer,
        responses={201: SignatureSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        sla = self.get_object()
        serializer = SignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = serializer.validated_data["team"]
        if team.pk not in (sla.marketing_team_id, sla.sales_team_id):
            raise ValidationError({"team": ["This team is not a party to the SLA."]})
        fingerprint = serializer.validated_data.get("fingerprint")
        signature = self._transition(
            request, lambda: services.sla_sign(sla=sla, team=team, by=request.user, fingerprint=fingerprint)
        )
        return Response(SignatureSerializer(signature).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_("Withdraw a document in signature back to draft (a manager of either party)"),
        request=WithdrawInputSerializer,
        responses={200: SLASerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        sla = self.get_object()
        serializer = WithdrawInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        sla = self._transition(request, lambda: services.sla_withdraw(sla=sla, by=request.user, reason=reason))
        return Response(self._reload(sla))

    @extend_schema(
        summary=_("Start an amendment (a new draft version)"), request=None, responses={201: SLASerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def amend(self, request, pk=None):
        sla = self.get_object()
        draft = self._transition(request, lambda: services.sla_amend(sla=sla, by=request.user))
        return Response(self._reload(draft), status=status.HTTP_201_CREATED)


@extend_schema(description=_("Reverse funnel: compute the volumes a revenue target needs; optionally save the plan."))
class GoalPlanView(APIView):
    @extend_schema(
        summary=_("Compute a goal plan (reverse funnel)"),
        request=GoalPlanInputSerializer,
        responses={200: GoalPlanOutputSerializer, 201: GoalPlanOutputSerializer, 400: ERRORS[400], 403: ERRORS[403]},
    )
    def post(self, request):
        serializer = GoalPlanInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["save"] and not permissions.can_write(request.user):
            raise PermissionDenied()
        try:
            plan = compute_plan(
                revenue_target=data["revenue_target"],
                average_deal_size=data["average_deal_size"],
                months=data["months"],
                overall_rate=data.get("overall_rate"),
                step_rates={key: data.get(key) for key in STEP_RATE_KEYS},
            )
        except PlanError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        result = {"id": None, **plan.as_dict()}
        if data["save"]:
            inputs = {k: str(v) for k, v in data.items() if k not in {"save", "name"} and v is not None}
            saved = services.goal_plan_save(by=request.user, name=data.get("name", ""), inputs=inputs, result=result)
            result["id"] = saved.pk
            return Response(result, status=status.HTTP_201_CREATED)
        return Response(result)
