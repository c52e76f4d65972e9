"""A realistic funnel history for the benchmark, written with COPY, following the services' rules.

Each lead's life is a *script* (``lead_scripts``): created as a prospect, perhaps an MQL, handed
off to sales under the pair's SLA, accepted or rejected, contacted (calls, e-mails, meetings),
then an opportunity, a client or lost — with realistic delays, over 24 months. Two writers play
the same scripts:

- ``write`` (the bench): emulates what ``leads.services`` would write for each step — the same
  events with ``first_reach``, handoffs with their decision due time in business hours, the
  follow-ups the SLA asks for (first contact per maturity category, K attempts in D business
  days), their completion (``done_on_time``, ``business_hours_taken``) and cancellation — and
  COPYs the rows in, a few minutes for a million leads;
- ``replay`` (the test at small N): calls the services themselves, at each step's time.

``bench/tests`` compares the compliance figures of both for every SLA and month: the bench's
figures are the ones the services would have produced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import random
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

# Three sales–marketing pairs, each with its own SLA (the issue's database has 3 SLAs).
PAIRS = 3
HISTORY_DAYS = 730
CHANNELS = ("seo", "ads", "event", "social", "partner", "email")
ACTIVITY_KINDS = ("call", "email", "meeting", "call", "email")
OUTCOMES = ("reached", "no_answer", "left_message", "reached")
FIRST_NAMES = ("Ada", "Louis", "Marie", "Jean", "Nora", "Paul", "Inès", "Hugo", "Léa", "Omar", "Zoé", "Yann")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent", "Simon", "Michel", "Garcia")
# Delays in hours (min, max) between steps.
TO_MQL = (1, 240)
TO_HANDOFF = (0.5, 72)
TO_DECISION = (0.2, 30)
TO_ACTIVITY = (0.5, 80)
BETWEEN_ACTIVITIES = (2, 48)
TO_OPPORTUNITY = (24, 480)
TO_OUTCOME = (120, 1440)
# A few activities are entered a day and more after they happened (late entries).
LATE_ENTRY_SHARE = 0.04
LATE_ENTRY_DELAY = dt.timedelta(hours=30)


@dataclasses.dataclass
class Step:
    """One service call of a lead's life: ``kind`` at ``when`` (recorded at ``recorded``)."""

    kind: str  # create, mql, handoff, accept, reject, activity, opportunity, client, lost
    when: dt.datetime
    recorded: dt.datetime
    params: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Script:
    number: int
    pair: int
    data: dict
    steps: list[Step]


@dataclasses.dataclass
class World:
    """The teams, the acting user and the SLA of each pair."""

    user: object
    marketing: list
    sales: list
    slas: list


def build_world(now: dt.datetime) -> World:
    """Teams, an admin acting for everyone (the services' rules, not the permission matrix, are
    what the bench exercises), and one active SLA per pair covering the whole history."""
    from slas.models import SLA, Function
    from slas.tests.factories import TeamFactory, UserFactory, make_sla

    user = UserFactory(username="bench", is_superuser=True, is_staff=True)
    marketing, sales, slas = [], [], []
    for pair in range(PAIRS):
        mkt = TeamFactory(name=f"Marketing {pair + 1}", function=Function.MARKETING)
        sls = TeamFactory(name=f"Sales {pair + 1}", function=Function.SALES)
        sla = make_sla(
            mkt,
            sls,
            start=(now - dt.timedelta(days=HISTORY_DAYS + 40)).date().replace(day=1),
            end=(now + dt.timedelta(days=400)).date(),
            status=SLA.Status.ACTIVE,
        )
        marketing.append(mkt)
        sales.append(sls)
        slas.append(sla)
    return World(user=user, marketing=marketing, sales=sales, slas=slas)


def _hours(rng: random.Random, bounds: tuple[float, float]) -> dt.timedelta:
    low, high = bounds
    # Skewed towards the short end: most things happen soon, a few take long.
    return dt.timedelta(hours=low + (high - low) * rng.random() ** 2)


