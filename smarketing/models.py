"""Platform-wide records shared by every app: worker liveness and background jobs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker said it was alive (see ``smarketing.celery``)."""

    hostname = models.CharField(max_length=255, unique=True, verbose_name=_("host name"))
    last_seen = models.DateTimeField(verbose_name=_("last seen"))

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def record(cls, hostname: str) -> None:
        cls.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})

    @classmethod
    def latest_seen(cls):
        return cls.objects.aggregate(latest=models.Max("last_seen"))["latest"]


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An admin sees every job; anyone else sees the jobs they started."""
        if user.is_active and user.is_superuser:
            return self
        return self.filter(created_by=user)


class Job(models.Model):
    """A unit of long-running background work whose progress a user can watch.

    Imports and report recomputations create one; the task updates ``done``/``total`` and
    the page (or ``GET /api/v1/jobs/{id}/``) polls it to draw a progress bar.
    """

    class Kind(models.TextChoices):
        LEAD_IMPORT = "lead_import", _("Lead import")
        REPORT_RECOMPUTE = "report_recompute", _("Report recomputation")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=32, choices=Kind.choices, verbose_name=_("kind"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, verbose_name=_("status"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("created by")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished"))
    total = models.PositiveIntegerField(default=0, verbose_name=_("items in total"))
    done = models.PositiveIntegerField(default=0, verbose_name=_("items done"))
    message = models.TextField(blank=True, verbose_name=_("message"))
    params = models.JSONField(default=dict, blank=True, verbose_name=_("parameters"))
    result = models.JSONField(default=dict, blank=True, verbose_name=_("result"))
    # Recovery (smarketing.jobs): a running job's worker renews its lease while it works; a queued
    # job not claimed by then is published again. Past it, the relay takes the job back.
    lease_until = models.DateTimeField(
        null=True,
        blank=True,
        verbose_name=_("lease until"),
        help_text=_("A running job's worker renews it; past it, the job is taken back."),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Tokens that authenticate now: not revoked, not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A personal REST API key. Only its SHA-256 hash is stored; the key is shown once.

    A token acts with exactly its user's permissions. ``prefix`` (the first characters of
    the key) lets the user recognise a token in the list without the secret. A user has at
    most one live (unrevoked) token of a given name; a token may expire; every token of a user
    is revoked when their password changes (``smarketing.tokens``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("key hash"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], condition=models.Q(revoked_at__isnull=True), name="api_token_one_live_per_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired()


class WebhookSubscriptionQuerySet(models.QuerySet):
    def manageable_by(self, user):
        """The subscriptions ``user`` may see and change: all for an admin, their own for a manager."""
        from .permissions import can_manage_webhooks, is_admin

        if is_admin(user):
            return self
        if can_manage_webhooks(user):
            return self.filter(owner=user)
        return self.none()


class WebhookSubscription(models.Model):
    """An outbound webhook: events matching ``events`` are POSTed, signed the Standard Webhooks way.

    ``secret`` (``whsec_`` + base64) is shown once, when created or rotated, and never again.
    After a rotation the previous secret keeps signing too until ``previous_secret_expires_at``,
    so a receiver can switch keys without missing a delivery.
    """

    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("secret"), max_length=128)
    previous_secret = models.CharField(max_length=128, blank=True, editable=False, verbose_name=_("previous secret"))
    previous_secret_expires_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("previous secret valid until")
    )
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
        verbose_name=_("owner"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))

    objects = WebhookSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.url

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets to sign with now: the current one, and the previous one during the overlap."""
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class WebhookDelivery(models.Model):
    """One event to deliver to one subscription, with its attempts (the delivery log)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("subscription")
    )
    event_id = models.UUIDField(db_index=True, verbose_name=_("event ID"))
    event_type = models.CharField(max_length=64, verbose_name=_("event type"))
    payload = models.JSONField(default=dict, verbose_name=_("payload"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, verbose_name=_("status"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(default=timezone.now, verbose_name=_("next attempt"))
    last_response_code = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("last response code"))
    last_error = models.TextField(blank=True, verbose_name=_("last error"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.get_status_display()})"
