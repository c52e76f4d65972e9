from __future__ import annotations

from django.core.management.base import BaseCommand

from smarketing.demo import logins_table, seed_all


class Command(BaseCommand):
    help = "Load the demo data set (teams, users of every role, SLA, leads). Idempotent."

    def handle(self, *args, **options):
        seed_all()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo logins:"))
        self.stdout.write(logins_table())
