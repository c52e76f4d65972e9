"""The readable difference between two versions of an SLA, section by section.

Built from each version's ``canonical_content()`` (what a signature vouches for), so the
comparison shows exactly the changes that make the fingerprints differ:
"First contact in time — business hours: 4 h → 3 h", "Target: 90 % → 95 %", added and
removed commitments, goals, rules, milestones and calendar changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import SLA, CommitmentKey, Function, MaturityCategory, Team, WorkingHours
from .wording import CATEGORIES, day, describe_commitment, number, target_text


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Row:
    """One clause: ``added`` or ``removed`` (``text`` says what), or ``changed`` (``changes``)."""

    kind: str
    subject: str = ""
    text: str = ""
    changes: list[Change] = field(default_factory=list)


@dataclass
class Section:
    key: str
    title: str
    rows: list[Row] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.rows)

    @property
    def count(self) -> int:
        """Changes in the section: each changed field, added or removed clause."""
        return sum(len(row.changes) if row.kind == "changed" else 1 for row in self.rows)


SECTION_TITLES = {
    "parties": gettext_lazy("Parties and roles"),
    "goals": gettext_lazy("Shared SMART goals"),
    "commitments": gettext_lazy("Commitments"),
    "maturity_rules": gettext_lazy("Maturity rules"),
    "milestones": gettext_lazy("Intervention calendar"),
    "calendar": gettext_lazy("Working calendar"),
}


def _changes(old: Mapping, new: Mapping, fields: list[tuple[str, str, Callable]]) -> list[Change]:
    changes = []
    for name, label, show in fields:
        before, after = show(old.get(name)), show(new.get(name))
        if before != after:
            changes.append(Change(str(label), before, after))
    return changes


def _text(value) -> str:
    return value if value not in (None, "") else "—"


def _hours(value) -> str:
    return "—" if value in (None, "") else _("%(hours)s h") % {"hours": number(value)}


def _matched(section: Section, old: list, new: list, key: Callable, subject: Callable, text: Callable, fields):
    """Rows of ``old`` and ``new`` paired by ``key``: removed, added, or changed field by field."""
    before = {key(item): item for item in old}
    after = {key(item): item for item in new}
    for name, item in before.items():
        if name not in after:
            section.rows.append(Row("removed", subject(item), text(item)))
    for name, item in after.items():
        if name not in before:
            section.rows.append(Row("added", subject(item), text(item)))
        else:
            changes = _changes(before[name], item, fields(item))
            if changes:
                section.rows.append(Row("changed", subject(item), changes=changes))


def compare_versions(left: SLA, right: SLA) -> list[Section]:
    """The sections of the SLA, each with its rows of changes from ``left`` to ``right``."""
    before, after = left.canonical_content(), right.canonical_content()
    team_ids = {before["marketing_team"], before["sales_team"], after["marketing_team"], after["sales_team"]}
    team_ids |= {m["owner_team"] for m in before["milestones"] + after["milestones"]}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    team = teams.get
    old_currency, new_currency = before["currency"], after["currency"]
    sections = {key: Section(key, str(title)) for key, title in SECTION_TITLES.items()}

    parties = _changes(
        before,
        after,
        [
            ("title", _("Title"), _text),
            ("marketing_team", _("Marketing team"), lambda pk: _text(team(pk))),
            ("sales_team", _("Sales team"), lambda pk: _text(team(pk))),
            ("start_date", _("Start date"), day),
            ("end_date", _("End date"), day),
            ("currency", _("Currency"), _text),
            ("escalation_delay_hours", _("Escalation delay (business hours)"), _hours),
            ("company_objectives", _("Company objectives"), _text),
            ("marketing_role", _("Marketing role and scope"), _text),
            ("sales_role", _("Sales role and scope"), _text),
        ],
    )
    if parties:
        sections["parties"].rows.append(Row("changed", changes=parties))

    _matched(
        sections["goals"],
        before["goals"],
        after["goals"],
        key=lambda goal: goal["specific"].strip().casefold(),
        subject=lambda goal: goal["specific"],
        text=lambda goal: (
            _("%(metric)s: %(target)s by %(deadline)s")
            % {"metric": goal["metric"], "target": number(goal["target"]), "deadline": day(goal["deadline"])}
        ),
        fields=lambda goal: [
            ("metric", _("Measurable metric"), _text),
            ("target", _("Target"), number),
            ("achievable", _("Achievable / realistic"), _text),
            ("deadline", _("Deadline"), day),
        ],
    )

    commitment_names = dict(CommitmentKey.choices)

    def commitment_fields(item):
        key = item["key"]
        fields = [
            ("target", _("Target"), lambda value: target_text(key, value, new_currency)),
            ("hours", _("Business hours"), _hours),
            ("attempts", _("Contact attempts"), lambda value: number(value) if value is not None else "—"),
            ("days", _("Business days"), lambda value: number(value) if value is not None else "—"),
        ]
        for category in CATEGORIES:
            fields.append((f"category_{category}", _("Category %(category)s") % {"category": category}, _hours))
        return fields

    def flat(items):
        """Category hours as fields of their own, so each changes on its own line."""
        rows = []
        for item in items:
            row = dict(item)
            for category in CATEGORIES:
                row[f"category_{category}"] = (item.get("category_hours") or {}).get(category)
            rows.append(row)
        return rows

    _matched(
        sections["commitments"],
        flat(before["commitments"]),
        flat(after["commitments"]),
        key=lambda item: item["key"],
        subject=lambda item: str(commitment_names.get(item["key"], item["key"])),
        text=lambda item: describe_commitment(item, new_currency if item in after["commitments"] else old_currency),
        fields=commitment_fields,
    )

    functions = dict(Function.choices)
    _matched(
        sections["maturity_rules"],
        before["maturity_rules"],
        after["maturity_rules"],
        key=lambda rule: rule["category"],
        subject=lambda rule: str(MaturityCategory(rule["category"]).label),
        text=lambda rule: _rule_text(rule, functions),
        fields=lambda rule: [
            ("owner_function", _("Owned by"), lambda value: str(functions.get(value, value))),
            ("response_hours", _("Response time"), _hours),
            ("sales_may_take", _("Sales may take it"), lambda value: _("yes") if value else _("no")),
            ("take_max_days", _("Longest temporary take (days)"), lambda value: number(value) if value else "—"),
        ],
    )

    _matched(
        sections["milestones"],
        before["milestones"],
        after["milestones"],
        key=lambda milestone: milestone["title"].strip().casefold(),
        subject=lambda milestone: milestone["title"],
        text=lambda milestone: _milestone_text(milestone, team),
        fields=lambda milestone: [
            ("due_date", _("Due date"), day),
            ("owner_team", _("Owner team"), lambda pk: _text(team(pk))),
            ("repeats_monthly", _("Every month"), lambda value: _("yes") if value else _("no")),
        ],
    )

    _calendar(sections["calendar"], before["calendar"] or {}, after["calendar"] or {})
    return list(sections.values())


def _rule_text(rule: Mapping, functions: Mapping) -> str:
    text = _("owned by %(owner)s, response within %(hours)s business hours") % {
        "owner": functions.get(rule["owner_function"], rule["owner_function"]),
        "hours": number(rule["response_hours"]),
    }
    if rule["sales_may_take"]:
        text += "; " + _("sales may take it for up to %(days)s days") % {"days": rule["take_max_days"]}
    return text


def _milestone_text(milestone: Mapping, team: Callable) -> str:
    text = f"{day(milestone['due_date'])} — {team(milestone['owner_team']) or '—'}"
    if milestone["repeats_monthly"]:
        text += " · " + _("every month")
    return text


def _weekly(calendar: Mapping) -> dict[int, str]:
    days: dict[int, list[str]] = {}
    for weekday, start, end in calendar.get("hours") or []:
        days.setdefault(weekday, []).append(f"{start[:5]}–{end[:5]}")
    return {weekday: ", ".join(intervals) for weekday, intervals in days.items()}


def _calendar(section: Section, old: Mapping, new: Mapping) -> None:
    changes = _changes(
        old,
        new,
        [
            ("time_zone", _("Time zone"), _text),
            ("country", _("Public holidays of"), _text),
            ("subdivision", _("Region"), _text),
        ],
    )
    weekdays = dict(WorkingHours._meta.get_field("weekday").choices)
    old_week, new_week = _weekly(old), _weekly(new)
    for weekday in sorted(set(old_week) | set(new_week)):
        before, after = old_week.get(weekday, _("closed")), new_week.get(weekday, _("closed"))
        if before != after:
            changes.append(Change(str(weekdays[weekday]), before, after))
    if changes:
        section.rows.append(Row("changed", changes=changes))
    old_closed, new_closed = set(old.get("closed_dates") or []), set(new.get("closed_dates") or [])
    for closed in sorted(old_closed - new_closed):
        section.rows.append(Row("removed", _("Closed date"), day(closed)))
    for closed in sorted(new_closed - old_closed):
        section.rows.append(Row("added", _("Closed date"), day(closed)))
