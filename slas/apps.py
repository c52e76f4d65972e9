from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = _("SLAs and teams")

    def ready(self) -> None:
        from smarketing import hooks

        from .permissions import is_any_manager

        # The platform (webhooks) asks "is this user a manager?" without knowing teams.
        hooks.register("user.is_manager", is_any_manager)
