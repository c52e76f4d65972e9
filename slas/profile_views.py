"""The profile page: preferences, private calendar feed and personal API tokens."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from smarketing.models import ApiToken
from smarketing.permissions import can_manage_webhooks
from smarketing.tokens import api_token_create, api_token_revoke
from smarketing.validators import time_zone_names

from .models import Profile
from .services import profile_update

TOKEN_LIFETIMES = [
    ("", _("Never expires")),
    ("7", _("7 days")),
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("1 year")),
]


class PreferencesForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=[(tz, tz) for tz in sorted(time_zone_names())])

    class Meta:
        model = Profile
        fields = ["language", "time_zone", "alert_mode"]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("E.g. “BI tool” or “website”."))
    lifetime = forms.TypedChoiceField(
        label=_("Expiry"), choices=TOKEN_LIFETIMES, coerce=int, empty_value=None, required=False
    )

    def expires_at(self):
        days = self.cleaned_data.get("lifetime")
        return timezone.now() + timedelta(days=days) if days else None


def _calendar_feed_url(request, profile: Profile) -> str | None:
    """The private iCalendar URL, when the calendar feed exists in this build."""
    for kwargs in ({"token": profile.calendar_token}, None):
        try:
            path = (
                reverse("calendar_feed", kwargs=kwargs)
                if kwargs
                else reverse("calendar_feed", args=[profile.calendar_token])
            )
        except NoReverseMatch:
            continue
        return request.build_absolute_uri(path)
    return None


@login_required
def profile(request):
    profile = Profile.for_user(request.user)
    preferences_form = PreferencesForm(instance=profile)
    token_form = TokenForm()
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "create_token":
            token_form = TokenForm(request.POST)
            if token_form.is_valid():
                try:
                    _token, new_key = api_token_create(
                        user=request.user, name=token_form.cleaned_data["name"], expires_at=token_form.expires_at()
                    )
                except ValidationError as error:
                    for field, errors in error.message_dict.items():
                        token_form.add_error(field if field in token_form.fields else None, errors)
                else:
                    token_form = TokenForm()
        else:
            preferences_form = PreferencesForm(request.POST, instance=profile)
            if preferences_form.is_valid():
                profile_update(user=request.user, by=request.user, **preferences_form.cleaned_data)
                messages.success(request, _("Preferences saved."))
                return redirect("profile")
    context = {
        "profile": profile,
        "preferences_form": preferences_form,
        "token_form": token_form,
        "new_key": new_key,
        "tokens": ApiToken.objects.filter(user=request.user),
        "now": timezone.now(),
        "calendar_feed_url": _calendar_feed_url(request, profile),
        "can_manage_webhooks": can_manage_webhooks(request.user),
    }
    return render(request, "account/profile.html", context)


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("profile")


def set_language(request):
    """The footer's language switch: Django's ``set_language`` (cookie, safe redirect), and for a
    signed-in user the choice is saved to the profile, so it holds at the next sign-in and in
    every browser and e-mail."""
    from django.conf import settings
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and language in dict(settings.LANGUAGES):
        profile = Profile.objects.filter(user=user).only("language").first()
        if profile is None or profile.language != language:
            profile_update(user=user, by=user, language=language)
    return response
