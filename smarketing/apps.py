from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmarketingConfig(AppConfig):
    name = "smarketing"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_save

        from .tokens import revoke_on_password_change

        pre_save.connect(revoke_on_password_change, sender=get_user_model(), dispatch_uid="smk-revoke-tokens")
