"""Webhooks get an owner and Standard Webhooks secrets; tokens get an expiry and unique live names.

Existing subscriptions go to their creator, or else to the first superuser, or else to the
first user (who can then hand them over in the admin). An old free-form secret becomes
``whsec_`` + base64 of the same bytes, so the HMAC key a receiver holds stays the same.
Among several live tokens of one user with one name, the newest stays and the others are revoked.
"""

import base64

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def assign_owners_and_convert_secrets(apps, schema_editor):
    Subscription = apps.get_model("smarketing", "WebhookSubscription")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    fallback = (
        User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.order_by("pk").first()
    )
    for subscription in Subscription.objects.all():
        owner_id = subscription.created_by_id or (fallback.pk if fallback else None)
        if owner_id is None:
            # No user at all can own it: nobody could ever manage or see it.
            subscription.delete()
            continue
        subscription.owner_id = owner_id
        if not subscription.secret.startswith("whsec_"):
            subscription.secret = "whsec_" + base64.b64encode(subscription.secret.encode()).decode("ascii")
        subscription.save(update_fields=["owner", "secret"])


def revoke_duplicate_live_tokens(apps, schema_editor):
    Token = apps.get_model("smarketing", "ApiToken")
    seen = set()
    for token in Token.objects.filter(revoked_at__isnull=True).order_by("-created_at", "-pk"):
        key = (token.user_id, token.name)
        if key in seen:
            Token.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        seen.add(key)


class Migration(migrations.Migration):
    dependencies = [
        ("smarketing", "0002_api_tokens_and_webhooks"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="owner",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="webhook_subscriptions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AddField(
            model_name="webhooksubscription",
            name="previous_secret",
            field=models.CharField(blank=True, editable=False, max_length=128),
        ),
        migrations.AddField(
            model_name="webhooksubscription",
            name="previous_secret_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(assign_owners_and_convert_secrets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="owner",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="webhook_subscriptions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="owner",
            ),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="expires"),
        ),
        migrations.RunPython(revoke_duplicate_live_tokens, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="apitoken",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("user", "name"),
                name="api_token_one_live_per_name",
            ),
        ),
    ]
