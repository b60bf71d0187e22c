"""Settle settings: one module, driven by the environment (12-factor, django-environ).

With nothing set, Settle runs on SQLite and a file-system Celery broker, so ``make demo`` works
on a bare machine. ``DATABASE_URL`` selects PostgreSQL and ``CELERY_BROKER_URL``/``REDIS_URL``
select Redis. Every variable is listed in the README.
"""

from decimal import Decimal
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# HTTPS-only cookies, HSTS and the SSL redirect; on unless explicitly off (the demo turns it off
# because it serves plain http on 127.0.0.1).
SECURE = env.bool("DJANGO_SECURE", default=not DEBUG)

# No key in the source: production refuses to start without one; a debug run (the demo) gets a
# throwaway key per process.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (a long random string): Settle does not start in production "
            "without one. DJANGO_DEBUG=true runs with a throwaway key."
        )
    SECRET_KEY = get_random_secret_key()
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's widget templates, for FORM_RENDERER below
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    "axes",
    "django_celery_beat",
    # Settle's apps, bottom floor first (README, "How the apps fit together").
    "core",
    "accounts",
    "contacts",
    "compliance",
    "plans",
    "outreach",
    "legal",
    "agencies",
    "checkout",
    "portal",
    "workspace",
    "feeds",
    "dashboards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    # Last, as django-axes requires: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ADMIN_URL = env.str("DJANGO_ADMIN_URL", default="admin/")
WSGI_APPLICATION = "config.wsgi.application"

# Widgets render through the project's templates, so ``templates/django/forms`` can override one
# of Django's (a select writes its options in place instead of including a template for each).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Content-Security-Policy (django-csp) ----------------------------------------------------
# Scripts and styles only from our own static files (htmx included); the one inline style, the
# printable agreement's, carries the request's nonce. The API's interactive docs (Swagger UI,
# which runs inline script) are left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/v1/docs/"],
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file in the demo: wait for locks instead of failing, and
    # take the write lock up front so concurrent writers queue rather than deadlock.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming replica for the dashboard and its exports (core/db_routing.py); tests use a
