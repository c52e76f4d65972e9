"""One monthly report per (SLA series, month): the agreement is the series (SPEC §3).

Three steps, each its own transaction (PostgreSQL refuses to alter or index a table with row
updates pending their deferred foreign-key checks): 0003 adds the columns, 0004 fills them,
0005 makes the series required and unique per month.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0002_notifications_claim_overdue_alert_watermark"),
        ("slas", "0002_series_in_force_bounds_lifecycle"),
    ]

    operations = [
        migrations.AddField(
            model_name="monthlyreport",
            name="series",
            field=models.UUIDField(db_index=True, null=True, help_text="The agreement: all versions of the SLA."),
        ),
        migrations.AddField(
            model_name="monthlyreport",
            name="replaced_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="reporting.monthlyreport",
            ),
        ),
    ]
