"""The review API: one explicit view per operation, with input and output serializers.

``GET /api/v1/reviews/?sla=&month=``, ``GET /api/v1/reviews/{id}/`` (agenda, notes, decisions,
action items: live while open, the frozen minutes once closed), ``POST /api/v1/reviews/{id}/decisions/``
and ``POST /api/v1/reviews/{id}/action-items/`` (participants and managers of both teams). Errors:
400 field errors, 403 not allowed (``reviews.permissions``), 404 unknown review, 409 review closed.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from slas.clock import Month
from slas.models import SLA
from smarketing.api import Conflict

from .. import permissions, services
from ..models import Review
from .serializers import (
    ActionItemInputSerializer,
    ActionItemOutputSerializer,
    DecisionInputSerializer,
    DecisionOutputSerializer,
    ReviewDetailSerializer,
    ReviewSerializer,
)

ERRORS = {
    400: OpenApiResponse(description=gettext_lazy("Invalid input (field errors)")),
    403: OpenApiResponse(description=gettext_lazy("Only the review's participants and the managers of both teams")),
    404: OpenApiResponse(description=gettext_lazy("No such review")),
    409: OpenApiResponse(description=gettext_lazy("The review is closed: its minutes are final")),
}


class ReviewFilter(django_filters.FilterSet):
    sla = django_filters.ModelChoiceFilter(
        queryset=SLA.objects.all(),
        method="filter_sla",
        help_text=gettext_lazy("An SLA id (any version of its series)."),
    )
    month = django_filters.CharFilter(method="filter_month", help_text=gettext_lazy("The month reviewed, YYYY-MM."))
    status = django_filters.ChoiceFilter(choices=Review.Status.choices)

    class Meta:
        model = Review
        fields = ["sla", "month", "status"]

    def filter_sla(self, queryset, name, value):
        return queryset.filter(series=value.series)

    def filter_month(self, queryset, name, value):
        try:
            return queryset.filter(month=Month.parse(value).first_day)
        except ValueError:
            raise ValidationError({"month": [_("Give the month as YYYY-MM.")]}) from None


@extend_schema(
    description=gettext_lazy("Reviews, the newest month first; filter by `sla` (any version), `month` and `status`.")
)
class ReviewListView(generics.ListAPIView):
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    queryset = Review.objects.prefetch_related("participants").order_by("-month", "-scheduled_at", "-pk")


def _review(pk: int) -> Review:
    return get_object_or_404(Review.objects.select_related("sla__calendar"), pk=pk)


@extend_schema(description=gettext_lazy("One review: its agenda, participants, notes, decisions and action items."))
class ReviewDetailView(APIView):
    @extend_schema(responses={200: ReviewDetailSerializer, 404: ERRORS[404]})
    def get(self, request, pk: int):
        review = _review(pk)
        if review.is_open:
            minutes = services.minutes_snapshot(review, by=None, now=timezone.now())
        else:
            minutes = review.minutes
        return Response(
            {
                "review": ReviewSerializer(review).data,
                "frozen": not review.is_open,
                "agenda": minutes["agenda"],
                "participants": minutes["participants"],
                "notes": minutes["notes"],
                "decisions": minutes["decisions"],
                "action_items": minutes["action_items"],
            }
        )


def _call(service, **kwargs):
    try:
        return service(**kwargs)
    except services.ReviewConflict as exc:
        raise Conflict(exc.message) from exc


def _require_writer(request, review: Review) -> None:
    if not permissions.can_write_review(request.user, review):
        raise PermissionDenied(_("Only the review's participants and the managers of both teams may write."))


@extend_schema(
    description=gettext_lazy("Record a decision of the meeting, optionally proposing one change of the SLA.")
)
class ReviewDecisionCreateView(APIView):
    @extend_schema(request=DecisionInputSerializer, responses={201: DecisionOutputSerializer, **ERRORS})
    def post(self, request, pk: int):
        review = _review(pk)
        _require_writer(request, review)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = _call(services.decision_add, review=review, by=request.user, **data.validated_data)
        decision = review.decisions.select_related("author", "amendment").get(pk=decision.pk)
        return Response(DecisionOutputSerializer(services.decision_data(decision)).data, status=status.HTTP_201_CREATED)


@extend_schema(
    description=gettext_lazy(
        "Assign an action item: it becomes a follow-up of its owner (My follow-ups, calendar, alerts)."
    )
)
class ReviewActionItemCreateView(APIView):
    @extend_schema(request=ActionItemInputSerializer, responses={201: ActionItemOutputSerializer, **ERRORS})
    def post(self, request, pk: int):
        review = _review(pk)
        _require_writer(request, review)
        data = ActionItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = _call(services.action_item_add, review=review, by=request.user, **data.validated_data)
        item = review.action_items.select_related("owner", "lead", "followup").get(pk=item.pk)
        return Response(
            ActionItemOutputSerializer(services.action_item_data(item)).data, status=status.HTTP_201_CREATED
        )
