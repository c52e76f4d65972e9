"""The client's IP address, the one rule every limit and log uses.

Behind ``TRUSTED_PROXY_COUNT`` reverse proxies (default 0: the app faces the clients), each proxy
appends the address it received the request from to ``X-Forwarded-For``; the client's address is
therefore the one written by the outermost trusted proxy, ``TRUSTED_PROXY_COUNT`` places from the
right. Anything further left was written by the client and is never believed. With no trusted proxy
the header is ignored and ``REMOTE_ADDR`` (the TCP peer) is the client.

DRF throttles (``NUM_PROXIES``), django-axes (``AXES_CLIENT_IP_CALLABLE``), the public capture form,
the password-reset limit and the audit log all call :func:`client_ip`.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _clean(address: str) -> str | None:
    """The address without a port or brackets, or None when it is not an IP address."""
    address = address.strip()
    if address.startswith("["):  # [v6]:port
        address = address[1:].split("]", 1)[0]
    elif address.count(":") == 1:  # v4:port
        address = address.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of the client that sent ``request`` (see the module docstring)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted <= 0 or not forwarded:
        return remote
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    # The outermost trusted proxy wrote the entry ``trusted`` places from the right; fewer entries
    # than proxies means the first proxy was reached directly, so the leftmost entry is its peer.
    chosen = hops[-min(trusted, len(hops))]
    return _clean(chosen) or remote
