"""Signals of the leads app."""

from django.dispatch import Signal

# Rows of ``sender`` (a model) were written by a bulk insert, which sends no ``post_save``
# (``leads.services.leads_create_many``): what caches them must drop its copies.
rows_bulk_created = Signal()
