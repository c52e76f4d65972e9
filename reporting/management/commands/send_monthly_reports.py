"""``manage.py send_monthly_reports --month YYYY-MM``: the monthly run on demand, safe to repeat."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Compute (if missing) and e-mail the monthly report of every SLA series in force in a month, "
        "once per recipient."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, month: str, **options):
        from reporting.notifications.monthly import monthly_report_get_or_compute, monthly_report_send
        from slas.clock import Month
        from slas.models import SLA

        try:
            first = Month.parse(month)
        except ValueError as exc:
            raise CommandError("--month must look like 2026-10") from exc
        queued = 0
        series = {}
        for sla in SLA.objects.in_force_during(first).select_related("calendar").order_by("series", "-version"):
            series.setdefault(sla.series, sla)
        for sla in series.values():
            report = monthly_report_get_or_compute(
                sla=sla, month=first.first_day, task_name="manage.py send_monthly_reports"
            )
            queued += monthly_report_send(report=report)
        self.stdout.write(f"{len(series)} SLA(s), {queued} e-mail(s) queued for {first}.")
