"""Platform endpoints of the REST API: tokens, webhooks, and JSON error pages for /api/."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from . import webhooks
from .api import SafeJSONParser
from .models import ApiToken, WebhookDelivery, WebhookSubscription
from .permissions import can_manage_webhooks
from .throttling import AnonRateThrottle, TokenEndpointThrottle
from .tokens import api_token_create, api_token_revoke


class LockedOut(exceptions.Throttled):
    default_detail = _("Too many failed sign-in attempts. Try again later.")


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text=_("Default `API`. A live token of yours with this name is revoked and replaced."),
    )
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True, help_text=_("Default: never expires.")
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("The key; shown only once."))
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its key."""

    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "is_active"]
        read_only_fields = fields


@extend_schema(description=_("Exchange a username and password for a new API token (the key is returned once)."))
class ObtainTokenView(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [TokenEndpointThrottle, AnonRateThrottle]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={201: TokenResponseSerializer},
        auth=[],
        tags=["auth"],
        summary=_("Create an API token"),
        examples=[
            OpenApiExample(
                "Credentials",
                value={"username": "marion", "password": "…", "name": "website"},  # a doc example  # nosec B105
                request_only=True,
            ),
            OpenApiExample(
                "New token",
                value={
                    "token": "smk_q3JkN0…",  # a truncated example in the API docs  # nosec B105
                    "name": "website",
                    "prefix": "smk_q3JkN0Xy",
                    "created_at": "2026-03-02T09:15:00Z",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Through django-axes: repeated failures lock the (username, IP) pair out.
        user = authenticate(request=request._request, username=data["username"], password=data["password"])
        if getattr(request._request, "axes_locked_out", False):
            from django.conf import settings

            # Answer in the API's own error shape; otherwise AxesMiddleware swaps in its page.
            request._request.axes_locked_out = False
            raise LockedOut(wait=int(float(getattr(settings, "AXES_COOLOFF_TIME", 0.25) or 0.25) * 3600))
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed(_("Unable to sign in with these credentials."))
        days = data.get("expires_in_days")
        token, key = api_token_create(
            user=user,
            name=data.get("name") or "API",
            expires_at=timezone.now() + timedelta(days=days) if days else None,
            replace=True,
        )
        body = {
            "token": key,
            "name": token.name,
            "prefix": token.prefix,
            "created_at": token.created_at,
            "expires_at": token.expires_at,
        }
        return Response(TokenResponseSerializer(body).data, status=status.HTTP_201_CREATED)

    def get_authenticate_header(self, request):
        return "Token"


class _OwnTokens:
    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user)


@extend_schema(description=_("Your API tokens (never their keys), newest first; the same list as the profile page."))
class TokenListView(_OwnTokens, GenericAPIView):
    @extend_schema(tags=["auth"], responses=ApiTokenSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(description=_("Revoke one of your tokens (it answers 401 from then on); idempotent."))
class TokenRevokeView(_OwnTokens, GenericAPIView):
    @extend_schema(tags=["auth"], request=None, responses={200: ApiTokenSerializer})
    def post(self, request, pk: int):
        token = api_token_revoke(token=self.get_object(), by=request.user)
        return Response(self.get_serializer(token).data)


# --- Webhooks -----------------------------------------------------------------------------


class CanManageWebhooks(permissions.BasePermission):
    def has_permission(self, request, view):
        return can_manage_webhooks(request.user)


class WebhookSubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=webhooks.EVENT_TYPES), allow_empty=False, max_length=20
    )
    secret = serializers.CharField(
        max_length=128,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_(
            "Write-only. `whsec_` + base64 of 24–64 bytes; generated when omitted. Returned once, in the "
            "answer to the creation (or to rotate-secret), never again. Setting it on PATCH rotates the secret."
        ),
    )
    url = serializers.URLField(max_length=500)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text=_("Who manages it (default: you). Only an administrator gives a webhook to someone else."),
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "events",
            "secret",
            "is_active",
            "description",
            "owner",
            "created_at",
            "previous_secret_expires_at",
        ]
        read_only_fields = ["id", "created_at", "previous_secret_expires_at"]


class WebhookCreatedSerializer(WebhookSubscriptionSerializer):
    """The creation answer: the subscription and, this once, its secret."""

    secret = serializers.CharField(read_only=True, help_text=_("The signing secret, shown only in this answer."))


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("In the request: an optional secret of your own; in the answer: the new secret, shown once."),
    )
    previous_secret_expires_at = serializers.DateTimeField(
        read_only=True, help_text=_("Until then deliveries carry signatures with both the old and the new secret.")
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "created_at",
            "next_attempt_at",
            "last_response_code",
            "last_error",
            "delivered_at",
            "payload",
        ]


