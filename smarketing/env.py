"""Small typed helpers that read settings from environment variables.

Each helper returns a safe default for the embedded run (SQLite, no servers) and raises
``ImproperlyConfigured`` with the variable's name when a value cannot be parsed, so that a
typo in production fails at start-up instead of at the first request.
"""

from __future__ import annotations

import hashlib
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def installation_id(database: dict) -> str:
    """A short stable name for this installation: a digest of the database it writes to.

    Two installations sharing one Redis but not one database get different cache key prefixes
    (throttle counters, login lock-outs), without anyone having to configure one.
    """
    identity = "|".join(str(database.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    return "smk-" + hashlib.sha256(identity.encode()).hexdigest()[:12]
