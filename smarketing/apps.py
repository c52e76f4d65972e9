from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmarketingConfig(AppConfig):
    name = "smarketing"
    verbose_name = _("Platform")
