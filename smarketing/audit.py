"""The audit log: who changed what, when and from which address (django-auditlog).

Why django-auditlog (docs/security.md): one table of entries (actor, time, client address,
object, JSON diff of the fields), written by model signals for every model listed in
``AUDITLOG_INCLUDE_TRACKING_MODELS`` (settings), with an admin list that filters by action,
resource type, actor and date. django-simple-history keeps one shadow table per model, which
suits "show me this object as it was", not "who changed anything yesterday".

This module adds what the library leaves to the project:

- the client address is :func:`smarketing.client_ip.client_ip` (the library believes any
  ``X-Forwarded-For``), and the actor of a token-authenticated API call is known once DRF has
  authenticated it (:func:`note_actor`);
- an SLA's sections are replaced in bulk by its services, which model signals do not see:
  :func:`record_change` writes one entry with the document's before/after difference;
- secrets are masked whole (:func:`mask`), not half as the library does by default;
- the entries are append-only: read-only in the admin, and on PostgreSQL a trigger refuses any
  UPDATE or DELETE (migration ``smarketing.0004``).
"""

from __future__ import annotations

from auditlog.context import auditlog_value
from auditlog.middleware import AuditlogMiddleware

from .client_ip import client_ip

MASK = "********"


def mask(value) -> str:
    """``AUDITLOG_MASK_CALLABLE``: a secret's change is recorded, never any part of it."""
    return MASK


class AuditMiddleware(AuditlogMiddleware):
    """The library's middleware with the project's client address (trusted proxies only)."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request) or None

    @staticmethod
    def _get_remote_port(request):
        # X-Forwarded-Port is whatever the client wrote: not recorded.
        return None


def note_actor(user) -> None:
    """The request's actor, once known after the middleware ran (DRF token authentication)."""
    try:
        context = auditlog_value.get()
    except LookupError:
        return
    if context.get("actor") is None:
        context["actor"] = user


def record_change(instance, before: dict, after: dict) -> None:
    """One UPDATE entry on ``instance`` with the keys of ``before``/``after`` that differ.

    For changes made with bulk writes (an SLA's sections), which model signals never see.
    """
    from auditlog.models import LogEntry

    changes = {
        key: [_text(before.get(key)), _text(after.get(key))] for key in after if before.get(key) != after.get(key)
    }
    if changes:
        LogEntry.objects.log_create(instance, action=LogEntry.Action.UPDATE, changes=changes, force_log=True)


def _text(value) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
