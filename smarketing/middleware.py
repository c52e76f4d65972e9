from __future__ import annotations

from django.conf import settings
from django.utils import translation

from .errors import error_response
from .input_guard import UnsafeInput, check_strings, check_text

# Fallback when settings do not say (the settings module sets it from REQUEST_BODY_MAX_BYTES).
DEFAULT_REQUEST_BODY_MAX_BYTES = 11 * 1024 * 1024


class EdgeMiddleware:
    """Refuses hostile requests before any view, form or query sees them.

    - a body larger than ``REQUEST_BODY_MAX_BYTES`` (by its Content-Length): 413;
    - a NUL character or lone surrogate in the path, the query string or a form field: 400.

    JSON bodies of the API are checked by its parsers (``smarketing.api``) with the same rules
    (``smarketing.input_guard``). Answers are JSON under /api/ and a styled page elsewhere.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = getattr(settings, "REQUEST_BODY_MAX_BYTES", DEFAULT_REQUEST_BODY_MAX_BYTES)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400)
        if length > limit:
            return error_response(request, 413)
        try:
            check_text(request.path_info)
            for key, values in request.GET.lists():
                check_strings([key, *values])
            if request.method == "POST":
                for key, values in request.POST.lists():
                    check_strings([key, *values])
                for upload in request.FILES.values():
                    check_text(upload.name or "")
        except UnsafeInput as error:
            return error_response(request, 400, str(error))
        return self.get_response(request)


class UserLanguageMiddleware:
    """Uses a signed-in user's saved language unless the request chose one explicitly.

    LocaleMiddleware already honours the language cookie set by the switcher; this only
    fills in the profile's language for a user who never used the switcher in this browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and not request.path.startswith("/api/")
        ):
            profile = getattr(user, "profile", None)
            language = getattr(profile, "language", "")
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)
