"""Admin for reviews: read-only. Reviews change only through ``reviews.services`` (the pages and the
API), so that every write is checked against the review's state and permissions, invitations and
minutes are queued, and the closed minutes never change."""

from __future__ import annotations

from django.contrib import admin

from leads.admin import ReadOnlyAdmin, ReadOnlyInline

from . import permissions
from .models import ActionItem, AgendaPoint, Decision, Note, Participant, Review


class ReviewsReadOnlyAdmin(ReadOnlyAdmin):
    """Staff read reviews here (``reviews.permissions``); nobody writes here."""

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and permissions.can_read_review(request.user, obj)


class ParticipantInline(ReadOnlyInline):
    model = Participant
    fields = ["user", "added_by", "added_at"]
    readonly_fields = fields


class PointInline(ReadOnlyInline):
    model = AgendaPoint
    fields = ["author", "text", "created_at"]
    readonly_fields = fields


class NoteInline(ReadOnlyInline):
    model = Note
    fields = ["item", "author", "text", "created_at"]
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = ["item", "text", "author", "proposal", "commitment_key", "category", "proposed_value", "amendment"]
    readonly_fields = fields


class ActionItemInline(ReadOnlyInline):
    model = ActionItem
    fields = ["title", "owner", "due_date", "lead", "commitment_key", "followup"]
    readonly_fields = fields


@admin.register(Review)
class ReviewAdmin(ReviewsReadOnlyAdmin):
    list_display = ["__str__", "month", "kind", "status", "scheduled_at", "closed_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["sla"]
    date_hierarchy = "month"
    readonly_fields = ["series", "ends_at", "sequence", "status", "closed_at", "closed_by", "minutes"]
    inlines = [ParticipantInline, PointInline, NoteInline, DecisionInline, ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(ReviewsReadOnlyAdmin):
    list_display = ["title", "owner", "due_date", "review", "lead", "commitment_key"]
    list_select_related = ["owner", "review__sla", "lead"]
    search_fields = ["title"]
