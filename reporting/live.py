"""The compliance status as pages and the API ask for it, computed once until something changes.

``compliance.compute`` reads a month of the series in about ten SQL aggregates (0.3–0.5 s at a
million leads); the dashboard asks for every SLA and ``/slas/{id}/status/`` for one on every
request. The answer only changes when

- a row the engine reads is written (events, handoffs, follow-ups, the SLA's versions, their
  commitments and calendars): every such write bumps one *figures version* after its
  transaction commits (``bump``; receivers in ``reporting.apps``, plus the services' bulk
  updates), so a cached answer is never served after a change it does not include;
- or time passes a deadline: for the current month, an obligation falling due, the next local
  day (elapsed business days, versions in force) or the month's end. A cached answer carries
  the instant it stops being valid (``valid_until``), computed with it.

So ``status(sla, month, now)`` equals ``compliance.compute(sla, month, now)`` — the property
test (``reporting/tests/test_live.py``) checks it after random sequences of lead actions and
clock moves. ``as_of`` is the asked instant, as ``compute`` gives it.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from leads.models import FollowUp, Handoff
from slas.models import SLA

from . import compliance

VERSION_KEY = "reporting:figures-version"
# A cached answer is checked against the data at least this often, whatever else happens.
MAX_AGE = dt.timedelta(hours=1)


def figures_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A new (or flushed) cache: a version no earlier answer was stored under.
        version = time.time_ns()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: the next reader starts one
        cache.delete(VERSION_KEY)


def bump() -> None:
    """The engine's data changed: cached answers are stale now, and again once it commits.

    The first bump makes this transaction's own readers recompute; the second one drops what a
    concurrent reader may have computed from the not-yet-committed state in between.
    """
    _bump()
    transaction.on_commit(_bump)


def _valid_until(version: SLA, month, now: dt.datetime, versions: list[int]) -> dt.datetime:
    """When an answer computed at ``now`` stops being true without any write (``versions``: the
    series' version ids)."""
    end = month.bounds()[1]
    if now >= end:
        return now + MAX_AGE
    tz = month.tz
    next_day = dt.datetime.combine(now.astimezone(tz).date() + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    candidates = [end, next_day.astimezone(dt.UTC), now + MAX_AGE]
    due = (
        FollowUp.objects.filter(sla_id__in=versions, due_at__gt=now, due_at__lt=end)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    decision = (
        Handoff.objects.filter(sla_id__in=versions, decision_due_at__gt=now, decision_due_at__lt=end)
        .order_by("decision_due_at")
        .values_list("decision_due_at", flat=True)
        .first()
    )
    candidates += [moment for moment in (due, decision) if moment is not None]
    return min(candidates)


def status(sla: SLA, month, now: dt.datetime | None = None) -> dict:
    """``compliance.compute(sla, month, now)``, from the cache while it is still the answer.

    Raises what ``compute`` raises (``MonthNotStarted``, ``NotInForce``); those are not cached.
    """
    now = now or timezone.now()
    asked = compliance.as_month(sla, month)
    key = f"reporting:status:{figures_version()}:{sla.series}:{asked.first_day:%Y-%m}:{asked.time_zone}"
    cached = cache.get(key)
    if cached is not None:
        computed_at, valid_until, end, result = cached
        if computed_at <= now < valid_until:
            return {**result, "as_of": min(now, end).isoformat()}
    version, in_zone = compliance.resolve(sla, asked, now)
    versions = compliance.series_ids(version)
    result = compliance.compute_resolved(version, in_zone, now, versions=versions)
    end = in_zone.bounds()[1]
    valid_until = _valid_until(version, in_zone, now, versions)
    cache.set(key, (now, valid_until, end, result), timeout=int(MAX_AGE.total_seconds()))
    return result
