"""Error answers for the whole site: JSON under /api/, a styled page (with navigation) elsewhere.

``handler400/403/404/500`` of the root URLconf and the edge middleware (body size, JSON depth, NUL
bytes, lone surrogates) all answer through :func:`error_response`, so a client gets the same shape
whichever layer refused its request. API errors keep the documented ``{"detail": "…"}`` shape.

An outage of the database or the broker is not a server error: :class:`OutageMiddleware` (first in
``MIDDLEWARE``) answers 503 with ``Retry-After`` for any request that met one (:func:`is_outage`),
whether a view, a middleware or the session/authentication layer hit it.
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

TEMPLATES = {
    400: "400.html",
    403: "403.html",
    404: "404.html",
    413: "413.html",
    429: "429.html",
    500: "500.html",
    503: "503.html",
}


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
        503: _("The service is briefly unavailable. Try again in a moment."),
    }[status]


def error_response(
    request: HttpRequest, status: int, detail: str | None = None, extra: dict | None = None
) -> HttpResponse:
    """The error answer for ``request``: JSON for the API, the styled page otherwise."""
    detail = detail or _default_detail(status)
    if is_api(request):
        return JsonResponse({"detail": str(detail), "errors": {}}, status=status)
    context = {"status": status, "detail": detail, **(extra or {})}
    try:
        # An outage page is drawn without the request's context processors: they would ask the
        # database that is away (the user, the navigation's roles).
        body = loader.render_to_string(TEMPLATES[status], context, request=None if status == 503 else request)
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


def _outage_errors() -> tuple[type[BaseException], ...]:
    from kombu.exceptions import OperationalError as BrokerOperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (
        DatabaseOperationalError,
        DatabaseInterfaceError,
        BrokerOperationalError,
        RedisConnectionError,
        RedisTimeoutError,
    )


def is_outage(exception: BaseException | None) -> bool:
    """Whether ``exception`` says the database or the broker cannot be reached (a 503, not a 500)."""
    return exception is not None and isinstance(exception, _outage_errors())


# The 503 page's language switcher: a link with this query parameter (no form, so no CSRF token, and
# no session or profile to save to — the database may be what is away).
OUTAGE_LANGUAGE_PARAM = "language"


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 with ``Retry-After`` (``UNAVAILABLE_RETRY_AFTER`` seconds): JSON under /api/, a page elsewhere.

    The page is in the language of ``?language=`` (then kept in the language cookie, which
    ``LocaleMiddleware`` reads once the service is back), else the cookie's or the browser's; it
    offers the other languages as plain links to the same address."""
    chosen = request.GET.get(OUTAGE_LANGUAGE_PARAM, "")
    codes = [code for code, _name in settings.LANGUAGES]
    language = chosen if chosen in codes else translation.get_language_from_request(request)
    with translation.override(language):
        links = [
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"].capitalize(),
                "url": f"{request.path}?{urlencode({OUTAGE_LANGUAGE_PARAM: code})}",
                "current": code == language,
            }
            for code in codes
        ]
        response = error_response(request, 503, extra={"language_links": links})
    response["Retry-After"] = str(settings.UNAVAILABLE_RETRY_AFTER)
    response["Content-Language"] = language
    if chosen in codes:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            chosen,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


def note_outage(sender, request=None, **kwargs) -> None:
    """``got_request_exception`` receiver: remember that this request failed on an outage.

    Exceptions raised inside a middleware (sessions, authentication) become a 500 response before
    :class:`OutageMiddleware` sees them; this mark lets it turn that response into the 503.
    """
    if request is not None and is_outage(sys.exc_info()[1]):
        request.smk_outage = True


class OutageMiddleware:
    """Database or broker unavailable → 503 with ``Retry-After``, never a 500. First in ``MIDDLEWARE``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "smk_outage", False):
            logger.warning("%s %s: database or broker unavailable, answered 503", request.method, request.path)
            return unavailable_response(request)
        return response

    def process_exception(self, request, exception):
        if is_outage(exception):
            logger.warning(
                "%s %s: database or broker unavailable (%s: %s), answered 503",
                request.method,
                request.path,
                type(exception).__name__,
                exception,
            )
            return unavailable_response(request)
        return None