def lead_scripts(count: int, *, now: dt.datetime, seed: int = 42, start: int = 0) -> Iterator[Script]:
    """The lives of leads ``start`` … ``start + count - 1`` (reproducible from ``seed``)."""
    limit = now - dt.timedelta(minutes=5)
    for number in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + number)  # benchmark data, not a secret  # nosec B311
        created = now - dt.timedelta(seconds=rng.randint(3600, HISTORY_DAYS * 86400))
        answers = {
            "budget_voted": rng.random() < 0.3,
            "team_formed": rng.random() < 0.5,
            "timing_defined": rng.random() < 0.5,
            "scope_defined": rng.random() < 0.4,
            "pain_identified": rng.random() < 0.7,
        }
        data = {
            "first_name": rng.choice(FIRST_NAMES),
            "last_name": f"{rng.choice(LAST_NAMES)}{number}",
            "email": f"lead{number}@bench{number % 97}.example",
            "company": f"Company {number % 20011}",
            "channel": rng.choice(CHANNELS),
            **answers,
        }
        life = _Life(rng, limit, [Step("create", created, created)], created)
        step = life.step
        script = Script(number=number, pair=number % PAIRS, data=data, steps=life.steps)
        if rng.random() >= 0.45 or not step("mql", _hours(rng, TO_MQL)):
            if rng.random() < 0.08:
                step("lost", _hours(rng, TO_OUTCOME), reason="No project")
            yield script
            continue
        if rng.random() >= 0.6 or not step("handoff", _hours(rng, TO_HANDOFF)):
            yield script
            continue
        if rng.random() >= 0.9:  # still waiting for a decision
            yield script
            continue
        if rng.random() >= 0.75:
            step("reject", _hours(rng, TO_DECISION), reason="Not qualified")
            yield script
            continue
        if not step("accept", _hours(rng, TO_DECISION)):
            yield script
            continue
        delay = _hours(rng, TO_ACTIVITY)
        for _ in range(rng.choice((0, 1, 1, 2, 3, 3, 4))):
            if not step("activity", delay, kind=rng.choice(ACTIVITY_KINDS), outcome=rng.choice(OUTCOMES)):
                break
            delay = _hours(rng, BETWEEN_ACTIVITIES)
        if rng.random() < 0.4 and step("opportunity", _hours(rng, TO_OPPORTUNITY)):
            if rng.random() < 0.45:
                step("client", _hours(rng, TO_OUTCOME), deal_value=Decimal(rng.randrange(1000, 90000, 500)))
            elif rng.random() < 0.5:
                step("lost", _hours(rng, TO_OUTCOME), reason="Went with a competitor")
        elif rng.random() < 0.15:
            step("lost", _hours(rng, TO_OUTCOME), reason="No budget")
        yield script


@dataclasses.dataclass
class _Life:
    """A script being written: each step comes after the previous one, and none in the future."""

    rng: random.Random
    limit: dt.datetime
    steps: list[Step]
    at: dt.datetime

    def step(self, step_kind: str, delay: dt.timedelta, **params) -> bool:
        when = self.at + delay
        recorded = when
        if step_kind == "activity" and self.rng.random() < LATE_ENTRY_SHARE:
            recorded = when + LATE_ENTRY_DELAY
        if recorded >= self.limit:
            return False
        self.at = when
        self.steps.append(Step(step_kind, when, recorded, params))
        return True


# --- replay through the services (the test's reference) ------------------------------------


def replay(world: World, scripts: Iterable[Script]) -> None:
    """Play each script through ``leads.services``, each step at its recorded time."""
    import time_machine

    from leads import services
    from leads.models import Stage

    for script in scripts:
        lead = None
        for step in script.steps:
            with time_machine.travel(step.recorded, tick=False):
                by = world.user
                at = step.when
                if step.kind == "create":
                    lead = services.lead_create(
                        data=script.data, team=world.marketing[script.pair], by=by, occurred_at=at
                    )
                elif step.kind == "mql":
                    lead = services.lead_transition(lead=lead, to=Stage.MQL, by=by, occurred_at=at)
                elif step.kind == "handoff":
                    services.lead_handoff(lead=lead, team=world.sales[script.pair], by=by, occurred_at=at)
                elif step.kind == "accept":
                    lead = services.lead_accept(lead=lead, by=by, occurred_at=at)
                elif step.kind == "reject":
                    lead = services.lead_reject(lead=lead, by=by, reason=step.params["reason"], occurred_at=at)
                elif step.kind == "activity":
                    services.activity_log(
                        lead=lead, kind=step.params["kind"], outcome=step.params["outcome"], by=by, occurred_at=at
                    )
                elif step.kind == "opportunity":
                    lead = services.lead_transition(lead=lead, to=Stage.OPPORTUNITY, by=by, occurred_at=at)
                elif step.kind == "client":
                    lead = services.lead_transition(
                        lead=lead, to=Stage.CLIENT, by=by, occurred_at=at, deal_value=step.params["deal_value"]
                    )
                elif step.kind == "lost":
                    lead = services.lead_transition(
                        lead=lead, to=Stage.LOST, by=by, occurred_at=at, reason=step.params["reason"]
                    )
                lead.refresh_from_db()


