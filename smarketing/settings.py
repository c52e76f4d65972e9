"""smarketing settings, read from environment variables.

Defaults give the embedded run (SQLite, a file-system Celery broker, console e-mail) that
`make run` needs on a fresh machine; production sets the variables listed in the README.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from redis.backoff import NoBackoff
from redis.retry import Retry
from whitenoise.compress import Compressor as WhiteNoiseCompressor

from .env import env_bool, env_int, env_list, env_str, installation_id

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SMARKETING_VAR_DIR", str(BASE_DIR / "var")))
# The embedded run keeps its SQLite file, broker queue and cache here.
for _folder in ("", "celery/queue", "celery/processed", "celery/results", "cache"):
    (VAR_DIR / _folder).mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105  # DEBUG only  # nosec B105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "auditlog",
    "csp",
    "smarketing",
    "slas",
    "leads",
    "reporting",
    "reviews",
    "bench",
]

MIDDLEWARE = [
    # Outermost: a database or broker outage anywhere below answers 503 with Retry-After.
    "smarketing.errors.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body or the query: size limit, NUL bytes, lone surrogates.
    "smarketing.middleware.EdgeMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who (the signed-in user), from where (smarketing.client_ip) for every audited change.
    "smarketing.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "smarketing.middleware.UserLanguageMiddleware",
    # Axes last: it answers locked-out sign-ins before the view runs.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "smarketing.urls"
WSGI_APPLICATION = "smarketing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smarketing.context_processors.navigation",
                "slas.context_processors.role",
                "reporting.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'smarketing.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A persistent connection is checked before each request reuses it: after a database
        # restart the first request of every process reconnects instead of failing.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the embedded file: wait for locks instead
    # of failing, and take the write lock at BEGIN so that select_for_update-style critical
    # sections serialise.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # A file, not memory, so that a real Celery worker started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-smarketing.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Seconds a client is asked to wait (Retry-After of the 503) when the database or broker is away.
UNAVAILABLE_RETRY_AFTER = env_int("UNAVAILABLE_RETRY_AFTER", 15)

# --- Cache (API and form throttling) -----------------------------------------------------
# Redis is a hint store here: smarketing.cache fails open (a miss, logged) while Redis is away,
# with short socket timeouts and no client retries so that no request waits on it.
REDIS_URL = env_str("REDIS_URL")
CACHE_SOCKET_TIMEOUT = float(env_str("CACHE_SOCKET_TIMEOUT", "0.5"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "smarketing.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
                "socket_timeout": CACHE_SOCKET_TIMEOUT,
                "retry": Retry(NoBackoff(), 0),
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Every cache key (API throttle counters, login lock-outs) starts with this installation's name,
# so two installations sharing one Redis never share a counter. Default: a digest of the
# database the installation writes to (smarketing.env.installation_id).
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX") or installation_id(DATABASES["default"])
for _cache in CACHES.values():
    _cache.setdefault("KEY_PREFIX", CACHE_KEY_PREFIX)

# --- Reverse proxies ---------------------------------------------------------------------
# How many reverse proxies you run in front of the app (a TLS terminator counts as one). Each
# appends its peer's address to X-Forwarded-For; the client's address is the entry the
# outermost of them wrote. 0 (the default) ignores the header: the TCP peer is the client.
# One rule (smarketing.client_ip) feeds DRF throttles, django-axes, the capture form and
# password-reset limits, and the audit log. Setting it higher than the real number of
# proxies lets clients choose their own address; see docs/security.md.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more")

# --- Authentication ---------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: five failures for a username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "smarketing.client_ip.client_ip"

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Third-party assets, installed from the npm registry by `make install` (never a CDN).
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/chart.js", NODE_MODULES / "chart.js" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/sortablejs", NODE_MODULES / "sortablejs"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Source maps (most of the vendored megabytes) are for a developer's devtools: served as they
# are, not gzipped and brotlied at every collectstatic (that was two thirds of its CPU time).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*WhiteNoiseCompressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Request limits (smarketing.middleware.EdgeMiddleware, docs/security.md) -------------
# Largest lead import file, and rows in it; checked before anything is stored.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000)
# Any request body above this answers 413 before a view reads it (an import plus its form).
REQUEST_BODY_MAX_BYTES = env_int("REQUEST_BODY_MAX_BYTES", IMPORT_MAX_BYTES + 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_BODY_MAX_BYTES
# Deepest JSON nesting accepted in a request (arrays and objects).
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail -----------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "smarketing <noreply@smarketing.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -----------------------------------------------------------------------------
# With REDIS_URL, Redis is broker and result store. Without it (the embedded `make run`),
# Kombu's file-system transport keeps the queue in var/celery: no server to install, several
# processes (web, worker, beat) on one machine share it, and queued work survives restarts.
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport with one guard (smarketing/broker.py): a channel of a connection Celery
    # closed during a Redis outage fails as an outage, not with an AttributeError that stops the worker.
    CELERY_BROKER_TRANSPORT = "smarketing.broker:Transport"
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above the longest task's hard limit, so a running task is never redelivered twice.
        "visibility_timeout": 3600,
        # A Redis that does not answer is an outage, not a wait (smarketing.outbox publishes).
        "socket_connect_timeout": 1,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_BROKER_DIR / 'results'}"
# Tests give a real worker its own queue so that runs never pick up each other's messages.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that lost its broker retries for as long as the outage lasts (2 s, 4 s, … then every 30 s)
# instead of exiting after 100 attempts (about 47 minutes); /healthz says meanwhile what is away.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Background jobs (smarketing.jobs): a running job's lease, renewed every JOB_HEARTBEAT_SECONDS;
# past it the relay takes the job back (at most JOB_MAX_ATTEMPTS runs, then it is failed).
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 60)
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 10)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
# A notification claimed by a worker and not marked sent within this time belongs to a dead
# worker: the relay releases it (reporting.notifications.outbox).
NOTIFICATION_CLAIM_LEASE_SECONDS = env_int("NOTIFICATION_CLAIM_LEASE_SECONDS", 600)
# The overdue scan's chunk: follow-ups alerted (or escalated) per transaction, with a constant
# number of queries per chunk; a scan killed between two chunks resumes after the last one.
OVERDUE_SCAN_CHUNK = env_int("OVERDUE_SCAN_CHUNK", 1000)
# How often a worker writes its heartbeat row, and how old one may be for /healthz: a dead worker
# shows there within 25 s.
WORKER_HEARTBEAT_SECONDS = env_int("WORKER_HEARTBEAT_SECONDS", 5)
WORKER_HEARTBEAT_MAX_AGE = env_int("WORKER_HEARTBEAT_MAX_AGE", 20)

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "smarketing.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["smarketing.api.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "smarketing.pagination.CountedCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "smarketing.throttling.UserRateThrottle",
        "smarketing.throttling.AnonRateThrottle",
    ],
    # Rates as "<count>/<second|minute|hour|day>"; the token endpoint and public capture
    # endpoints are stricter because they are open to anonymous callers.
    "DEFAULT_THROTTLE_RATES": {
        "user": env_str("API_THROTTLE_USER", "2000/hour"),
        "anon": env_str("API_THROTTLE_ANON", "100/hour"),
        "token": env_str("API_THROTTLE_TOKEN", "10/minute"),
        # The public capture form and password-reset requests, per client IP (and per e-mail).
        "capture": env_str("API_THROTTLE_CAPTURE", "10/hour"),
        "password_reset": env_str("PASSWORD_RESET_THROTTLE", "5/hour"),
    },
    # See TRUSTED_PROXY_COUNT above: how many proxies' X-Forwarded-For entries are believed.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "smarketing.api.exception_handler",
    # The edge rules of smarketing.input_guard (depth, NUL, lone surrogates) for every body.
    "DEFAULT_PARSER_CLASSES": [
        "smarketing.api.SafeJSONParser",
        "smarketing.api.SafeFormParser",
        "smarketing.api.SafeMultiPartParser",
    ],
}
API_GUIDE_FILE = BASE_DIR / "docs" / "api.md"
API_GUIDE = (
    API_GUIDE_FILE.read_text(encoding="utf-8")
    if API_GUIDE_FILE.exists()
    else "SLA between marketing and sales: leads, handoffs, follow-ups, compliance. Guide: docs/api.md."
)


def _api_description() -> str:
    """The guide (English only), after a note in the reader's language when it is not English."""
    from django.utils import translation

    if (translation.get_language() or "en").startswith("en"):
        return API_GUIDE
    note = translation.gettext(
        "The integration guide below is in English; the operations, fields and webhooks are described in your language."
    )
    return f"*{note}*\n\n{API_GUIDE}"


