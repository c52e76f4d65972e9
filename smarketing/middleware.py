from __future__ import annotations

from django.utils import translation


class UserLanguageMiddleware:
    """Uses a signed-in user's saved language unless the request chose one explicitly.

    LocaleMiddleware already honours the language cookie set by the switcher; this only
    fills in the profile's language for a user who never used the switcher in this browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

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
