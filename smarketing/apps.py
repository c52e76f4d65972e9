from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmarketingConfig(AppConfig):
    name = "smarketing"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.core.signals import got_request_exception
        from django.db.models.signals import pre_save

        from .errors import note_outage
        from .strict_text import refuse_numbers_for_text
        from .tokens import revoke_on_password_change

        refuse_numbers_for_text()
        pre_save.connect(revoke_on_password_change, sender=get_user_model(), dispatch_uid="smk-revoke-tokens")
        got_request_exception.connect(note_outage, dispatch_uid="smk-note-outage")
