"""The bench's background jobs: the overdue scan and the CSV import, each against its reference.

Both run inside the transaction ``bench/run.py`` rolls back, so the bench database is left as
``bench_data`` wrote it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone


def _alert_the_backlog(now: dt.datetime) -> int:
    """Record every follow-up overdue now as already alerted (the state after the last scan)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO reporting_overduealert (followup_id, owner_alerted_at, escalate_at, escalated_at) "
            "SELECT f.id, %s, %s, %s FROM leads_followup f "
            "WHERE f.status = 'open' AND f.due_at < %s "
            "AND NOT EXISTS (SELECT 1 FROM reporting_overduealert a WHERE a.followup_id = f.id)",
            [now, now, now, now],
        )
        return cursor.rowcount


def bench_scan(report, *, quick: bool) -> None:
    """1,000 follow-ups falling due (100 with --quick) against the same scan with nothing new.

    The backlog (every follow-up overdue now) is marked alerted and a first scan sets the
    watermark, as in production; then time moves to just past the due time of the next 1,000 open
    follow-ups, which fall due as they would (due times never change after they are recorded).
    """
    from django.urls import reverse

    from leads.models import FollowUp
    from reporting.notifications.overdue import followups_alert_overdue

    count = 100 if quick else 1000
    from slas.models import WorkingCalendar

    now = timezone.now()
    # A worker has its URLconf and the holidays library loaded (imports of 1–2 s): not the scan's cost.
    reverse("api-lead-detail", args=[1])
    WorkingCalendar.default_business_calendar().add_business_hours(now, 1)
    backlog = _alert_the_backlog(now)
    followups_alert_overdue(now=now)  # the watermark after the last scan
    with CaptureQueriesContext(connection) as idle_queries:
        idle_ms = _timed(lambda: followups_alert_overdue(now=now + dt.timedelta(microseconds=1)))
    due = list(
        FollowUp.objects.filter(status=FollowUp.Status.OPEN, due_at__gt=now)
        .order_by("due_at", "pk")
        .values_list("due_at", flat=True)[:count]
    )
    later = due[-1] + dt.timedelta(microseconds=1) if due else now + dt.timedelta(seconds=1)
    with CaptureQueriesContext(connection) as queries:
        alerted = 0

        def scan():
            nonlocal alerted
            alerted = followups_alert_overdue(now=later)

        scan_ms = _timed(scan)
    per_thousand = scan_ms * 1000 / max(alerted, 1)
    report(
        f"overdue scan, {alerted:,} newly overdue",
        f"{scan_ms / 1000:.2f} s ({len(queries)} q in all, {len(queries) / max(alerted, 1):.2f} q/follow-up)",
        f"nothing new {idle_ms / 1000:.3f} s ({len(idle_queries)} q)",
        scan_ms / idle_ms if idle_ms else None,
        "≤ 2 s per 1,000 newly overdue",
        per_thousand <= 2000 if alerted else None,  # a tiny database may have nothing left to fall due
        backlog_marked=backlog,
    )


def _timed(func) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


def _csv(rows: int, offset: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["First name", "Last name", "E-mail", "Company", "Channel"])
    for n in range(offset, offset + rows):
        writer.writerow([f"Imported{n}", f"Row{n}", f"import{n}@bench-import.example", f"Import Co {n % 300}", "event"])
    return buffer.getvalue()


def _copy_reference(text: str, team_id: int) -> float:
    """COPY of the same rows into the leads table (the floor any import can reach)."""
    from leads.models import Lead

    reader = csv.reader(io.StringIO(text))
    next(reader)
    now = timezone.now()
    rows = list(reader)
    columns = [
        "first_name",
        "last_name",
        "email",
        "company",
        "channel",
        "phone",
        "job_title",
        "source",
        "stage",
        "stage_entered_at",
        "lost_reason",
        "lost_from_stage",
        "owner_team_id",
        "budget_voted",
        "team_formed",
        "timing_defined",
        "scope_defined",
        "pain_identified",
        "category_overridden",
        "category_override_reason",
        "consent_to_contact",
        "created_at",
        "updated_at",
        "version",
    ]
    table = connection.ops.quote_name(Lead._meta.db_table)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # fixed column names
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for first, last, email, company, channel in rows:
                copy.write_row(
                    [
                        first,
                        last,
                        email,
                        company,
                        channel,
                        "",
                        "",
                        "import",
                        "prospect",
                        now,
                        "",
                        "",
                        team_id,
                        False,
                        False,
                        False,
                        False,
                        False,
                        False,
                        "",
                        False,
                        now,
                        now,
                        1,
                    ]
                )
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return elapsed


def bench_import(report, *, quick: bool) -> None:
    """Rows per second of the CSV import against COPY of the same rows."""
    from django.contrib.auth import get_user_model

    from leads import imports
    from slas.models import Function, Team

    rows = 500 if quick else 5000
    user = get_user_model().objects.get(username="bench")
    team = Team.objects.filter(function=Function.MARKETING).order_by("pk").first()
    text = _csv(rows, 0)
    copies, imports_ms = [], []
    # Rounds alternating the reference and the import, each rolled back: medians of 3.
    for _round in range(3):
        copies.append(_copy_reference(text, team.pk))
        with transaction.atomic():
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                checked = imports.preview(text, None, team)
                assert checked.ok, checked.errors[:3]  # nosec B101 - the bench's own file
                imports.load(checked.rows, by=user)
            imports_ms.append((time.perf_counter() - started) * 1000)
            transaction.set_rollback(True)
    copy_ms, import_ms = statistics.median(copies), statistics.median(imports_ms)
    import_rate, copy_rate = rows / import_ms * 1000, rows / copy_ms * 1000
    report(
        f"CSV import of {rows:,} rows",
        f"{import_rate:,.0f} rows/s ({len(queries)} q in all)",
        f"COPY {copy_rate:,.0f} rows/s",
        import_rate / copy_rate,
        "≥ 0.2 × COPY throughput",
        import_rate / copy_rate >= 0.2,
        hundred_thousand_rows_s=100_000 / import_rate,
    )


def vacuum_after_jobs() -> None:
    """Vacuum the tables the rolled-back jobs wrote (outside any transaction).

    Rolled-back rows stay in the tables as dead tuples at their end, which PostgreSQL's planner
    counts as live pages until a vacuum: after a few runs the board's capped counts were planned
    as sequential scans over them (2 ms → 140 ms), measuring the previous run instead of the pages.
    """
    from leads.models import FollowUp, Lead, LeadEvent
    from reporting.models import OverdueAlert

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (Lead, LeadEvent, FollowUp, OverdueAlert))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")  # the models' own table names  # nosec B608
