"""Personal API tokens: creation (the key is returned once), lookup by hash, expiry, revocation.

A user has at most one live token of a given name. Every token of a user is revoked when their
password changes (change, reset, admin, ``changepassword``): :func:`revoke_on_password_change`
runs on each save of a user whose password hash changed.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken

KEY_PREFIX = "smk_"
# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough for "last used" and keeps API reads cheap.
LAST_USED_PRECISION = timedelta(minutes=1)
MAX_LIFETIME = timedelta(days=3650)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(
    *, user, name: str, expires_at: datetime | None = None, replace: bool = False
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with the clear key, which is never stored.

    A live token of the same name is an error, or is revoked first with ``replace=True`` (the
    token endpoint: a script asking again for "its" token gets a new key, the old one stops).
    """
    name = (name or "API token").strip()[:100] or "API token"
    now = timezone.now()
    if expires_at is not None and not now < expires_at <= now + MAX_LIFETIME:
        raise ValidationError({"expires_at": [_("The expiry must be in the future, within ten years.")]})
    live = list(ApiToken.objects.select_for_update().filter(user=user, name=name, revoked_at__isnull=True))
    if live and not replace:
        raise ValidationError({"name": [_("You already have a token with this name: revoke it or pick another name.")]})
    _revoke(live, now)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:12], key_hash=hash_key(key), expires_at=expires_at, created_at=now
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by) -> ApiToken:
    """Revoke a token (its owner or an admin); idempotent."""
    from .permissions import is_admin

    if token.user_id != getattr(by, "pk", None) and not is_admin(by):
        raise PermissionDenied(_("You may revoke only your own tokens."))
    _revoke(ApiToken.objects.select_for_update().filter(pk=token.pk, revoked_at__isnull=True), timezone.now())
    token.refresh_from_db()
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user) -> int:
    """Revoke every live token of ``user`` (their password changed); returns how many."""
    return _revoke(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True), timezone.now())


def _revoke(tokens, now) -> int:
    """Row by row, not one UPDATE: each revocation reaches the audit log (model signals)."""
    count = 0
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        count += 1
    return count


def revoke_on_password_change(sender, instance, update_fields=None, **kwargs) -> None:
    """``pre_save`` of the user model: a new password hash revokes all of the user's tokens.

    Sessions need nothing: Django invalidates every other session of a user whose password
    changed (the session carries a hash of it), and keeps the one that made the change.
    """
    if instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = type(instance).objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        api_tokens_revoke_all(user=instance)


def token_for_key(key: str) -> ApiToken | None:
    """The usable (not revoked, not expired) token for a clear key, marking it used (once a minute)."""
    now = timezone.now()
    token = ApiToken.objects.usable(now).select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
