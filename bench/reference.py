"""Hand-written SQL for one SLA-month: the reference the compliance engine is measured against.

The same figures as ``reporting.compliance.compute`` reads (events, handoffs, follow-ups due,
overdue at the cutoff, time-to-first-contact percentiles), written by hand with the month's
bounds in every WHERE clause: what a careful engineer would run on this schema.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

EVENTS = """
SELECT count(*) FILTER (WHERE first_reach AND to_stage = 'prospect'),
       count(*) FILTER (WHERE first_reach AND to_stage = 'mql'),
       count(*) FILTER (WHERE first_reach AND to_stage = 'sql'),
       count(*) FILTER (WHERE first_reach AND to_stage = 'opportunity'),
       count(*) FILTER (WHERE first_reach AND to_stage = 'client'),
       sum(deal_value) FILTER (WHERE first_reach AND to_stage = 'client'),
       count(*) FILTER (WHERE kind = 'returned'),
       count(*) FILTER (WHERE kind = 'returned' AND (payload -> 'has_feedback') = 'true'::jsonb),
       count(*) FILTER (WHERE is_late_entry),
       count(*) FILTER (WHERE kind = 'lost')
FROM leads_leadevent
WHERE (sla_id = ANY(%(versions)s) OR (sla_id IS NULL AND team_id = %(team)s))
  AND occurred_at >= %(start)s AND occurred_at < %(cutoff)s
"""

HANDOFFS = """
SELECT count(*) FILTER (WHERE handed_off_at >= %(start)s AND handed_off_at < %(cutoff)s),
       count(*) FILTER (WHERE decided_at >= %(start)s AND decided_at < %(cutoff)s AND status = 'accepted'),
       count(*) FILTER (WHERE decided_at >= %(start)s AND decided_at < %(cutoff)s AND status = 'rejected'),
       count(*) FILTER (WHERE decision_due_at >= %(start)s AND decision_due_at < %(cutoff)s),
       count(*) FILTER (WHERE decision_due_at >= %(start)s AND decision_due_at < %(cutoff)s
                        AND decided_at <= decision_due_at)
FROM leads_handoff
WHERE sla_id = ANY(%(versions)s)
  AND ((handed_off_at >= %(start)s AND handed_off_at < %(cutoff)s)
    OR (decided_at >= %(start)s AND decided_at < %(cutoff)s)
    OR (decision_due_at >= %(start)s AND decision_due_at < %(cutoff)s))
"""

FOLLOWUPS = """
SELECT count(*) FILTER (WHERE kind = 'first_contact'),
       count(*) FILTER (WHERE kind = 'first_contact' AND done_on_time AND done_at <= due_at),
       count(*) FILTER (WHERE kind = 'contact_attempts'),
       count(*) FILTER (WHERE kind = 'contact_attempts' AND done_on_time AND done_at <= due_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY business_hours_taken)
           FILTER (WHERE kind = 'first_contact' AND business_hours_taken IS NOT NULL),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY business_hours_taken)
           FILTER (WHERE kind = 'first_contact' AND business_hours_taken IS NOT NULL)
FROM leads_followup
WHERE sla_id = ANY(%(versions)s) AND due_at >= %(start)s AND due_at < %(cutoff)s AND kind <> 'action_item'
  AND NOT (status = 'cancelled' AND (cancelled_at IS NULL OR cancelled_at <= due_at))
"""

OVERDUE = """
SELECT count(*) FROM leads_followup
WHERE sla_id = ANY(%(versions)s) AND due_at < %(cutoff)s
  AND kind <> 'action_item'
  AND NOT (status = 'cancelled' AND (cancelled_at IS NULL OR cancelled_at <= due_at))
  AND (status = 'open' OR (status = 'done' AND done_at > %(cutoff)s)
       OR (status = 'cancelled' AND cancelled_at > %(cutoff)s))
"""


def month_figures(versions: list[int], marketing_team: int, start: dt.datetime, cutoff: dt.datetime) -> list:
    """The month's raw figures, by hand (four queries)."""
    params = {"versions": versions, "team": marketing_team, "start": start, "cutoff": cutoff}
    rows = []
    with connection.cursor() as cursor:
        for sql in (EVENTS, HANDOFFS, FOLLOWUPS, OVERDUE):
            cursor.execute(sql, params)
            rows.append(cursor.fetchone())
    return rows
