"""The audit log is append-only in the database itself (PostgreSQL): UPDATE and DELETE refused.

One exception: deleting a user sets ``actor_id`` to NULL on their entries (the foreign key's
SET NULL), and nothing else may change. SQLite, the embedded single-user run, relies on the
read-only admin.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION smk_audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS smk_audit_log_append_only ON auditlog_logentry;
CREATE TRIGGER smk_audit_log_append_only BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION smk_audit_log_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS smk_audit_log_append_only ON auditlog_logentry;
DROP FUNCTION IF EXISTS smk_audit_log_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE)


class Migration(migrations.Migration):
    dependencies = [
        ("smarketing", "0003_webhook_owner_rotation_token_expiry"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
