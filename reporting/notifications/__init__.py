"""Notifications: who is told what, once — and the delivery of those messages, exactly once.

One module per job:

- ``outbox``: writing notification rows and delivering them (claim, send, retry, relay);
- ``overdue``: alerting the owners of overdue follow-ups and escalating to their managers;
- ``at_risk``: alerting the managers of a commitment that turned at risk;
- ``digests``: the daily digest of the alerts a user chose to receive grouped;
- ``monthly``: which monthly reports are due, to whom, and queueing them.

The e-mails themselves are built in one place, ``reporting.emails``.
"""