def _as_field_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    return exceptions.ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


class _ManageableWebhooks:
    """Managers see and change only their own subscriptions (404 for the others); admins all."""

    permission_classes = [permissions.IsAuthenticated, CanManageWebhooks]

    def get_queryset(self):
        return WebhookSubscription.objects.manageable_by(self.request.user).select_related("owner")


@extend_schema(
    description=_("List your webhook subscriptions (all of them for an admin) or create one (managers, admins).")
)
class WebhookListView(_ManageableWebhooks, GenericAPIView):
    parser_classes = [SafeJSONParser]
    serializer_class = WebhookSubscriptionSerializer

    @extend_schema(tags=["webhooks"], responses=WebhookSubscriptionSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["webhooks"], responses={201: WebhookCreatedSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            sub = webhooks.webhook_subscription_create(by=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _as_field_errors(error) from error
        return Response(WebhookCreatedSerializer(sub).data, status=status.HTTP_201_CREATED)


@extend_schema(description=_("Read, change or delete one of your webhook subscriptions; its secret is never shown."))
class WebhookDetailView(_ManageableWebhooks, GenericAPIView):
    parser_classes = [SafeJSONParser]
    serializer_class = WebhookSubscriptionSerializer

    @extend_schema(tags=["webhooks"])
    def get(self, request, pk: int):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(tags=["webhooks"])
    def patch(self, request, pk: int):
        sub = self.get_object()
        serializer = self.get_serializer(sub, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            sub = webhooks.webhook_subscription_update(subscription=sub, by=request.user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _as_field_errors(error) from error
        return Response(self.get_serializer(sub).data)

    @extend_schema(tags=["webhooks"], responses={204: None})
    def delete(self, request, pk: int):
        webhooks.webhook_subscription_delete(subscription=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(description=_("Replace the signing secret; the old one keeps signing during the overlap period."))
class WebhookRotateSecretView(_ManageableWebhooks, GenericAPIView):
    parser_classes = [SafeJSONParser]
    serializer_class = WebhookSecretSerializer

    @extend_schema(tags=["webhooks"], request=WebhookSecretSerializer, responses={200: WebhookSecretSerializer})
    def post(self, request, pk: int):
        serializer = WebhookSecretSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sub, secret = webhooks.webhook_secret_rotate(
            subscription=self.get_object(), by=request.user, secret=serializer.validated_data.get("secret", "")
        )
        return Response({"secret": secret, "previous_secret_expires_at": sub.previous_secret_expires_at})


@extend_schema(description=_("Queue a `webhook.test` event to this subscription."))
class WebhookTestView(_ManageableWebhooks, GenericAPIView):
    serializer_class = WebhookDeliverySerializer

    @extend_schema(tags=["webhooks"], request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request, pk: int):
        delivery = webhooks.webhook_send_test(subscription=self.get_object(), by=request.user)
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(description=_("The delivery log of one subscription, newest first."))
class WebhookDeliveriesView(_ManageableWebhooks, GenericAPIView):
    serializer_class = WebhookDeliverySerializer

    @extend_schema(tags=["webhooks"], responses=WebhookDeliverySerializer(many=True))
    def get(self, request, pk: int):
        sub = get_object_or_404(self.get_queryset(), pk=pk)
        page = self.paginate_queryset(WebhookDelivery.objects.filter(subscription=sub).order_by("-created_at", "-id"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def api_not_found(request, *args, **kwargs):
    """Any other path under /api/: the API's JSON 404, in DEBUG too (not Django's HTML page)."""
    from .errors import error_response

    return error_response(request, 404)
