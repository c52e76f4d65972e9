"""Trigram indexes for the lead search (PostgreSQL only).

The search filter (``LeadFilter.search``) is ``icontains`` on four columns, which PostgreSQL
runs as ``UPPER(col::text) LIKE UPPER('%term%')``: a GIN ``gin_trgm_ops`` index on exactly that
expression lets a rare term read a few index pages instead of every lead. SQLite (the embedded
run) has no trigram indexes and keeps the plain scan, which is fine at its size.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

SEARCH_COLUMNS = ("first_name", "last_name", "company", "email")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS leads_lead_{column}_trgm "
            f"ON leads_lead USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS leads_lead_{column}_trgm")


class TrigramExtensionOnPostgreSQL(TrigramExtension):
    """Django's ``CreateExtension`` skips other databases going forwards, but going backwards it
    asks ``pg_extension`` whatever the database: migrating back on SQLite failed."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_scale_indexes")]

    operations = [
        TrigramExtensionOnPostgreSQL(),
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
