"""``manage.py send_monthly_reports --month YYYY-MM``: the monthly run on demand, safe to repeat."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compute (if missing) and e-mail the monthly report of every SLA in force in a month, once per recipient."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")

    def handle(self, *args, month: str, **options):
        from reporting.notifications import monthly_report_get_or_compute, monthly_report_send, slas_in_force_during
        from slas.models import SLA

        try:
            first = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError as exc:
            raise CommandError("--month must look like 2026-10") from exc
        queued = 0
        slas = list(slas_in_force_during(SLA.objects.all(), first))
        for sla in slas:
            report = monthly_report_get_or_compute(sla=sla, month=first, task_name="manage.py send_monthly_reports")
            queued += monthly_report_send(report=report)
        self.stdout.write(f"{len(slas)} SLA(s), {queued} e-mail(s) queued for {first:%Y-%m}.")
