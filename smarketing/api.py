"""Shared REST API pieces: the JSON error shape used by every endpoint, and safe body parsers."""

from __future__ import annotations

import codecs

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
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


class Conflict(exceptions.APIException):
    """409: the state change conflicts with the object's current state (stale or signed)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail=None, code=None, *, extra: dict | None = None):
        super().__init__(detail, code)
        # Plain JSON members added beside "detail" (e.g. the object that stands in the way).
        self.extra = extra or {}


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError as a 400 with field messages.

    Errors are always ``{"detail": "..."}`` or ``{"field": ["message", ...]}``.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
            if "__all__" in data:
                data["non_field_errors"] = data.pop("__all__")
        else:
            data = {"detail": " ".join(str(m) for m in exc.messages)}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, IntegrityError):
        # A uniqueness race lost against a concurrent request: the state changed under us.
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, Conflict) and exc.extra:
        response.data.update(exc.extra)
    if response is not None and isinstance(response.data, list):
        # ``raise ValidationError("message")`` yields a bare list; keep the documented shape.
        response.data = {"detail": " ".join(str(m) for m in response.data)}
    return response


ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "An error that is not about one field.",
}
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {}}, {"type": "object"}]},
    "description": "Field errors: each invalid field (or `non_field_errors`) with its messages.",
}
_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERROR_RESPONSES = {
    "400": ("Bad input: field errors or a detail message.", "bad"),
    "401": ("Not authenticated: missing or invalid token.", "error"),
    "403": ("Authenticated, but not allowed (SPEC §7).", "error"),
    "404": ("No such object (or no such page of a list).", "error"),
    "409": ("The change conflicts with the object's current state.", "error"),
    "415": ("Unsupported media type: send JSON.", "error"),
    "429": ("Too many requests: see the Retry-After header.", "error"),
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular hook: error components and the error responses of every operation.

    Added to whatever operations the URLconf holds, so endpoints added later are covered.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR_SCHEMA)
    schemas.setdefault("FieldErrors", FIELD_ERRORS_SCHEMA)
    bad_request = {"anyOf": [_ERROR_REF, {"$ref": "#/components/schemas/FieldErrors"}]}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            # 404 everywhere: an unknown id, or a page number past the end of a list.
            codes = ["400", "401", "403", "404", "429"]
            if method in {"post", "put", "patch", "delete"}:
                codes.append("409")
            if method in {"post", "put", "patch"}:
                codes.append("415")
            responses = operation.setdefault("responses", {})
            for code in codes:
                if code in responses:
                    continue
                description, kind = _ERROR_RESPONSES[code]
                schema = bad_request if kind == "bad" else _ERROR_REF
                responses[code] = {"description": description, "content": {"application/json": {"schema": schema}}}
                if code == "429":
                    responses[code]["headers"] = {
                        "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}
                    }
    return result
