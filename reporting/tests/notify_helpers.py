"""Shared builders for the notification tests (not a test module)."""

from __future__ import annotations

import datetime as dt
import socket

from leads.models import FollowUp, Lead
from reporting.models import MonthlyReport
from slas.models import SLA, Profile
from slas.tests.factories import make_sla


def active_sla(roles, **kwargs) -> SLA:
    return make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE, **kwargs)


def followup(
    sla: SLA, *, due_at: dt.datetime, owner_user=None, team=None, kind=FollowUp.Kind.FIRST_CONTACT
) -> FollowUp:
    team = team or sla.sales_team
    lead = Lead.objects.create(first_name="Ada", last_name="Lovelace", owner_team=team, owner_user=owner_user, sla=sla)
    return FollowUp.objects.create(
        lead=lead,
        sla=sla,
        kind=kind,
        starts_at=due_at - dt.timedelta(hours=4),
        due_at=due_at,
        owner_team=team,
        owner_user=owner_user,
    )


def set_profile(user, **fields) -> Profile:
    Profile.objects.update_or_create(user=user, defaults=fields)
    user.refresh_from_db()
    return Profile.objects.get(user=user)


def report_data(sla: SLA, month: str, *, prospects: int = 80, first_contact: float = 95.0) -> dict:
    return {
        "sla": sla.pk,
        "month": month,
        "state": "closed",
        "overall": {"met": 1, "evaluable": 2, "score": 50.0},
        "commitments": [
            {
                "key": "prospects_volume",
                "side": "marketing",
                "target": 100,
                "actual": prospects,
                "projected": prospects,
                "status": "met" if prospects >= 100 else "missed",
            },
            {
                "key": "first_contact",
                "side": "sales",
                "target": 90,
                "actual": first_contact,
                "projected": first_contact,
                "status": "met" if first_contact >= 90 else "missed",
            },
        ],
        "funnel": {},
    }


def make_report(sla: SLA, month: dt.date, **kwargs) -> MonthlyReport:
    return MonthlyReport.objects.create(
        sla=sla, month=month, data=report_data(sla, f"{month:%Y-%m}", **kwargs), engine_version="test"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    """An aiosmtpd handler that keeps every accepted message."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


class HoldingSinkHandler(SinkHandler):
    """Accepts every message with ``250``, then holds the first session that sends ``QUIT``.

    The client is then past the server's acceptance and waiting on the socket: the moment a test
    kills the sender from outside, as a crash right after the ``250`` would.
    """

    def __init__(self, hold_seconds: float = 60):
        super().__init__()
        import threading

        self.hold_seconds = hold_seconds
        self.holding = threading.Event()

    async def handle_QUIT(self, server, session, envelope):
        import asyncio

        if not self.holding.is_set():
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)
        return "221 Bye"


def start_sink(port: int, handler: SinkHandler | None = None):
    from aiosmtpd.controller import Controller

    handler = handler or SinkHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler
