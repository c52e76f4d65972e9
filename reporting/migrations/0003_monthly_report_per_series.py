"""One monthly report per (SLA series, month): the agreement is the series (SPEC §3).

Existing reports get their SLA's series. Where two versions of one series had a report for
the same month, the report of the newest version becomes the series report and the others are
kept (history is never deleted) with ``replaced_by`` pointing to it.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_series(apps, schema_editor):
    MonthlyReport = apps.get_model("reporting", "MonthlyReport")
    for report in MonthlyReport.objects.select_related("sla").order_by("pk"):
        MonthlyReport.objects.filter(pk=report.pk).update(series=report.sla.series)
    kept: dict = {}
    for report in MonthlyReport.objects.select_related("sla").order_by("series", "month", "-sla__version", "-pk"):
        key = (report.series, report.month)
        if key in kept:
            MonthlyReport.objects.filter(pk=report.pk).update(replaced_by=kept[key])
        else:
            kept[key] = report.pk


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
        migrations.RunPython(fill_series, migrations.RunPython.noop),
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
