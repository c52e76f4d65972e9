"""Settings for the test suite: the real ones, plus what only tests want."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")


def _redis_url_for_xdist_worker(url: str, worker: str) -> str:
    """Under pytest-xdist each worker (gw0, gw1, …) gets the Redis database after the base one,
    as pytest-django gives it its own test database: broker queues, results and cache keys of
    two workers never meet. Real workers started by the tests inherit it through the
    environment."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{(base + 1 + index) % 16}"))


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["REDIS_URL"] = _redis_url_for_xdist_worker(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])

from .settings import *  # noqa: F403, E402 - the environment above must be set first
from .settings import CACHE_KEY_PREFIX, REDIS_URL, REST_FRAMEWORK, VAR_DIR  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process unless a test starts a real worker (see conftest's celery_worker).
CELERY_TASK_ALWAYS_EAGER = True
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# With REDIS_URL (CI) the real Redis cache of the settings (its installation's key prefix), so that
# tests see what an outage does; the conftest clears it (its own keys, not the broker's) around every
# test. Without it, memory.
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "100000/hour",
        "anon": "100000/hour",
    },
}
AXES_ENABLED = True
MEDIA_ROOT = VAR_DIR / "test-media"