# --- the fast writer ---------------------------------------------------------------------


class _Ids:
    """Primary keys handed out in memory (the tables' sequences are moved past them at the end)."""

    def __init__(self, model):
        self.model = model
        self.next = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class _Emulator:
    """What the services write for each step, as model instances (never saved one by one)."""

    def __init__(self, world: World):
        from leads.services import decision_hours
        from slas.models import SLA, CommitmentKey

        self.world = world
        self.slas = [
            SLA.objects.prefetch_related(
                "commitments", "maturity_rules", "calendar__hours", "calendar__closed_dates"
            ).get(pk=sla.pk)
            for sla in world.slas
        ]
        self.decision_hours = decision_hours
        self.first_contact = [sla.commitment(CommitmentKey.FIRST_CONTACT) for sla in self.slas]
        self.attempts = [sla.commitment(CommitmentKey.CONTACT_ATTEMPTS) for sla in self.slas]
        from leads.models import Activity, FollowUp, Handoff, Lead, LeadEvent

        self.ids = {model: _Ids(model) for model in (Lead, LeadEvent, Handoff, FollowUp, Activity)}
        self.rows: dict = {model: [] for model in self.ids}

    def play(self, script: Script) -> None:
        from leads.models import Activity, FollowUp, Handoff, Lead, LeadEvent, Stage
        from slas.models import Function

        pair = script.pair
        sla = self.slas[pair]
        calendar = sla.business_calendar
        marketing, sales = self.world.marketing[pair], self.world.sales[pair]
        by = self.world.user
        lead = Lead(id=self.ids[Lead].take(), **script.data)
        reached: set[str] = set()
        open_followups: list[FollowUp] = []
        activities: list[Activity] = []
        handoff: Handoff | None = None

        def record(step: Step, kind: str, *, to_stage: str = "", **fields) -> LeadEvent:
            first = bool(to_stage) and to_stage not in reached
            if to_stage:
                reached.add(to_stage)
            event = LeadEvent(
                id=self.ids[LeadEvent].take(),
                lead_id=lead.id,
                kind=kind,
                actor=by,
                occurred_at=step.when,
                recorded_at=step.recorded,
                is_late_entry=LeadEvent.late(step.when, step.recorded),
                to_stage=to_stage,
                first_reach=first,
                **fields,
            )
            self.rows[LeadEvent].append(event)
            if lead.last_event_at is None or step.when > lead.last_event_at:
                lead.last_event_at = step.when
            lead.version += 1
            return event

        def close(followup: FollowUp, at: dt.datetime) -> None:
            followup.status = FollowUp.Status.DONE
            followup.done_at = at
            followup.done_on_time = at <= followup.due_at
            followup.business_hours_taken = calendar.business_hours_between(followup.starts_at, at)
            open_followups.remove(followup)

        def cancel_open(at: dt.datetime) -> None:
            for followup in list(open_followups):
                followup.status = FollowUp.Status.CANCELLED
                followup.cancelled_at = at
                open_followups.remove(followup)

        def follow_up(step: Step, **fields) -> FollowUp:
            followup = FollowUp(
                id=self.ids[FollowUp].take(),
                lead_id=lead.id,
                sla=sla,
                starts_at=step.when,
                created_at=step.recorded,
                **fields,
            )
            self.rows[FollowUp].append(followup)
            open_followups.append(followup)
            return followup

        def move(step: Step, to: str) -> str:
            from_stage = lead.stage
            lead.stage = to
            lead.stage_entered_at = step.when
            return from_stage

        for step in script.steps:
            if step.kind == "create":
                lead.owner_team = marketing
                lead.stage = Stage.PROSPECT
                lead.stage_entered_at = lead.created_at = step.when
                lead.updated_at = step.recorded
                lead.source = "manual"
                lead.created_by = by
                lead.maturity_category = lead.derived_category()
                record(step, "created", to_stage=Stage.PROSPECT, team=marketing, payload={"source": "manual"})
            elif step.kind == "mql":
                from_stage = move(step, Stage.MQL)
                record(
                    step, "stage_changed", to_stage=Stage.MQL, from_stage=from_stage, team=lead.owner_team, sla=lead.sla
                )
            elif step.kind == "handoff":
                hours = self.decision_hours(sla, lead.maturity_category)
                due = calendar.add_business_hours(step.when, hours)
                handoff = Handoff(
                    id=self.ids[Handoff].take(),
                    lead_id=lead.id,
                    from_team=lead.owner_team,
                    to_team=sales,
                    sla=sla,
                    handed_off_at=step.when,
                    handed_off_by=by,
                    decision_due_at=due,
                    maturity_category=lead.maturity_category,
                )
                self.rows[Handoff].append(handoff)
                lead.sla = sla
                record(step, "handed_off", from_stage=lead.stage, team=sales, sla=sla, payload={"handoff": handoff.id})
                follow_up(step, handoff=handoff, kind=FollowUp.Kind.HANDOFF_DECISION, due_at=due, owner_team=sales)
            elif step.kind in ("accept", "reject"):
                handoff.status = Handoff.Status.ACCEPTED if step.kind == "accept" else Handoff.Status.REJECTED
                handoff.decided_at = step.when
                handoff.decided_by = by
                handoff.reason = step.params.get("reason", "")
                for followup in [f for f in open_followups if f.kind == FollowUp.Kind.HANDOFF_DECISION]:
                    close(followup, step.when)
                if step.kind == "reject":
                    record(
                        step,
                        "rejected",
                        from_stage=lead.stage,
                        team=handoff.from_team,
                        sla=sla,
                        reason=handoff.reason,
                        payload={"handoff": handoff.id},
                    )
                    continue
                from_stage = move(step, Stage.SQL)
                lead.owner_team = sales
                lead.owner_user = None
                lead.return_team = handoff.from_team
                record(
                    step,
                    "accepted",
                    to_stage=Stage.SQL,
                    from_stage=from_stage,
                    team=sales,
                    owner_user=None,
                    sla=sla,
                    payload={"handoff": handoff.id},
                )
                common = {"handoff": handoff, "owner_team": sales, "owner_user": None}
                first_contact = self.first_contact[pair]
                hours = first_contact.hours_for_category(lead.maturity_category) if first_contact else None
                if hours:
                    follow_up(
                        step,
                        kind=FollowUp.Kind.FIRST_CONTACT,
                        due_at=calendar.add_business_hours(step.when, hours),
                        **common,
                    )
                attempts = self.attempts[pair]
                if attempts is not None and attempts.days and attempts.attempts:
                    follow_up(
                        step,
                        kind=FollowUp.Kind.CONTACT_ATTEMPTS,
                        due_at=calendar.add_business_days(step.when, attempts.days),
                        required_attempts=attempts.attempts,
                        **common,
                    )
            elif step.kind == "activity":
                side = lead.owner_team.function
                kind, outcome = step.params["kind"], step.params["outcome"]
                event = record(
                    step,
                    "activity",
                    team=lead.owner_team,
                    sla=lead.sla,
                    payload={"kind": kind, "outcome": outcome, "side": side},
                )
                activity = Activity(
                    id=self.ids[Activity].take(),
                    lead_id=lead.id,
                    event_id=event.id,
                    kind=kind,
                    outcome=outcome,
                    actor=by,
                    side=side,
                    occurred_at=step.when,
                    recorded_at=step.recorded,
                    is_late_entry=event.is_late_entry,
                )
                self.rows[Activity].append(activity)
                activities.append(activity)
                if activity.is_contact_attempt:
                    for followup in [
                        f
                        for f in open_followups
                        if f.kind in (FollowUp.Kind.FIRST_CONTACT, FollowUp.Kind.CONTACT_ATTEMPTS)
                    ]:
                        if followup.kind == FollowUp.Kind.FIRST_CONTACT:
                            close(followup, step.when)
                            continue
                        if step.when > followup.due_at:
                            continue
                        count = sum(
                            1
                            for a in activities
                            if a.side == Function.SALES
                            and a.kind in Activity.CONTACT_KINDS
                            and followup.starts_at <= a.occurred_at <= followup.due_at
                        )
                        if count >= (followup.required_attempts or 1):
                            close(followup, step.when)
            elif step.kind == "opportunity":
                from_stage = move(step, Stage.OPPORTUNITY)
                record(
                    step,
                    "stage_changed",
                    to_stage=Stage.OPPORTUNITY,
                    from_stage=from_stage,
                    team=lead.owner_team,
                    sla=lead.sla,
                )
                for followup in [f for f in open_followups if f.kind == FollowUp.Kind.CONTACT_ATTEMPTS]:
                    if step.when <= followup.due_at:
                        close(followup, step.when)
            elif step.kind == "client":
                lead.deal_value = step.params["deal_value"]
                from_stage = move(step, Stage.CLIENT)
                record(
                    step,
                    "stage_changed",
                    to_stage=Stage.CLIENT,
                    from_stage=from_stage,
                    team=lead.owner_team,
                    sla=lead.sla,
                    deal_value=lead.deal_value,
                )
                cancel_open(step.when)
            elif step.kind == "lost":
                from_stage = move(step, Stage.LOST)
                lead.lost_from_stage = from_stage
                lead.lost_reason = step.params["reason"]
                cancel_open(step.when)
                record(
                    step,
                    "lost",
                    to_stage=Stage.LOST,
                    from_stage=from_stage,
                    reason=lead.lost_reason,
                    team=lead.owner_team,
                )
            lead.updated_at = step.recorded
        self.rows[Lead].append(lead)

    def flush(self) -> dict:
        """COPY the rows gathered so far (parents first) and forget them."""
        from leads.models import Activity, FollowUp, Handoff, Lead, LeadEvent

        written = {}
        for model in (Lead, Handoff, LeadEvent, FollowUp, Activity):
            rows = self.rows[model]
            copy_rows(model, rows)
            written[model._meta.model_name] = len(rows)
            self.rows[model] = []
        return written

    def finish(self) -> None:
        """Move each table's id sequence past the ids handed out."""
        with connection.cursor() as cursor:
            for model in self.ids:
                table = model._meta.db_table
                quoted = connection.ops.quote_name(table)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST((SELECT MAX(id) FROM {quoted}), 1))",  # noqa: S608  # nosec B608 - a model's table
                    [table],
                )


