"""Redis and PostgreSQL outages under API and page load (the CI subset: a few seconds each).

Each scenario breaks a server of the chaos stack from outside and counts what the clients saw.
They run as one test: under pytest-xdist one process then owns the stack's ports.
"""

from __future__ import annotations

import time
import uuid

from .harness import Load, report, request, wait_for


def _handoff(stack, tag: str, index: int):
    """A lead created as MQL then handed to sales: two writes; the second queues a webhook and alerts."""
    base = stack.web.base
    email = f"{tag}-{index}@example.com"
    created = request(
        base,
        "POST",
        "/api/v1/leads/",
        token=stack.token,
        data={"email": email, "first_name": "Chaos", "stage": "mql", "team": stack.team},
    )
    if created.status != 201:
        return created, None, email
    lead = created.body["id"]
    handed = request(base, "POST", f"/api/v1/leads/{lead}/handoff/", token=stack.token, data={"team": stack.sales})
    return created, handed, email


def _server_errors(answers) -> list:
    return [a for a in answers if a.status >= 500]


def _redis_down_the_api_and_pages_serve_and_writes_commit(stack):
    """Redis stopped: reads, writes and pages answer (throttles fail open); no request waits on the broker;
    the handoffs' webhook deliveries wait in the outbox."""
    base, tag = stack.web.base, f"redis-{uuid.uuid4().hex[:6]}"
    for _warm_up in range(4):  # each gunicorn worker has its templates and connections ready
        assert request(base, "GET", "/api/v1/leads/", token=stack.token).status == 200
        assert request(base, "GET", "/accounts/login/").status == 200
    stack.redis.stop()
    try:
        answers, handoffs, emails = [], [], []
        for index in range(8):
            created, handed, email = _handoff(stack, tag, index)
            answers.append(created)
            emails.append(email)
            if handed is not None:
                answers.append(handed)
                handoffs.append(handed)
            answers.append(request(base, "GET", "/api/v1/leads/?page_size=5", token=stack.token))
            answers.append(request(base, "GET", "/accounts/login/"))
        health = request(base, "GET", "/healthz")
    finally:
        stack.redis.start()
    errors = _server_errors(answers)
    committed = int(stack.sql(f"SELECT count(*) FROM leads_lead WHERE email LIKE '{tag}-%'"))  # noqa: S608
    outbox = int(
        stack.sql(
            "SELECT count(*) FROM smarketing_webhookdelivery d"  # noqa: S608 - tag is ours
            " JOIN leads_lead l ON (d.payload->'data'->>'lead')::int = l.id"
            f" WHERE l.email LIKE '{tag}-%' AND d.status = 'pending'"
        )
    )
    slowest = max(a.seconds for a in handoffs)
    report(
        fault="Redis down",
        load=f"{len(answers)} API reads/writes and pages",
        expected=len(emails),
        delivered=committed,
        duplicates=0,
        lost=len(emails) - committed,
        errors=len(errors),
        outbox_pending=outbox,
        slowest_handoff=f"{slowest:.2f}s",
        slowest_request=f"{max(a.seconds for a in answers):.2f}s",
    )
    assert not errors, [(a.kind, a.status, a.body) for a in errors]
    assert all(a.status in {200, 201} for a in answers), [(a.kind, a.status) for a in answers if a.status >= 300]
    assert committed == len(emails) == len(handoffs)
    assert outbox == len(handoffs), "every handoff's webhook delivery waits in the outbox"
    assert slowest < 1.0, f"a handoff (two publishes) waited {slowest:.2f} s"
    assert health.status == 503 and "broker" in health.body["failing"]
    # Back: the same client is served as before.
    assert request(base, "GET", "/api/v1/leads/", token=stack.token).status == 200


def _postgres_restart_under_writes_answers_503_then_serves(stack):
    """PostgreSQL stopped and started under API writes: 503 with Retry-After while it is away, never a
    500, every acknowledged write kept, and the first requests after it is back succeed."""
    base, tag = stack.web.base, f"pg-{uuid.uuid4().hex[:6]}"

    def write(index: int):
        return request(
            base,
            "POST",
            "/api/v1/leads/",
            token=stack.token,
            data={"email": f"{tag}-{index}@example.com", "first_name": "Chaos", "team": stack.team},
        )

    load = Load(write, threads=3, pause=0.05).start()
    wait_for(lambda: len(load.answers) >= 10, 30, what="writes before the fault")
    stack.pg.stop()
    down_at = time.monotonic()
    # A public page that reads the database (a capture form, looked up by its slug).
    page = request(base, "GET", "/capture/chaos-form/")
    # The 503 page's language switcher is a plain link: it works with the database away.
    page_fr = request(base, "GET", "/capture/chaos-form/?language=fr")
    api = request(base, "GET", "/api/v1/leads/", token=stack.token)
    time.sleep(1.5)
    stack.pg.start()
    up_at = time.monotonic()
    # The first requests after the restart: each gunicorn worker's stale connection is replaced.
    after = [request(base, "GET", "/api/v1/leads/?page_size=5", token=stack.token) for _ in range(8)]
    time.sleep(1)
    answers = load.stop()
    acknowledged = [a.body["email"] for a in answers if a.status == 201]
    stored = set(stack.sql(f"SELECT email FROM leads_lead WHERE email LIKE '{tag}-%'").split())  # noqa: S608
    kept = len(stored)
    lost = [email for email in acknowledged if email not in stored]
    errors = _server_errors([*answers, page, page_fr, api, *after])
    outside = [a for a in errors if a.status != 503 or not (down_at - 1 <= a.at <= up_at + 1)]
    report(
        fault="PostgreSQL restarted",
        load=f"{len(answers)} API writes (3 clients), reads after",
        expected=len(acknowledged),
        delivered=kept,
        duplicates=0,
        lost=len(lost),
        errors=len(errors),
        errors_outside_window=len(outside),
        non_503=sum(1 for a in errors if a.status != 503),
    )
    assert page.status == 503 and "text/html" in page.headers.get("Content-Type", "")
    assert b"Briefly unavailable" in page.body
    assert page_fr.status == 503 and "Brièvement indisponible".encode() in page_fr.body
    assert "django_language=fr" in page_fr.headers.get("Set-Cookie", "")
    assert b'href="/capture/chaos-form/?language=en"' in page_fr.body
    # The API's one error shape (docs/api.md): a detail and no field errors.
    assert api.status == 503 and api.body["detail"] and api.body.get("errors", {}) == {}
    assert api.headers.get("Retry-After", "").isdigit()
    assert not outside, [(a.kind, a.status, a.body) for a in outside]
    assert [a.status for a in after] == [200] * len(after)
    assert not lost
    assert kept >= len(acknowledged)


def test_redis_down_then_postgres_restarted(stack):
    _redis_down_the_api_and_pages_serve_and_writes_commit(stack)
    stack.heal()
    _postgres_restart_under_writes_answers_503_then_serves(stack)
