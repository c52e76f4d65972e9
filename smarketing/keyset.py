"""Keyset pagination and estimated counts for HTML lists over big tables.

``OFFSET n`` reads and throws away n rows (2 s for a deep page of a million leads) and a page
count needs ``COUNT(*)`` of the whole filtered table on every request. A keyset page asks for
"the rows after this one in the list's order" (``WHERE (sort, id) < (value, pk)``), which an
index on the sort columns answers in the same time at any depth; the total is PostgreSQL's
planner estimate when it is large ("about 1,000,000"), an exact count when it is small (a
count that stops at ``EXACT_COUNT_BELOW`` rows tells which).

The cursor in the URL is the last (or first) row's sort value and primary key, base64 JSON:
anything that does not decode is ignored (the first page), never an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet

# Below this many rows the list counts exactly (cheap at that size, and exact matters).
EXACT_COUNT_BELOW = 1000


def estimated_count(queryset: QuerySet) -> tuple[int, bool]:
    """``(count, exact)``: the exact count of a small result (counting stops after
    ``EXACT_COUNT_BELOW`` rows), PostgreSQL's planner estimate of a big one."""
    queryset = queryset.order_by()
    exact = queryset.values("pk")[:EXACT_COUNT_BELOW].count()
    if exact < EXACT_COUNT_BELOW or connection.vendor != "postgresql":
        return (exact, True) if exact < EXACT_COUNT_BELOW else (queryset.count(), True)
    plan = json.loads(queryset.explain(format="json"))
    return max(int(plan[0]["Plan"]["Plan Rows"]), EXACT_COUNT_BELOW), False


def branches_in_one_query() -> bool:
    """Whether ``rows_of_branches`` reads its branches in one ``UNION ALL`` (PostgreSQL) or one
    query per branch (SQLite, which refuses a ``LIMIT`` inside a compound statement)."""
    return connection.features.supports_slicing_ordering_in_compound


def extra_branch_queries(branches: int) -> int:
    """The queries ``rows_of_branches`` adds for ``branches`` branches beyond the one UNION."""
    return 0 if branches_in_one_query() else branches - 1


def rows_of_branches(branches: list[QuerySet]) -> list:
    """The rows of several ``ORDER BY … LIMIT`` querysets of one model, in one query where the
    database allows it.

    Each branch reads at most its limit from its own index (a board column's newest cards, the
    follow-ups of one owner); PostgreSQL runs them as one ``UNION ALL`` of parenthesised
    branches. SQLite refuses a ``LIMIT`` inside a compound statement (``make run``'s database,
    small by nature), so there each branch is its own query. Branch order is kept; callers sort.
    """
    if len(branches) == 1 or not branches_in_one_query():
        return [row for branch in branches for row in branch]
    return list(branches[0].union(*branches[1:], all=True))


def _encode(value) -> str:
    if isinstance(value, dt.datetime):
        value = {"dt": value.isoformat()}
    return value


def _decode(value):
    if isinstance(value, dict) and "dt" in value:
        return dt.datetime.fromisoformat(value["dt"])
    return value


def encode_cursor(values: list) -> str:
    raw = json.dumps([_encode(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str | None, size: int) -> list | None:
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = [_decode(v) for v in json.loads(raw)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != size:
        return None
    return values


@dataclass
class KeysetPage:
    """One page of a keyset-paginated list, shaped for the templates."""

    object_list: list
    next_cursor: str | None
    previous_cursor: str | None
    count: int
    count_exact: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def keyset_after(ordering: list[str], values: list) -> Q:
    """Rows strictly after ``values`` in ``ordering`` (``-field`` descending): the keyset condition."""
    condition = Q()
    equal = Q()
    for field, value in zip(ordering, values, strict=True):
        name = field.lstrip("-")
        lookup = "lt" if field.startswith("-") else "gt"
        condition |= equal & Q(**{f"{name}__{lookup}": value})
        equal &= Q(**{name: value})
    # The same condition, plus the first field's inclusive bound on its own: an index on the sort
    # columns starts its range scan there (an OR alone made PostgreSQL read from the top: 4.5 s
    # for a deep page of a million leads).
    first = ordering[0].lstrip("-")
    bound = "lte" if ordering[0].startswith("-") else "gte"
    return Q(**{f"{first}__{bound}": values[0]}) & condition


def _reverse(ordering: list[str]) -> list[str]:
    return [field[1:] if field.startswith("-") else f"-{field}" for field in ordering]


def _values(row, ordering: list[str]) -> list:
    values = []
    for field in ordering:
        value = row
        for part in field.lstrip("-").split("__"):
            value = getattr(value, part)
        values.append(value)
    return values


def keyset_page(
    queryset: QuerySet, ordering: list[str], size: int, *, after: str | None = None, before: str | None = None
) -> KeysetPage:
    """The page after cursor ``after`` (or before ``before``; else the first) of ``queryset`` in
    ``ordering``, whose last field must be unique (the primary key). Fields must not be null."""
    count, exact = estimated_count(queryset)
    before_values = decode_cursor(before, len(ordering))
    after_values = None if before_values else decode_cursor(after, len(ordering))
    if before_values:
        rows = list(
            queryset.filter(keyset_after(_reverse(ordering), before_values)).order_by(*_reverse(ordering))[: size + 1]
        )
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        has_previous, has_next = more_before, True
    else:
        filtered = queryset.filter(keyset_after(ordering, after_values)) if after_values else queryset
        rows = list(filtered.order_by(*ordering)[: size + 1])
        has_next = len(rows) > size
        rows = rows[:size]
        has_previous = after_values is not None
    return KeysetPage(
        object_list=rows,
        next_cursor=encode_cursor(_values(rows[-1], ordering)) if rows and has_next else None,
        previous_cursor=encode_cursor(_values(rows[0], ordering)) if rows and has_previous else None,
        count=count,
        count_exact=exact,
    )