def copy_rows(model, instances: list) -> None:
    """COPY model instances into their table (every concrete column, values prepared by Django)."""
    if not instances:
        return
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    statement = f"COPY {table} ({columns}) FROM STDIN"  # table and columns from the model's metadata
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for instance in instances:
            copy.write_row([f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields])


def write(world: World, scripts: Iterable[Script], *, batch: int = 5000, progress=None, fast: bool = False) -> dict:
    """Emulate and COPY the scripts in batches, in one transaction; returns the row counts.

    ``fast``: load as a bulk load (``bulk_load``) — for an empty bench database.
    """
    from leads.models import Activity, FollowUp, Handoff, Lead, LeadEvent

    emulator = _Emulator(world)
    totals: dict[str, int] = {}
    loading = bulk_load([Lead, Handoff, LeadEvent, FollowUp, Activity]) if fast else contextlib.nullcontext()
    with transaction.atomic(), loading:
        for count, script in enumerate(scripts, 1):
            emulator.play(script)
            if count % batch == 0:
                for name, n in emulator.flush().items():
                    totals[name] = totals.get(name, 0) + n
                if progress:
                    progress(count, totals)
        for name, n in emulator.flush().items():
            totals[name] = totals.get(name, 0) + n
        emulator.finish()
    return totals


@contextlib.contextmanager
def bulk_load(models):
    """A bulk load as PostgreSQL's manual advises: secondary indexes dropped during the COPY and
    rebuilt once after it, and foreign-key triggers off (the writer's rows are consistent by
    construction). Runs inside the caller's transaction: all or nothing."""
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")  # a name read from pg_index just above
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        for _name, definition in indexes:
            cursor.execute(definition)


def now_for_bench() -> dt.datetime:
    return timezone.now().replace(microsecond=0)
