"""Throttles whose rates are read at request time, so settings (and tests) can change them.

DRF's own classes copy ``DEFAULT_THROTTLE_RATES`` at import; these read the live settings.
Rates come from the environment (see ``API_THROTTLE_*`` in settings).
"""

from __future__ import annotations

from rest_framework import throttling
from rest_framework.settings import api_settings


class _LiveRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class UserRateThrottle(_LiveRates, throttling.UserRateThrottle):
    """Per signed-in user (anonymous callers are keyed by IP)."""


class AnonRateThrottle(_LiveRates, throttling.AnonRateThrottle):
    """Per anonymous IP address."""


class TokenEndpointThrottle(_LiveRates, throttling.SimpleRateThrottle):
    """The token endpoint, per client IP: stricter, it accepts passwords."""

    scope = "token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class CaptureThrottle(TokenEndpointThrottle):
    """Public capture endpoints (forms a prospect fills), per client IP."""

    scope = "capture"
