"""Existing reports get their SLA's series. Where two versions of one series had a report for the
same month, the report of the newest version becomes the series report and the others are kept
(history is never deleted) with ``replaced_by`` pointing to it."""

from django.db import migrations


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
    dependencies = [("reporting", "0003_monthly_report_per_series")]

    operations = [migrations.RunPython(fill_series, migrations.RunPython.noop)]
