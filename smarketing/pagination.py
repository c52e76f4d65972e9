"""One pagination style for every list of the API: cursors (docs/api.md, "Pagination").

A list answers ``{"next": url|null, "previous": url|null, "results": [...]}``; follow ``next``
until it is null. ``page_size`` (1–200, default 50) is checked: anything else is a 400, as is a
cursor that was not given by the API. Cursors stay correct while rows are added (no row is
skipped or shown twice, unlike page numbers), and no list counts its whole table per request.

The lists that were paged by number before cursors came (teams, users, SLAs, follow-ups,
reports, notifications, reviews, webhooks, tokens, deliveries) keep their ``count`` field
(:class:`CountedCursorPagination`, the default); the lead, history and activity lists never had
one and never will (they are the big ones).

The order of a list is its view's ``cursor_ordering``, else its model's ``Meta.ordering``, else
newest first (``-pk``); its first field positions the cursor.
"""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

MAX_PAGE_SIZE = 200
BAD_CURSOR = _("Use the cursor of a “next” or “previous” link.")


class CursorPagination(pagination.CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_query_description = format_lazy(
        _("How many results per page: 1 to {maximum} (default 50)."), maximum=MAX_PAGE_SIZE
    )
    cursor_query_description = _("The position in the list: only a value taken from a `next` or `previous` link.")
    ordering: tuple[str, ...] | None = None

    def get_ordering(self, request, queryset, view):
        ordering = self.ordering or getattr(view, "cursor_ordering", None)
        if not ordering:
            model_ordering = [field for field in queryset.model._meta.ordering if "__" not in str(field)]
            ordering = tuple(model_ordering) or ("-pk",)
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def decode_cursor(self, request):
        if request.query_params.get(self.cursor_query_param) == "":
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]})
        try:
            return super().decode_cursor(request)
        except pagination.NotFound:
            raise ValidationError({self.cursor_query_param: [BAD_CURSOR]}) from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": 50}
        return parameters

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["required"] = ["next", "previous", "results"]
        return result


class CountedCursorPagination(CursorPagination):
    """Cursors, plus the ``count`` of matching rows that these lists always had."""

    def paginate_queryset(self, queryset, request, view=None):
        self.count = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        return Response(
            {"count": self.count, "next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"] = {
            "count": {"type": "integer", "description": _("How many rows match (all pages).")},
            **result["properties"],
        }
        result["required"] = ["count", *result["required"]]
        return result


class EstimatedCountCursorPagination(CountedCursorPagination):
    """:class:`CountedCursorPagination` for a big table: ``count`` is exact up to 1,000 rows, then
    PostgreSQL's planner estimate (``smarketing.keyset.estimated_count``), never a ``COUNT(*)`` of
    the whole table on every page."""

    def paginate_queryset(self, queryset, request, view=None):
        from .keyset import estimated_count

        self.count = estimated_count(queryset)[0]
        return pagination.CursorPagination.paginate_queryset(self, queryset, request, view)
