"""Big writes, set-based: rows inserted with PostgreSQL's COPY (psycopg 3).

``bulk_create`` prepares every field of every row through Django's compiler (most of its time
for a 5,000-row import) and sends one huge ``INSERT``; COPY streams the rows and PostgreSQL parses
them in bulk. The primary keys are taken from the table's sequence first (one query), so the
instances carry their ids and rows pointing to them (a lead's events) can follow in the same
transaction. Elsewhere (SQLite, the embedded run) it falls back to ``bulk_create``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, models


@contextmanager
def gc_paused():
    """Python's cyclic garbage collector held while a bulk job builds its rows.

    Building thousands of rows allocates enough objects to trigger full collections, each of
    which walks every object of the process (the whole of Django loaded): 65 ms of the 430 ms of
    CPU a 5,000-row CSV import took. None of those rows is cyclic garbage before the job ends;
    objects without cycles are still freed at once, and the collector runs again after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def copy_insert(
    model: type[models.Model], objs: Iterable[models.Model], count: int | None = None
) -> list[models.Model]:
    """Insert ``objs`` (new instances of ``model``, primary key ``id`` from a sequence) with COPY;
    each instance gets its primary key. Field defaults and ``auto_now`` values apply as in ``save``.

    ``objs`` may be a generator of ``count`` instances: each is made while PostgreSQL already
    stores the rows sent before it (the caller's Python and the server's work overlap). An
    exception raised by the generator aborts the COPY and propagates (the caller's transaction
    writes nothing). Returns the instances inserted.
    """
    if count is None:
        objs = list(objs)
        count = len(objs)
    if not count:
        return []
    if connection.vendor != "postgresql":
        objs = list(objs)
        model.objects.bulk_create(objs)
        return objs
    fields = list(model._meta.concrete_fields)
    ids = iter(_take_ids(model, count))
    # Only dates with auto_now(_add) compute their value on save; the rest is the attribute.
    computed = {f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    inserted = []

    def rows():
        for obj in objs:
            obj.pk = next(ids)
            obj._prepare_related_fields_for_save(operation_name="copy_insert")
            inserted.append(obj)
            yield [f.pre_save(obj, add=True) if f.attname in computed else getattr(obj, f.attname) for f in fields]

    _copy(model, fields, rows())
    if len(inserted) != count:
        raise ValueError(f"copy_insert: {len(inserted)} objects for {count} ids")
    for obj in inserted:
        obj._state.adding = False
        obj._state.db = connection.alias
    return inserted


def copy_values(model: type[models.Model], rows: Sequence[dict]) -> None:
    """Insert ``rows`` (``{field name: value}``, a related object or its id for a foreign key;
    missing fields take their defaults) with COPY: no model instance is built (a lead's events)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows])
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {f.name: f.get_default() for f in fields}
    relations = {f.name for f in fields if f.is_relation}

    def values():
        for row in rows:
            line = []
            for field in fields:
                value = row[field.name] if field.name in row else defaults.get(field.name)
                if field.name in relations and isinstance(value, models.Model):
                    value = value.pk
                line.append(value)
            yield line

    _copy(model, fields, values())


def _take_ids(model: type[models.Model], count: int) -> list[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _copy(model: type[models.Model], fields: list, rows) -> None:
    from psycopg.types.json import Jsonb

    json_positions = [n for n, f in enumerate(fields) if isinstance(f, models.JSONField)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    statement = f"COPY {table} ({columns}) FROM STDIN"  # names from the model  # nosec B608
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            for n in json_positions:
                if row[n] is not None:
                    row[n] = Jsonb(row[n])
            copy.write_row(row)