SPECTACULAR_SETTINGS = {
    "TITLE": _("smarketing API"),
    # The integrator's guide (docs/api.md) is the description /api/docs/ shows above the operations,
    # evaluated in the reader's language when the schema is generated (``?lang=`` or the profile's).
    "DESCRIPTION": lazy(_api_description, str)(),
    "VERSION": "1.0.0",
    # 3.1: JSON Schema 2020-12 (``propertyNames``, ``type: [x, "null"]``) and the ``webhooks`` section.
    "OAS_VERSION": "3.1.0",
    # Tags per resource (leads, slas, teams, users, webhooks …): the path segment after /api/v1/.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are documented as JSON (forms are still parsed, for browsers and curl -d): a form
    # cannot say null, a number or an empty list. CSV imports document their multipart body.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # The OpenAPI 3.1 ``webhooks`` section: every event's payload (smarketing.api.webhook_doc).
    "WEBHOOKS": [
        "leads.api.webhooks.lead_handed_off",
        "leads.api.webhooks.lead_accepted",
        "leads.api.webhooks.lead_rejected",
        "leads.api.webhooks.followup_overdue",
        "slas.api.webhooks.sla_activated",
        "slas.api.webhooks.sla_at_risk",
        "reporting.api.webhooks.report_ready",
        "reviews.api.webhooks.review_closed",
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smarketing.api.add_error_responses",
        # Example dates counted from today, so a pasted example is not refused as past.
        "smarketing.api.resolve_example_moments",
    ],
    # One schema name per choice set that several fields share (functions, stages, kinds).
    "ENUM_NAME_OVERRIDES": {
        "FunctionEnum": "slas.models.Function",
        "StageEnum": "leads.models.Stage",
        "MaturityCategoryEnum": "slas.models.MaturityCategory",
        "ActivityKindEnum": "leads.models.Activity.Kind",
        "EventKindEnum": "leads.models.LeadEvent.Kind",
        "FollowUpKindEnum": "leads.models.FollowUp.Kind",
        "NotificationKindEnum": "reporting.models.Notification.Kind",
        "JobKindEnum": "smarketing.models.Job.Kind",
    },
}

