"""One monthly report per (SLA series, month), second step: the series is required and unique per month.

Separate from 0004 so that PostgreSQL has applied 0004's row updates (and their deferred
foreign-key checks) before the table is altered.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reporting", "0004_monthly_report_fill_series")]

    operations = [
        migrations.AlterField(
            model_name="monthlyreport",
            name="series",
            field=models.UUIDField(db_index=True, help_text="The agreement: all versions of the SLA."),
        ),
        migrations.RemoveConstraint(model_name="monthlyreport", name="report_unique_sla_month"),
        migrations.AddConstraint(
            model_name="monthlyreport",
            constraint=models.UniqueConstraint(
                condition=models.Q(("replaced_by__isnull", True)),
                fields=("series", "month"),
                name="report_unique_series_month",
            ),
        ),
    ]
