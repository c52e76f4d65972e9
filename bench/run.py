"""``make bench``: every measurement of issue 12, each beside its reference measured in the same run.

Runs against the PostgreSQL database of ``DATABASE_URL``, filled by
``python manage.py bench_data --leads N`` (``make bench-smoke`` builds a small one itself).

- The compliance engine for one SLA-month, against the same figures by hand-written SQL
  (``bench/reference.py``), alternating, in this process.
- Pages and API endpoints through gunicorn (2 workers, ``bench.settings``), the load sent by a
  separate process (``bench/load.py``): latencies (median, p95) alternating with a constant-JSON
  endpoint behind the same authentication (the ceiling), and the status endpoint's throughput
  under concurrent load against the ceiling's. Queries per request are counted in this process
  with Django's test client.
- The overdue scan (1,000 newly overdue follow-ups against the same scan with nothing new)
  and the CSV import (rows per second against COPY of the same rows) — in a transaction rolled
  back afterwards, so the bench database stays as ``bench_data`` left it.

Prints a table (figure, reference, ratio, goal, verdict) and writes ``var/bench-results.json``.
Usage: python bench/run.py [--quick] [--port 18410] [--only engine|http|jobs ...]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import signal
import statistics
import subprocess  # nosec B404 - the bench starts its own gunicorn and load generator
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")
os.environ.setdefault("DEBUG", "1")
# One key for this process and the bench's gunicorn: the session made here must be valid there.
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)  # nosec B105 - the bench's own server
# The bench measures the ceiling, not the throttle. Both processes count one user's requests in the
# same Redis cache, so this process needs the gunicorn's rate too: with the default 2,000/hour, the
# query counts taken here after a fast machine's load were answered 429.
os.environ["API_THROTTLE_USER"] = "100000000/hour"

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

ROWS: list[dict] = []


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = share * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def report(name: str, value: str, reference: str, ratio: float | None, goal: str, ok: bool | None, **extra) -> None:
    verdict = "" if ok is None else ("met" if ok else "NOT MET")
    ratio_text = f"{ratio:6.2f}" if ratio is not None else "     –"
    print(f"{name:<44} {value:>26}  {reference:>24}  {ratio_text}  {goal:<28} {verdict}", flush=True)
    ROWS.append({"name": name, "value": value, "reference": reference, "ratio": ratio, "goal": goal, "ok": ok, **extra})


def timed(func) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000


# --- the compliance engine ------------------------------------------------------------------


def bench_engine(repeat: int) -> None:
    from bench.reference import month_figures
    from reporting import compliance
    from slas.models import SLA

    sla = SLA.objects.order_by("pk").first()
    now = django.utils.timezone.now()
    current = sla.current_month(now)
    for label, month in (("last month", current.shift(-1)), ("a month 20 months ago", current.shift(-20))):
        version, in_zone = compliance.resolve(sla, month, now)
        start, end = in_zone.bounds()
        versions = compliance.series_ids(version)
        engine, hand = [], []
        cutoff = min(now, end)

        def by_engine(month=month):
            compliance.compute(sla, month, now=now)

        def by_hand(versions=versions, team=version.marketing_team_id, start=start, cutoff=cutoff):
            month_figures(versions, team, start, cutoff)

        for _ in range(repeat):
            engine.append(timed(by_engine))
            hand.append(timed(by_hand))
        with CaptureQueriesContext(connection) as queries:
            compliance.compute(sla, month, now=now)
        ratio = statistics.median(engine) / statistics.median(hand)
        report(
            f"compliance of one SLA-month ({label})",
            f"{statistics.median(engine):.0f} ms ({len(queries)} q)",
            f"hand SQL {statistics.median(hand):.0f} ms",
            ratio,
            "≤ 1.5 × reference",
            ratio <= 1.5,
        )


# --- pages and endpoints through gunicorn ---------------------------------------------------


def session_cookie() -> tuple[str, object]:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user = get_user_model().objects.get(username="bench")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}", user


def start_gunicorn(port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    # DEBUG off serves the static files' manifest: build it as `make web` does.
    subprocess.run(  # nosec B603 - our own manage.py, fixed arguments
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    process = subprocess.Popen(  # nosec B603 - our own gunicorn, fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.wsgi:application",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(120):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)  # nosec B310 - localhost
            return process
        time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start")


def load(plan: dict) -> dict:
    """Run ``bench/load.py`` in its own process with ``plan``."""
    result = subprocess.run(  # nosec B603 - our own load generator
        [sys.executable, str(ROOT / "bench" / "load.py")],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def queries_per_request(user, path: str) -> int:
    from django.test import Client

    client = Client()
    client.force_login(user)
    # The steady state the latencies measure: the first request of this process fills what the
    # pages keep between requests (the dashboard's cached statuses).
    client.get(path, HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return len(queries)


def targets(user) -> list[tuple[str, str, float]]:
    """(name, path, p95 goal in ms) of every page and endpoint of the issue's table."""
    from leads.models import Lead, Stage
    from slas.models import SLA, Function, Team
    from smarketing.keyset import encode_cursor

    total = Lead.objects.count()
    middle = Lead.objects.order_by("-created_at", "-pk").values_list("created_at", "pk")[total // 2]
    api_cursor = base64.b64encode(urlencode({"p": str(middle[0])}).encode()).decode()
    html_cursor = encode_cursor([middle[0], middle[1]])
    sales = Team.objects.filter(function=Function.SALES).order_by("pk").first()
    rare = Lead.objects.order_by("pk").values_list("last_name", flat=True)[total // 3]
    sla = SLA.objects.order_by("pk").first()
    filtered = urlencode({"stage": Stage.SQL, "owner_team": sales.pk})
    return [
        ("GET /slas/{id}/status/", f"/api/v1/slas/{sla.pk}/status/", 100),
        ("/api/v1/leads/ page 1", "/api/v1/leads/", 50),
        ("/api/v1/leads/ deep (middle of the list)", f"/api/v1/leads/?{urlencode({'cursor': api_cursor})}", 50),
        ("/api/v1/leads/?stage=&owner_team=", f"/api/v1/leads/?{filtered}", 50),
        ("/api/v1/leads/?q= rare term", f"/api/v1/leads/?{urlencode({'q': rare})}", 100),
        ("/leads/ page 1", "/leads/", 80),
        ("/leads/ deep page", f"/leads/?{urlencode({'after': html_cursor})}", 80),
        ("/leads/ filtered", f"/leads/?{filtered}", 80),
        ("/leads/ search", f"/leads/?{urlencode({'q': rare})}", 80),
        ("pipeline board", "/leads/board/", 150),
        ("dashboard", "/", 200),
    ]


def bench_http(port: int, quick: bool) -> None:
    cookie, user = session_cookie()
    base = f"http://127.0.0.1:{port}"
    pages = targets(user)
    counts = {path: queries_per_request(user, path) for _name, path, _goal in pages}
    gunicorn = start_gunicorn(port)
    try:
        rounds, per_round = (2, 2) if quick else (8, 5)
        plan_targets = [["reference", "/bench/constant/"]] + [[name, path] for name, path, _goal in pages]
        latencies = load(
            {
                "mode": "latency",
                "base": base,
                "cookie": cookie,
                "targets": plan_targets,
                "rounds": rounds,
                "per_round": per_round,
            }
        )
        reference = latencies["reference"]["ms"]
        ref_median, ref_p95 = statistics.median(reference), percentile(reference, 0.95)
        for name, path, goal in pages:
            result = latencies[name]
            if result["errors"]:
                report(name, f"errors {result['errors'][:3]}", "", None, f"p95 ≤ {goal} ms", False)
                continue
            median, p95 = statistics.median(result["ms"]), percentile(result["ms"], 0.95)
            report(
                name,
                f"p50 {median:.0f} / p95 {p95:.0f} ms ({counts[path]} q)",
                f"ceiling p50 {ref_median:.0f} / p95 {ref_p95:.0f}",
                median / ref_median,
                f"p95 ≤ {goal} ms",
                p95 <= goal,
                p50_ms=median,
                p95_ms=p95,
                queries=counts[path],
            )
        seconds = 3 if quick else 20
        status_path = pages[0][1]
        ceiling = load(
            {
                "mode": "throughput",
                "base": base,
                "cookie": cookie,
                "path": "/bench/constant/",
                "concurrency": 4,
                "seconds": seconds,
            }
        )
        status = load(
            {
                "mode": "throughput",
                "base": base,
                "cookie": cookie,
                "path": status_path,
                "concurrency": 4,
                "seconds": seconds,
            }
        )
        ratio = status["rps"] / ceiling["rps"] if ceiling["rps"] else None
        p99 = percentile(status["ms"], 0.99)
        report(
            "status under load (4 clients, 2 workers)",
            f"{status['rps']:.1f} req/s, p99 {p99:.0f} ms",
            f"constant JSON {ceiling['rps']:.1f} req/s",
            ratio,
            "≥ 0.5 × ceiling, p99 ≤ 100 ms",
            bool(ratio and ratio >= 0.5 and p99 <= 100 and not status["errors"]),
        )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (make bench-smoke)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "18410")))
    parser.add_argument(
        "--only", action="append", choices=["engine", "http", "jobs"], help="run only these parts (repeatable)"
    )
    args = parser.parse_args()
    parts = set(args.only or ["engine", "http", "jobs"])

    from leads.models import Lead, LeadEvent

    if connection.vendor != "postgresql":
        raise SystemExit("make bench runs on PostgreSQL: set DATABASE_URL.")
    leads = Lead.objects.count()
    if not leads:
        raise SystemExit("No leads: run `python manage.py bench_data --leads N` first.")
    from reporting import live

    live._bump()  # the bench data was COPYed in: no cached figure predates it
    print(f"{leads:,} leads, {LeadEvent.objects.count():,} events — PostgreSQL {connection.pg_version // 10000}")
    print(f"{'measurement':<44} {'figure':>26}  {'reference (same run)':>24}  {'ratio':>6}  {'goal':<28}")
    if "engine" in parts:
        bench_engine(3 if args.quick else 7)
    if "http" in parts:
        bench_http(args.port, args.quick)
    if "jobs" in parts:
        with transaction.atomic():
            from bench.jobs import bench_import, bench_scan

            bench_scan(report, quick=args.quick)
            bench_import(report, quick=args.quick)
            transaction.set_rollback(True)
        from bench.jobs import vacuum_after_jobs

        vacuum_after_jobs()
    missed = [row["name"] for row in ROWS if row["ok"] is False]
    out = ROOT / "var" / "bench-results.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"leads": leads, "rows": ROWS}, indent=2, default=str))
    print(f"\n{len(ROWS) - len(missed)} of {len(ROWS)} measurements meet their goal; results in {out}")
    if missed:
        print("not met: " + "; ".join(missed))


if __name__ == "__main__":
    main()
