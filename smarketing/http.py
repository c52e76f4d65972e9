"""Small request helpers shared by the apps' views (no domain knowledge here)."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request, value: str | None) -> str | None:
    """``value`` when it is a URL of this site (``next=`` parameters), else None.

    ``//evil.example/`` and ``https://evil.example/`` start like paths or URLs but leave the site:
    Django's ``url_has_allowed_host_and_scheme`` is the one check, for every view reading ``next``.
    """
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return None


def int_or_none(value) -> int | None:
    """A positive integer id from a query or form parameter, or None (never a ValueError)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