# --- Outbound webhooks ------------------------------------------------------------------
# SSRF guard (smarketing.webhooks): only globally routable addresses, checked on the address
# actually connected to. True turns the address check off: for receivers on the server's own
# private network only (and tests); never on a multi-tenant or cloud host.
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)
# After a secret rotation, how long the previous secret keeps signing deliveries too.
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24)

# --- Security ---------------------------------------------------------------------------
CSRF_FAILURE_VIEW = "smarketing.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    if env_bool("USE_X_FORWARDED_PROTO", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Audit log (django-auditlog; smarketing.audit, docs/security.md) -------------------------
# Every change of these models is recorded with actor, time, client address and field diff.
# SLA sections (goals, commitments, rules, milestones, calendar) are written in bulk by the
# services, which record the document's before/after themselves (smarketing.audit.record_change).
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "auth.User", "exclude_fields": ["last_login"], "mask_fields": ["password"]},
    "slas.Team",
    "slas.Membership",
    {"model": "slas.Profile", "mask_fields": ["calendar_token"]},
    {"model": "slas.SLA", "exclude_fields": ["updated_at"]},
    "slas.Signature",
    {"model": "smarketing.ApiToken", "exclude_fields": ["last_used_at"], "mask_fields": ["key_hash"]},
    {"model": "smarketing.WebhookSubscription", "mask_fields": ["secret", "previous_secret"]},
    "leads.CaptureForm",
)
AUDITLOG_MASK_CALLABLE = "smarketing.audit.mask"
AUDITLOG_DISABLE_ON_RAW_SAVE = True

# --- Content-Security-Policy (django-csp) --------------------------------------------------
# Our own scripts and stylesheets only: no inline script, event handler or style attribute
# anywhere (smarketing/tests/test_csp.py scans the templates; the browser tests watch every
# page for violations). Bootstrap's stylesheet draws a few icons as data: SVG images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint logs each layout step at INFO; fontTools each font subset.
    "loggers": {name: {"level": "WARNING"} for name in ("axes", "weasyprint", "weasyprint.progress", "fontTools")},
}