# mirror of the test database under the same alias.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": DATABASES["default"].get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
SETTLE_READ_REPLICA = "replica" in DATABASES
DATABASE_ROUTERS = ["core.db_routing.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # django-redis, told to treat Redis errors as misses: a cache outage degrades every reader
    # (compliance profiles, throttles) to the database instead of answering 500. Short socket
    # timeouts keep a dead Redis from holding requests.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag, not here
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE and env.bool("DJANGO_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies append to X-Forwarded-For in front of Settle: the client is the
# address that many hops back, never a value the client wrote itself (throttles and lockouts
# would be escaped by rotating the header). 0: the socket's address.
PROXY_COUNT = env.int(
    "DJANGO_PROXY_COUNT", default=1 if env.bool("DJANGO_BEHIND_PROXY", default=False) else 0
)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"  # the same count as DRF NUM_PROXIES
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# --- I18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# The collections department's calendar day; DPD and buckets are derived against it.
BUSINESS_TIME_ZONE = env.str("SETTLE_BUSINESS_TIME_ZONE", default="UTC")
BUSINESS_DATE = env.str("SETTLE_BUSINESS_DATE", default="")  # YYYY-MM-DD to pin it (demo)

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("DJANGO_MANIFEST_STATIC", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous call gets 401 with a WWW-Authenticate header.
        "accounts.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsStaffRole"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_TOKEN_THROTTLE", default="10/min")},
    "NUM_PROXIES": PROXY_COUNT,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # JSON bodies bounded in size and depth (core.parsers); forms and uploads as DRF's.
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Settle API",
    "DESCRIPTION": "Collections, installment plans and compliant contact for delinquent accounts.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema_error_responses",
    ],
    # Swagger UI from our own static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps have a "kind", "channel" or "status" with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "ContactPointKindEnum": "contacts.models.ContactPoint.Kind",
        "DisputeKindEnum": "contacts.models.Dispute.Kind",
        "ComplaintCategoryEnum": "contacts.models.Complaint.Category",
        "ContactChannelEnum": "contacts.models.ContactLog.Channel",
        "CaseStatusEnum": "contacts.models.CaseStatus",
        "RestrictionKindEnum": "compliance.models.RestrictionKind",
        "HardshipKindEnum": "plans.models.HardshipKind",
    },
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The server-less demo broker: messages are files in .demo/broker.
    _broker_dir = BASE_DIR / ".demo" / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# --- Personal data and audit ----------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Reminders and channels -----------------------------------------------------------------
# Channel → backend class (outreach.backends). The demo prints SMS, sends email through
# EMAIL_BACKEND and writes letters to the outbox; production points "sms" at the gateway.
# API tokens expire (a new one from the token endpoint) and die with a password change or logout.
SETTLE_API_TOKEN_TTL_SECONDS = env.int("SETTLE_API_TOKEN_TTL_SECONDS", default=8 * 3600)
# A reveal of personal data needs the password entered within this many seconds.
SETTLE_REVEAL_REAUTH_SECONDS = env.int("SETTLE_REVEAL_REAUTH_SECONDS", default=15 * 60)
# A contact's evidence file (recording, scan): the largest accepted.
SETTLE_EVIDENCE_MAX_BYTES = env.int("SETTLE_EVIDENCE_MAX_BYTES", default=50 * 1024 * 1024)
# Retention (compliance.retention): years after a closed account's last contact or compliance
# check that the content of its records is kept. Never less than the jurisdiction profile's
# "keep records (years)" (US 3: 12 CFR 1006.100; CN at least 2: 第68条), which wins if longer.
SETTLE_RETENTION_YEARS = {
    "contact": env.int("SETTLE_RETENTION_CONTACT_YEARS", default=3),  # texts, evidence files
    "decision": env.int("SETTLE_RETENTION_DECISION_YEARS", default=3),  # message text checked
    "reveal": env.int("SETTLE_RETENTION_REVEAL_YEARS", default=3),  # reveal and access records
}
SETTLE_CHANNEL_BACKENDS = env.json(
    "SETTLE_CHANNEL_BACKENDS",
    default={
        "sms": "outreach.backends.ConsoleBackend",
        "email": "outreach.backends.DjangoEmailBackend",
        "letter": "outreach.letters.backend.LetterBackend",
    },
)
SETTLE_OUTBOX_DIR = env.str("SETTLE_OUTBOX_DIR", default=str(BASE_DIR / ".demo" / "outbox"))
# Letters (outreach.letters): one PDF per letter and the daily print batches' manifests are
# kept here (evidence: back it up with the database); the font covers Latin and Chinese
# (Debian's fonts-wqy-microhei, installed by .ci/run and the Dockerfile).
SETTLE_LETTER_DIR = env.str("SETTLE_LETTER_DIR", default=str(BASE_DIR / ".demo" / "letters"))
SETTLE_LETTER_FONT = env.str(
    "SETTLE_LETTER_FONT", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)
# Who the letters come from, per jurisdiction: printed in the letterhead and filled into the
# templates' {collector_name}, {collector_address}, {contact_phone} and {creditor}.
SETTLE_LETTER_SENDER = env.json(
    "SETTLE_LETTER_SENDER",
    default={
        "US": {
            "name": "Settle Collections",
            "address": "100 Main Street, Springfield, IL 62701",
            "phone": "+1 800 555 0100",
            "creditor": "Settle Bank",
        },
        "CN": {
            "name": "Settle银行信用卡中心",
            "address": "上海市浦东新区世纪大道100号",
            "phone": "400-800-0100",
            "creditor": "Settle银行",
        },
    },
)
# The customer portal (README, "The customer portal"). Links in reminders point here.
SETTLE_PORTAL_BASE_URL = env.str("SETTLE_PORTAL_BASE_URL", default="http://127.0.0.1:8000")
SETTLE_PORTAL_LINK_DAYS = env.int("SETTLE_PORTAL_LINK_DAYS", default=30)
SETTLE_PORTAL = {
    # A portal session: its own cookie (never the staff session), short-lived.
    "cookie_name": "settle_portal",
    "idle_minutes": env.int("SETTLE_PORTAL_IDLE_MINUTES", default=15),
    "max_minutes": env.int("SETTLE_PORTAL_MAX_MINUTES", default=60),
    # Verification: a one-time code valid this long; this many failures lock the link's
    # customer (whatever the address they come from) for lock_minutes.
    "code_minutes": env.int("SETTLE_PORTAL_CODE_MINUTES", default=10),
    "failure_limit": env.int("SETTLE_PORTAL_FAILURE_LIMIT", default=5),
    "lock_minutes": env.int("SETTLE_PORTAL_LOCK_MINUTES", default=30),
}
# Monthly cost of one specialist per currency (the dashboard shows it beside the team's collected
# per head), e.g. SETTLE_COST_PER_HEAD_MONTHLY='{"USD": "4500.00", "CNY": "18000.00"}'.
SETTLE_COST_PER_HEAD_MONTHLY = {
    currency: Decimal(str(amount))
    for currency, amount in env.json(
        "SETTLE_COST_PER_HEAD_MONTHLY", default={"USD": "4500.00", "CNY": "18000.00"}
    ).items()
}
# What a contact costs, per currency, for the strategy experiments' cost per account: a message
# per channel, a call by the minute, and the minutes an unanswered attempt and a conversation
# take (the contact log has no call durations).
SETTLE_CONTACT_COSTS = env.json(
    "SETTLE_CONTACT_COSTS",
    default={
        "USD": {
            "sms": "0.04",
            "email": "0.01",
            "letter": "1.10",
            "call_minute": "0.75",
            "call_attempt_minutes": "1",
            "call_conversation_minutes": "6",
        },
        "CNY": {
            "sms": "0.05",
            "email": "0.01",
            "letter": "6.00",
            "call_minute": "1.20",
            "call_attempt_minutes": "1",
            "call_conversation_minutes": "6",
        },
    },
)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Two-way messages (``outreach.inbound``): the providers sign their webhooks with HMAC-SHA256
# over "<timestamp>.<raw body>"; an empty secret refuses every webhook. A channel's own secret,
# when set, replaces the shared one for that channel's routes.
SETTLE_INBOUND_WEBHOOK_SECRET = env.str("SETTLE_INBOUND_WEBHOOK_SECRET", default="")
SETTLE_INBOUND_WEBHOOK_SECRETS = {
    "sms": env.str("SETTLE_INBOUND_SMS_WEBHOOK_SECRET", default=""),
    "email": env.str("SETTLE_INBOUND_EMAIL_WEBHOOK_SECRET", default=""),
}
SETTLE_INBOUND_WEBHOOK_TOLERANCE_SECONDS = env.int(
    "SETTLE_INBOUND_WEBHOOK_TOLERANCE_SECONDS", default=300
)
# Who the help text and the opt-out confirmation say we are, and the number to call.
SETTLE_BANK_NAME = env.str("SETTLE_BANK_NAME", default="Settle Bank")
SETTLE_HELP_PHONE = env.str("SETTLE_HELP_PHONE", default="+1 800 555 0100")
# Consecutive hard delivery failures after which a phone or email is marked unusable.
SETTLE_HARD_FAILURE_THRESHOLD = env.int("SETTLE_HARD_FAILURE_THRESHOLD", default=3)
# A settlement offer this many days or fewer from its expiry date is a queue reason.
SETTLE_SETTLEMENT_EXPIRING_DAYS = env.int("SETTLE_SETTLEMENT_EXPIRING_DAYS", default=7)
# A work queue of at least this many cases counts them at most once in this many seconds (an
# exact count of a 300,000-case team costs about 40 ms; a total a minute old serves its headline
# and page links as well). 0 seconds: count on every page.
SETTLE_QUEUE_COUNT_CACHE = {
    "min_cases": env.int("SETTLE_QUEUE_COUNT_CACHE_MIN_CASES", default=50_000),
    "seconds": env.int("SETTLE_QUEUE_COUNT_CACHE_SECONDS", default=60),
}
# The nightly run's bucket-move, risk and queue steps look only at accounts whose inputs changed
# since they last ran (accounts.changes); on this weekday (0 Monday … 6 Sunday; -1 never) they
# look at every account anyway, a backstop for rows deleted by hand.
SETTLE_NIGHTLY_FULL_WEEKDAY = env.int("SETTLE_NIGHTLY_FULL_WEEKDAY", default=6)
SETTLE_REMINDERS = {
    "upcoming_days": env.int("SETTLE_REMINDER_UPCOMING_DAYS", default=3),
    "missed_look_back_days": 7,
    "batch_size": env.int("SETTLE_REMINDER_BATCH_SIZE", default=2000),
    # A claim older than this belongs to a dead worker. Keep it above the send task's time
    # limit, so a live worker's claim never expires under it.
    "claim_timeout_seconds": 600,
    "max_attempts": 5,
    "retry_base_seconds": 60,
    "task_time_budget_seconds": 240,
}
# Tests and canary deployments point a worker at a queue of their own.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Each kind of task has its own queue, so each scales with its own workers (docker-compose runs
# one worker per queue; the demo's single worker listens to all). SETTLE_SPLIT_QUEUES=false
# sends every task to CELERY_TASK_DEFAULT_QUEUE.
SETTLE_TASK_QUEUES = (
    {kind: kind for kind in ("reminders", "nightly", "imports", "dashboards")}
    if env.bool("SETTLE_SPLIT_QUEUES", default=True)
    else {}
)
CELERY_TASK_ROUTES = ("config.celery.route_task",)

# --- Online payments (checkout) -------------------------------------------------------------
# The provider class (checkout.providers): the local FakeProvider (demo, tests) or
# StripeProvider (Stripe Checkout). Its webhooks arrive at /checkout/webhooks/<name>/ signed
# with SETTLE_PAYMENT_WEBHOOK_SECRET; older than the tolerance they are refused (replays).
SETTLE_PAYMENT_PROVIDER = env.str(
    "SETTLE_PAYMENT_PROVIDER", default="checkout.providers.FakeProvider"
)
SETTLE_PAYMENT_WEBHOOK_SECRET = env.str("SETTLE_PAYMENT_WEBHOOK_SECRET", default="")
SETTLE_PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int(
    "SETTLE_PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300
)
SETTLE_PAYMENT_API_KEY = env.str("SETTLE_PAYMENT_API_KEY", default="")
SETTLE_PAYMENT_API_BASE = env.str("SETTLE_PAYMENT_API_BASE", default="")  # empty: Stripe's
SETTLE_PAYMENT_API_TIMEOUT_SECONDS = env.int("SETTLE_PAYMENT_API_TIMEOUT_SECONDS", default=20)
# A checkout not finished within this long is abandoned (the provider's page expires with it).
SETTLE_CHECKOUT_SESSION_TTL_MINUTES = env.int("SETTLE_CHECKOUT_SESSION_TTL_MINUTES", default=60)
