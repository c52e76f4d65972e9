from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Membership, Profile, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "function", "created_at"]
    list_filter = ["function"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fk_name = "user"


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["is_viewer", "language", "time_zone", "alert_mode"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline, UserMembershipInline]
