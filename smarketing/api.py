"""Shared REST API pieces: the JSON error shape used by every endpoint, and safe body parsers."""

from __future__ import annotations

import codecs
import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.utils import json
from rest_framework.views import exception_handler as drf_exception_handler

from .input_guard import UnsafeInput, check_strings, check_structure


class SafeJSONParser(parsers.JSONParser):
    """JSON bodies, refused with a 400 when nested too deeply or carrying NUL/lone surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = json.strict_constant if self.strict else None
            value = json.loads(text, parse_constant=parse_constant)
            check_structure(value)
        except RecursionError as exc:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from exc
        except UnsafeInput as exc:
            raise exceptions.ParseError(str(exc)) from exc
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        return value


def _check_form(data):
    try:
        for key, values in data.lists():
            check_strings([key, *values])
    except UnsafeInput as exc:
        raise exceptions.ParseError(str(exc)) from exc
    return data


class SafeFormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _check_form(super().parse(stream, media_type, parser_context))


class SafeMultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        _check_form(result.data)
        try:
            check_strings(upload.name or "" for upload in result.files.values())
        except UnsafeInput as exc:
            raise exceptions.ParseError(str(exc)) from exc
        return result


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must carry its offset (``Z`` or ``+01:00``): the API never guesses a zone."""

    default_error_messages = {
        "naive": _("Give the time with its offset, e.g. 2026-03-02T09:15:00+01:00 or 2026-03-02T08:15:00Z."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well formed, impossible: 12:99, 31 February
                self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss][+HH:MM|Z]")
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        return super().to_internal_value(value)


@extend_schema_field(
    {
        "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
        "description": "A date (YYYY-MM-DD: the end of that day in the SLA's time zone) or a time with its offset.",
    }
)
class DayOrAwareDateTimeField(AwareDateTimeField):
    """A deadline: a date (``YYYY-MM-DD``) or a time with its offset; a date stays a ``date``."""

    default_error_messages = {"invalid": _("Give a date (YYYY-MM-DD) or a time with its offset.")}

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = parse_date(value.strip()) if _DAY.match(value.strip()) else None
            except ValueError:  # 2026-02-31
                day = None
            if day is None:
                self.fail("invalid")
            return day
        return super().to_internal_value(value)


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, with a filter given empty refused (400) instead of silently ignored.

    ``?status=`` reads as "filter on nothing"; a client that means "no filter" leaves the
    parameter out. Invalid values were already 400s (the filterset's form errors).
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            errors = {}
            for name, filter_ in filterset_class.base_filters.items():
                if name not in request.query_params:
                    continue
                value = request.query_params.get(name, "").strip()
                if not value:
                    errors[name] = [EMPTY_PARAMETER]
                elif isinstance(filter_, BooleanFilter) and value.lower() not in BOOLEAN_VALUES:
                    # django-filter reads anything else as "not given".
                    errors[name] = [NOT_A_BOOLEAN]
            if errors:
                raise exceptions.ValidationError(errors)
        return super().filter_queryset(request, queryset, view)


EMPTY_PARAMETER = _("Leave the parameter out rather than sending it empty.")
NOT_A_BOOLEAN = _("Give true or false.")
BOOLEAN_VALUES = {"true", "false", "1", "0"}


class Conflict(exceptions.APIException):
    """409: the state change conflicts with the object's current state (stale or signed)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, *, extra: dict | None = None):
        super().__init__(detail, code)
        # Plain JSON members added beside "detail" (e.g. the object that stands in the way).
        self.extra = extra or {}


# ``section[0].field`` (Django model validation of list items) → ``section.0.field``.
_BRACKET_INDEX = re.compile(r"\[(\d+)\]")
NON_FIELD = "non_field_errors"


def error_path(*parts) -> str:
    """The dotted path of a field: ``calendar.hours.0.end`` (list items by their 0-based index)."""
    return ".".join(_BRACKET_INDEX.sub(r".\1", str(part)).strip(".") for part in parts if str(part) != "")


def flatten_errors(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure → ``{"dotted.path": ["message", ...]}``.

    Nested serializers give dicts, ``many=True`` ones lists of dicts (an empty dict for a valid
    item), dict fields dicts keyed by the key; a nested ``non_field_errors`` belongs to its parent.
    """
    errors: dict[str, list[str]] = {}

    def add(path: str, message) -> None:
        errors.setdefault(path or NON_FIELD, []).append(str(message))

    def walk(value, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                walk(item, path if key in {NON_FIELD, "__all__"} else error_path(path, key))
        elif isinstance(value, (list, tuple)):
            if all(not isinstance(item, (dict, list, tuple)) for item in value):
                for message in value:
                    add(path, message)
            else:
                for index, item in enumerate(value):
                    walk(item, error_path(path, index))
        elif value not in (None, ""):
            add(path, value)

    walk(data, prefix)
    return errors


def error_body(detail: str, errors: dict[str, list[str]] | None = None, **extra) -> dict:
    """The one error shape of the API: ``{"detail": "…", "errors": {"dotted.path": ["…"]}}``."""
    return {"detail": str(detail), "errors": errors or {}, **extra}


def _summary(errors: dict[str, list[str]]) -> str:
    """A one-line ``detail`` for field errors: the first message of each path (three at most)."""
    parts = [f"{path}: {messages[0]}" if path != NON_FIELD else messages[0] for path, messages in errors.items()]
    more = len(parts) - 3
    text = " ".join(part if part.endswith((".", "?", "!")) else f"{part}." for part in parts[:3])
    return f"{text} (+{more} more)" if more > 0 else text


def exception_handler(exc, context):
    """The API's only error handler: every refusal answers ``{"detail", "errors"}`` (docs/api.md).

    ``detail`` is one human sentence; ``errors`` maps each invalid field's dotted path
    (``calendar.hours.0.end``, ``memberships.1.role``, ``non_field_errors`` for the whole
    input) to its messages, and is ``{}`` when no field is at fault. Django's ValidationError
    (raised by services and models) is a 400 like DRF's; a 409 may add members beside them
    (e.g. ``conflicting_sla``).
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(exc.message_dict)
        else:
            exc = exceptions.ValidationError({NON_FIELD: list(exc.messages)})
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        # A uniqueness race lost against a concurrent request: the state changed under us.
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data if isinstance(response.data, dict) else {NON_FIELD: response.data}
        errors = flatten_errors(data)
        response.data = error_body(_summary(errors) or exceptions.ValidationError.default_detail, errors)
    else:
        data = response.data
        detail = data.get("detail", "") if isinstance(data, dict) else " ".join(str(m) for m in data)
        extra = exc.extra if isinstance(exc, Conflict) else {}
        response.data = error_body(detail or getattr(exc, "default_detail", ""), **extra)
    return response


ERROR_SCHEMA = {
    "type": "object",
    "description": _('Every error of the API (docs/api.md, "Errors"): one sentence, and the fields at fault.'),
    "properties": {
        "detail": {"type": "string", "description": _("What went wrong, in one sentence.")},
        "errors": {
            "type": "object",
            "description": _(
                "Each invalid field's dotted path (`calendar.hours.0.end`; `non_field_errors` for the "
                "input as a whole) → its messages. Empty when no field is at fault."
            ),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["detail", "errors"],
    "example": {"detail": "team: This field is required.", "errors": {"team": ["This field is required."]}},
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_RESPONSES = {
    "400": _("Bad input: `errors` names each field at fault (dotted paths)."),
    "401": _("Not authenticated: missing, invalid, expired or revoked token."),
    "403": _("Authenticated, but not allowed (SPEC §7)."),
    "404": _("No such object."),
    "409": _("The change conflicts with the current state (a stale version, a concurrent change)."),
    "415": _("Unsupported media type: send JSON."),
    "429": _("Too many requests: see the Retry-After header."),
}


def _error_content() -> dict:
    return {"application/json": {"schema": _ERROR_REF}}


def add_error_responses(result, generator, request, public):
    """drf-spectacular hook: the Error component and the error responses of every operation.

    Added to whatever operations the URLconf holds, so endpoints added later are covered; an
    operation's own description of an error (``extend_schema``) is kept, and every error
    response gets the Error body.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            codes = ["400", "401", "403", "404", "429"]
            if method in {"post", "put", "patch", "delete"}:
                # A write may lose a race (a stale version, a concurrent duplicate): 409.
                codes.append("409")
            if method in {"post", "put", "patch"}:
                codes.append("415")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, {"description": _ERROR_RESPONSES[code]})
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = _error_content()
                    if code == "429":
                        response["headers"] = {
                            "Retry-After": {"schema": {"type": "integer"}, "description": _("Seconds to wait.")}
                        }
    return result


@dataclass(frozen=True)
class ExampleMoment:
    """A date or time in a documented example, counted from the day the schema is served.

    An example that says "take this lead until 2026-03-20" is refused once that day has passed
    (a return date must come after the take), so a fixed date cannot be pasted. ``days`` from
    today in the installation's time zone; ``hour`` None gives a date (``2026-12-01``), an hour
    gives that time with the zone's offset (``2026-12-01T18:00:00+01:00``). Written into the
    schema by the ``resolve_example_moments`` hook.
    """

    days: int
    hour: int | None = None

    def render(self, now: dt.datetime) -> str:
        day = timezone.localdate(now) + dt.timedelta(days=self.days)
        if self.hour is None:
            return day.isoformat()
        return timezone.make_aware(dt.datetime.combine(day, dt.time(self.hour))).isoformat()


def resolve_example_moments(result, generator, request, public):
    """drf-spectacular hook: every ``ExampleMoment`` of the examples as today's date or time."""
    now = timezone.now()

    def resolve(node):
        if isinstance(node, ExampleMoment):
            return node.render(now)
        if isinstance(node, dict):
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(result)


def webhook_doc(event_type: str, data: serializers.Serializer, *, summary: str, description: str):
    """The OpenAPI 3.1 ``webhooks`` entry of one event: the signed POST a receiver gets.

    The body is the envelope ``{"id", "type", "created_at", "data"}`` with the event's ``data``;
    the apps list their events in ``SPECTACULAR_SETTINGS["WEBHOOKS"]``.
    """
    from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema, inline_serializer

    name = "".join(part.capitalize() for part in event_type.replace(".", "_").split("_"))
    envelope = inline_serializer(
        name=f"{name}Webhook",
        fields={
            "id": serializers.UUIDField(
                help_text=_(
                    "The event id, also in the `webhook-id` header: stable for one occurrence (drop duplicates)."
                )
            ),
            "type": serializers.ChoiceField(choices=[event_type], help_text=_("The event type.")),
            "created_at": serializers.DateTimeField(help_text=_("When the event happened (UTC).")),
            "data": data,
        },
    )
    return OpenApiWebhook(
        name=event_type,
        decorator=extend_schema(
            summary=summary,
            description=format_lazy(
                "{}\n\n{}",
                description,
                _(
                    "Signed the Standard Webhooks way: headers `webhook-id`, `webhook-timestamp`, `webhook-signature` "
                    "(`v1,<base64 HMAC-SHA256 of id.timestamp.body>` with your `whsec_` secret). Answer 2xx within "
                    "10 s; anything else is retried with backoff for 24 h."
                ),
            ),
            request=envelope,
            responses={200: OpenApiResponse(description=_("Received (any 2xx)."))},
        ),
    )
