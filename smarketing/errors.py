"""Error answers for the whole site: JSON under /api/, a styled page (with navigation) elsewhere.

``handler400/403/404/500`` of the root URLconf and the edge middleware (body size, JSON depth, NUL
bytes, lone surrogates) all answer through :func:`error_response`, so a client gets the same shape
whichever layer refused its request. API errors keep the documented ``{"detail": "…"}`` shape.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TEMPLATES = {400: "400.html", 403: "403.html", 404: "404.html", 413: "413.html", 429: "429.html", 500: "500.html"}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _default_detail(status: int) -> str:
    return {
        400: _("Bad request."),
        403: _("You do not have permission to perform this action."),
        404: _("Not found."),
        413: _("The request is too large."),
        429: _("Too many requests. Try again later."),
        500: _("Server error."),
    }[status]


def error_response(request: HttpRequest, status: int, detail: str | None = None) -> HttpResponse:
    """The error answer for ``request``: JSON for the API, the styled page otherwise."""
    detail = detail or _default_detail(status)
    if is_api(request):
        return JsonResponse({"detail": str(detail)}, status=status)
    context = {"status": status, "detail": detail}
    try:
        body = loader.render_to_string(TEMPLATES[status], context, request=request)
    except Exception:
        logger.exception("could not render the %s page", status)
        body = f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{detail}</p>"
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def handler400(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413)
    if isinstance(exception, TooManyFieldsSent):
        return error_response(request, 400, _("Too many fields in the request."))
    return error_response(request, 400)


def handler403(request, exception=None):
    message = str(exception) if exception is not None and exception.args else None
    return error_response(request, 403, message)


def csrf_failure(request, reason: str = ""):
    """``CSRF_FAILURE_VIEW``: a form posted without its token (or from another site)."""
    return error_response(
        request, 403, _("Your session form expired or came from another site. Go back, reload the page and try again.")
    )


def handler404(request, exception=None):
    return error_response(request, 404)


def handler500(request):
    return error_response(request, 500)
