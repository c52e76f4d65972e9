"""Rate limits, per client IP or per user, for the API (DRF throttles) and for plain Django views.

Rates are read at request time from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment
variables ``API_THROTTLE_*``), so settings and tests can change them. Every throttle identifies an
anonymous caller by :func:`smarketing.client_ip.client_ip`, which honours ``TRUSTED_PROXY_COUNT``:
a client cannot pick its own identity with ``X-Forwarded-For``.

The public capture form and the password-reset form are Django views, not DRF ones; they use the
same throttle classes through :func:`throttle_page`.
"""

from __future__ import annotations

import hashlib
from functools import wraps

from rest_framework import throttling
from rest_framework.settings import api_settings

from .client_ip import client_ip
from .errors import error_response


class _LiveRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request)


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    """Per signed-in user (anonymous callers are keyed by IP)."""


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    """Per anonymous IP address."""


class ClientIPThrottle(_LiveRates, throttling.SimpleRateThrottle):
    """One scope, per client IP, whoever is signed in."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenEndpointThrottle(ClientIPThrottle):
    """The token endpoint, per client IP: stricter, it accepts passwords."""

    scope = "token"


class CaptureThrottle(ClientIPThrottle):
    """Public capture forms (what a prospect fills), per client IP."""

    scope = "capture"


class PasswordResetThrottle(ClientIPThrottle):
    """Password-reset requests, per client IP."""

    scope = "password_reset"


class PasswordResetEmailThrottle(PasswordResetThrottle):
    """Password-reset requests, per e-mail address asked for (many IPs cannot flood one inbox)."""

    def get_cache_key(self, request, view):
        email = (request.POST.get("email") or "").strip().lower()
        if not email:
            return None
        digest = hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()
        return self.cache_format % {"scope": f"{self.scope}-email", "ident": digest}


def throttle_page(*throttle_classes, methods=("POST",)):
    """Decorate a Django view: over any of the throttles' rates, answer the 429 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in methods:
                for throttle_class in throttle_classes:
                    throttle = throttle_class()
                    if not throttle.allow_request(request, None):
                        wait = throttle.wait()
                        response = error_response(request, 429)
                        if wait:
                            response["Retry-After"] = str(int(wait) + 1)
                        return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
