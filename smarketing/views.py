from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - report any failure as unhealthy
        return False, f"{type(exc).__name__}: {exc}"
    return True, connection.vendor


def _check_broker() -> tuple[bool, str]:
    from smarketing.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport.driver_type  # "redis", "filesystem" (not our transport class path)
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"
    return True, str(transport)


def _check_worker() -> tuple[bool, str]:
    from smarketing.models import WorkerHeartbeat

    try:
        last_seen = WorkerHeartbeat.latest_seen()
    except Exception as exc:  # noqa: BLE001
        return False, f"{type(exc).__name__}: {exc}"
    if last_seen is None:
        return False, "no worker has ever reported"
    age = timezone.now() - last_seen
    if age > dt.timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE):
        return False, f"last heartbeat {int(age.total_seconds())} s ago"
    return True, f"last heartbeat {int(age.total_seconds())} s ago"


@never_cache
@require_GET
def healthz(request):
    """Database, broker and worker status: 200 when all are well, 503 naming what failed."""
    checks = {"database": _check_database(), "broker": _check_broker(), "worker": _check_worker()}
    body = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}
    failing = [name for name, (ok, _detail) in checks.items() if not ok]
    body["status"] = "ok" if not failing else "failing"
    body["failing"] = failing
    return JsonResponse(body, status=200 if not failing else 503)
