"""Project settings, read from the environment.

Every value a deployment changes comes from an environment variable; the README
has a table of all of them. With nothing set, the project runs on an embedded
default: a SQLite file and the in-memory channel layer. DEBUG is off unless the
environment says DEBUG=true (`make run` does), and outside DEBUG the process refuses
to start without a strong DJANGO_SECRET_KEY.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from rtc.ice import turn_settings_problem

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


N = TypeVar("N", int, float)


def _env_number(name: str, default: N, parse: Callable[[str], N], what: str) -> N:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return parse(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be {what}, got {value!r}") from exc


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# Seed 004's names (WEBRTC_*) are aliases: either name works; both set to different values is an error.
SEED_ENV_ALIASES = {
    "RTC_STUN_URLS": "WEBRTC_STUN_URLS",
    "RTC_TURN_URLS": "WEBRTC_TURN_URLS",
    "RTC_TURN_USERNAME": "WEBRTC_TURN_USERNAME",
    "RTC_TURN_CREDENTIAL": "WEBRTC_TURN_CREDENTIAL",
    "RTC_BUNDLE_POLICY": "WEBRTC_BUNDLE_POLICY",
    "RTC_RTCP_MUX_POLICY": "WEBRTC_RTCP_MUX_POLICY",
    "RTC_MAX_PARTICIPANTS": "WEBRTC_MAX_PARTICIPANTS_PER_ROOM",
}


def env_seed_alias(name: str) -> None:
    """Copy seed 004's variable into ours when only it is set (before the settings below read it)."""
    alias = SEED_ENV_ALIASES[name]
    ours, theirs = os.environ.get(name, ""), os.environ.get(alias, "")
    if ours and theirs and ours != theirs:
        raise ImproperlyConfigured(f"{name} and its alias {alias} are both set, to different values")
    if theirs and not ours:
        os.environ[name] = theirs


for _name in SEED_ENV_ALIASES:
    env_seed_alias(_name)
# WEBRTC_ICE_TRANSPORT_POLICY=relay|all is RTC_TURN_ONLY=true|false.
_policy = env_str("WEBRTC_ICE_TRANSPORT_POLICY").strip().lower()
if _policy not in ("", "all", "relay"):
    raise ImproperlyConfigured(f"WEBRTC_ICE_TRANSPORT_POLICY must be all or relay, got {_policy!r}")
if _policy and os.environ.get("RTC_TURN_ONLY", "") and env_bool("RTC_TURN_ONLY") != (_policy == "relay"):
    raise ImproperlyConfigured("RTC_TURN_ONLY and WEBRTC_ICE_TRANSPORT_POLICY disagree")


# --- Core -----------------------------------------------------------------

# Off unless asked for: a deployment that forgets DEBUG must not serve tracebacks.
DEBUG = env_bool("DEBUG", default=False)

DEV_SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
# Values that appeared in examples, compose files and Dockerfiles: never a real secret.
PLACEHOLDER_SECRET_KEYS = frozenset(
    {"change-me-in-production", "change-me", "changeme", "build-only", "secret", "secret-key", DEV_SECRET_KEY}
)
SECRET_KEY_MIN_LENGTH = 50
GENERATE_SECRET_HINT = "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret_key_problem(value: str) -> str | None:
    """Why `value` cannot sign sessions and tokens in production, or None when it can."""
    if not value:
        return "is not set"
    if value.lower() in PLACEHOLDER_SECRET_KEYS or value.startswith("django-insecure"):
        return "is a known placeholder"
    if len(value) < SECRET_KEY_MIN_LENGTH:
        return f"is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(value)) < 5:
        return "has fewer than 5 distinct characters"
    return None


def require_strong_secret(name: str, value: str) -> None:
    problem = secret_key_problem(value)
    if problem:
        raise ImproperlyConfigured(
            f"{name} {problem}; it must be a random value of at least {SECRET_KEY_MIN_LENGTH} characters "
            f"when DEBUG is off. {GENERATE_SECRET_HINT}"
        )


SECRET_KEY = env_str("DJANGO_SECRET_KEY")
# Old keys still accepted for sessions and signed values while they expire (rotation).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
# JWTs get their own key, so rotating one does not log out the other kind of client.
JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY")
if DEBUG:
    SECRET_KEY = SECRET_KEY or DEV_SECRET_KEY
else:
    require_strong_secret("DJANGO_SECRET_KEY", SECRET_KEY)
    for fallback in SECRET_KEY_FALLBACKS:
        require_strong_secret("DJANGO_SECRET_KEY_FALLBACKS entry", fallback)
    if JWT_SIGNING_KEY:
        require_strong_secret("JWT_SIGNING_KEY", JWT_SIGNING_KEY)
JWT_SIGNING_KEY = JWT_SIGNING_KEY or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Exact origins (scheme://host[:port]) allowed to open WebSockets besides the site's
# own origin and CSRF_TRUSTED_ORIGINS; see realtime/auth.py. Never "*".
WS_ALLOWED_ORIGINS = env_list("WS_ALLOWED_ORIGINS")
if any("*" in origin or "://" not in origin for origin in WS_ALLOWED_ORIGINS):
    raise ImproperlyConfigured("WS_ALLOWED_ORIGINS entries must be exact origins like https://app.example.com (no '*')")

# CORS, for a frontend served from another origin (django-cors-headers). Nobody by default.
# Only the API paths answer cross-origin requests; pages, admin and /metrics never do.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
if any("*" in origin or "://" not in origin or origin.endswith("/") for origin in CORS_ALLOWED_ORIGINS):
    raise ImproperlyConfigured(
        "CORS_ALLOWED_ORIGINS entries must be exact origins like https://app.example.com (no '*', no path)"
    )
CORS_URLS_REGEX = r"^/(api|webrtc|rooms$|rooms/[^/]+/peers|health)(/|$)"
CORS_ALLOW_HEADERS = ["accept", "authorization", "content-type", "x-csrftoken", "x-request-id"]
CORS_EXPOSE_HEADERS = ["x-request-id"]
CORS_PREFLIGHT_MAX_AGE = 600
# Cookies (the session) cross-origin: off by default; bearer tokens need no credentials mode. When
# on, each CORS origin must be trusted for CSRF too (a cookie-authenticated POST needs it), and the
# session and CSRF cookies must be sent cross-site (SameSite=None; Secure, so HTTPS only).
CORS_ALLOW_CREDENTIALS = env_bool("CORS_ALLOW_CREDENTIALS")
if CORS_ALLOW_CREDENTIALS:
    if not CORS_ALLOWED_ORIGINS:
        raise ImproperlyConfigured("CORS_ALLOW_CREDENTIALS needs CORS_ALLOWED_ORIGINS")
    if not DEBUG and any(not origin.startswith("https://") for origin in CORS_ALLOWED_ORIGINS):
        raise ImproperlyConfigured("CORS_ALLOW_CREDENTIALS with DEBUG off needs https:// origins (cookies are Secure)")
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, *(o for o in CORS_ALLOWED_ORIGINS if o not in CSRF_TRUSTED_ORIGINS)]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "channels",
    "django_prometheus",
    "django_tasks",
    "django_tasks_db",
    "realtime",
    "accounts",
    "social",
    "items",
    "chat",
    "notifications",
    "livestream",
    "rtc",
    "web",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "realtime.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware, so preflights get the headers
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "realtime.logging.RequestUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -----------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_POOL", default=True):
    # Under ASGI each sync view runs in its own thread, so persistent connections
    # (CONN_MAX_AGE) would leak; a psycopg pool per process reuses connections
    # instead of opening one per request or per socket call.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN_SIZE", 1),
        "max_size": env_int("DB_POOL_MAX_SIZE", 10),
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker process read while the server writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"})
# The same engines, counting queries, errors and connections for /metrics (django-prometheus).
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
PRESENCE_PREFIX = env_str("PRESENCE_PREFIX", "presence")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layers.RedisChannelLayer",  # channels-redis that reports overflows
            "CONFIG": {
                # redis-py defaults to a 5 s socket timeout, but channels-redis blocks up to
                # 5 s waiting for messages: an idle socket would die with "Timeout reading".
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "asgi"),
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1000),
                # A blocking pool (realtime.layers): past this many commands in flight, callers wait.
                "pool_size": env_int("CHANNEL_LAYER_POOL_SIZE", 200),
                "pool_timeout": env_float("CHANNEL_LAYER_POOL_TIMEOUT", 10.0),
                "expiry": 60,
                "group_expiry": 86400,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Which Redis channel layer: `core` (above: a sorted set per channel, popped one message per round
# trip; bounded by CHANNEL_LAYER_CAPACITY) or `pubsub` (Redis PUB/SUB: one subscription per group per
# process, pushed; unbounded local queues; what is published while its connection to Redis is down
# is lost without a word). bench/README.md "Channel layer" has the measurement and why `core` stays
# the default for now.
CHANNEL_LAYER = env_str("CHANNEL_LAYER", "core")
if CHANNEL_LAYER not in {"core", "pubsub"}:
    raise ImproperlyConfigured(f"CHANNEL_LAYER must be 'core' or 'pubsub', not {CHANNEL_LAYER!r}")
if REDIS_URL and CHANNEL_LAYER == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "asgi"),
            },
        }
    }

# The cache holds rate-limit counters and login lockouts, so with several processes
# it must be shared: Redis when REDIS_URL is set. Short timeouts and fail-open
# (realtime.cache.FailOpenRedisCache): if Redis is briefly down, requests go on
# without limits (logged) instead of failing with 500.
CACHE_KEY_PREFIX = env_str("CACHE_KEY_PREFIX", "cache")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "realtime.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}
    }

TASKS = {
    "default": {
        # Without Redis (`make run`) the in-memory channel layer lives in the server process, so tasks run there
        # too (realtime/inprocess_tasks.py): their events reach the browser with no other service running.
        "BACKEND": env_str(
            "TASKS_BACKEND",
            "django_tasks_db.DatabaseBackend" if REDIS_URL else "realtime.inprocess_tasks.InProcessBackend",
        ),
    }
}
# Finished task results older than this are deleted by `manage.py housekeeping`.
TASK_RESULTS_RETENTION_DAYS = env_int("TASK_RESULTS_RETENTION_DAYS", 7)

# --- Auth -----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.lockout.LockoutModelBackend"]
# After LOGIN_LOCKOUT_ATTEMPTS failed logins for one username (or LOGIN_LOCKOUT_IP_ATTEMPTS
# from one address) within the window, every login for it is refused until the window
# passes, the right password included (/login/, /admin/, /api-auth/, /api/auth/token/).
LOGIN_LOCKOUT_ATTEMPTS = env_int("LOGIN_LOCKOUT_ATTEMPTS", 10)
LOGIN_LOCKOUT_IP_ATTEMPTS = env_int("LOGIN_LOCKOUT_IP_ATTEMPTS", 50)
LOGIN_LOCKOUT_WINDOW_SECONDS = env_int("LOGIN_LOCKOUT_WINDOW_SECONDS", 900)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None

# --- HTTPS and browser hardening (README "Security") -------------------------

# Behind a TLS proxy every plain-HTTP request is redirected, except the probes:
# load balancers and orchestrators call /health/ and /ready/ over plain HTTP.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$"]
# Sent only on HTTPS responses, so harmless on plain-HTTP deployments.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Preloading is a commitment browsers keep for months (and anyone may submit a
# domain that sends "preload"), so it stays an explicit opt-in; the deploy check
# that asks for it is silenced only while it is deliberately off.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON with a nesting cap (JSON_MAX_DEPTH); form and multipart bodies are flat already.
    "DEFAULT_PARSER_CLASSES": [
        "realtime.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "realtime.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "realtime.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],
    # The project's throttles (accounts.throttles) read THROTTLE_RATES at request time.
    "DEFAULT_THROTTLE_RATES": {},
    # Proxies in front of the app (nginx: 1): throttles and lockouts then count the client's
    # address from X-Forwarded-For instead of the proxy's. Unset: REMOTE_ADDR.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0) or None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Per scope, "<count>/<s|min|h|day>" (DRF's rate syntax); see accounts/throttles.py.
THROTTLE_RATES = {
    "login": env_str("THROTTLE_LOGIN", "10/min"),  # token obtain, per IP and per username
    "register": env_str("THROTTLE_REGISTER", "20/h"),  # per IP
    "refresh": env_str("THROTTLE_REFRESH", "30/min"),  # per IP
    "chat_message": env_str("THROTTLE_CHAT_MESSAGE", "120/min"),  # POST messages, per user
    "post_write": env_str("THROTTLE_POST_WRITE", "30/min"),  # new posts and comments, per user
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "UPDATE_LAST_LOGIN": False,
    "SIGNING_KEY": JWT_SIGNING_KEY,
    # Refresh tokens are single use: each refresh returns a new one and blacklists the old.
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    # Tokens carry a hash of the password hash: a password change invalidates them all.
    "CHECK_REVOKE_TOKEN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Realtime Social API",
    "DESCRIPTION": "REST API of the real-time social backend. WebSocket events are in docs/protocol.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ItemStatusEnum": "items.models.ItemStatus",
        "ItemWritableStatusEnum": "items.models.USER_STATUSES",
        "StreamStatusEnum": "livestream.models.StreamStatus",
    },
}

# --- Static and i18n --------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Outside DEBUG: hashed, compressed, long-cached files from `collectstatic` (the Docker image
# runs it; config/staticfiles.py). In DEBUG the plain storage, so `make run` needs no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "config.staticfiles.StaticFilesStorage"
    },
}
# Serve from the app/static dirs directly in development.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Real-time limits (see README "Configuration") ---------------------------

WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 64 * 1024)
# Deepest nesting of objects/arrays accepted in a REST JSON body or a socket frame's `data`.
JSON_MAX_DEPTH = env_int("JSON_MAX_DEPTH", 32)
WS_RATE_LIMIT_PER_SECOND = env_float("WS_RATE_LIMIT_PER_SECOND", 20.0)
WS_RATE_LIMIT_BURST = env_int("WS_RATE_LIMIT_BURST", 40)
# How many rate-limited frames in a row close the socket with 4429.
WS_RATE_LIMIT_STRIKES = env_int("WS_RATE_LIMIT_STRIKES", 20)
WS_IDLE_TIMEOUT_SECONDS = env_float("WS_IDLE_TIMEOUT_SECONDS", 300.0)
# A frame the server cannot hand to a client within this time (its send buffer stays full: a
# stalled tab) closes the socket with 4504; the client resumes with ?after=.
WS_SEND_TIMEOUT_SECONDS = env_float("WS_SEND_TIMEOUT_SECONDS", 10.0)
WS_MAX_CONNECTIONS_PER_USER = env_int("WS_MAX_CONNECTIONS_PER_USER", 20)
PRESENCE_TTL_SECONDS = env_float("PRESENCE_TTL_SECONDS", 30.0)
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 4000)
CHAT_GROUP_MAX_MEMBERS = env_int("CHAT_GROUP_MAX_MEMBERS", 20)
CHAT_TYPING_TIMEOUT_SECONDS = env_float("CHAT_TYPING_TIMEOUT_SECONDS", 3.0)
# Group commit: a socket's chat message waits this long for others of its process to share its transaction.
CHAT_GROUP_COMMIT_WINDOW_MS = env_float("CHAT_GROUP_COMMIT_WINDOW_MS", 2.0)
# Receipts of one process wait this long for each other: one messages_read per conversation per window.
CHAT_RECEIPT_WINDOW_MS = env_float("CHAT_RECEIPT_WINDOW_MS", 10.0)
NOTIFICATIONS_BATCH_WINDOW_SECONDS = env_float("NOTIFICATIONS_BATCH_WINDOW_SECONDS", 2.0)
LIVE_MAX_VIEWERS = env_int("LIVE_MAX_VIEWERS", 50)
LIVE_STREAMER_GRACE_SECONDS = env_float("LIVE_STREAMER_GRACE_SECONDS", 30.0)
LIVE_MAX_SDP_BYTES = env_int("LIVE_MAX_SDP_BYTES", 16 * 1024)
LIVE_COMMENT_MAX_LENGTH = env_int("LIVE_COMMENT_MAX_LENGTH", 500)
RTC_MAX_PARTICIPANTS = env_int("RTC_MAX_PARTICIPANTS", 50)
RTC_MAX_BROADCAST_BYTES = env_int("RTC_MAX_BROADCAST_BYTES", 16 * 1024)
ITEMS_PROCESS_SECONDS = env_float("ITEMS_PROCESS_SECONDS", 0.5)

# --- WebRTC ICE ---------------------------------------------------------------

RTC_STUN_URLS = env_list("RTC_STUN_URLS", "stun:stun.l.google.com:19302")
RTC_TURN_URLS = env_list("RTC_TURN_URLS")
RTC_TURN_SECRET = env_str("RTC_TURN_SECRET")
RTC_TURN_TTL_SECONDS = env_int("RTC_TURN_TTL_SECONDS", 600)  # TURN credentials live 10 minutes
# Fixed TURN credentials (a managed TURN provider), beside or instead of the secret (rtc/ice.py).
RTC_TURN_USERNAME = env_str("RTC_TURN_USERNAME")
RTC_TURN_CREDENTIAL = env_str("RTC_TURN_CREDENTIAL")
RTC_TURN_STATIC_URLS = env_list("RTC_TURN_STATIC_URLS")
RTC_TURN_ONLY = env_bool("RTC_TURN_ONLY", default=_policy == "relay")
RTC_BUNDLE_POLICY = env_str("RTC_BUNDLE_POLICY", "max-bundle")
RTC_RTCP_MUX_POLICY = env_str("RTC_RTCP_MUX_POLICY", "require")
_turn_problem = turn_settings_problem(
    stun_urls=RTC_STUN_URLS,
    turn_urls=RTC_TURN_URLS,
    secret=RTC_TURN_SECRET,
    username=RTC_TURN_USERNAME,
    credential=RTC_TURN_CREDENTIAL,
    static_urls=RTC_TURN_STATIC_URLS,
    turn_only=RTC_TURN_ONLY,
)
if _turn_problem:
    raise ImproperlyConfigured(_turn_problem)

# --- Operations: metrics, stats, readiness, errors (README "Operations", docs/operations.md) ---

# /metrics answers requests from these networks (client address after --proxy-headers), or
# with `Authorization: Bearer <METRICS_TOKEN>`; anyone else gets 403.
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128")
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Each process reports its sockets and messages this often for /api/stats/ and the stats page.
STATS_REPORT_SECONDS = env_float("STATS_REPORT_SECONDS", 2.0)
# /ready/ fails (503) when the oldest queued background task has waited longer (0 = never).
READY_MAX_TASK_AGE_SECONDS = env_float("READY_MAX_TASK_AGE_SECONDS", 300.0)
SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0)
if SENTRY_DSN:
    from realtime.sentry import init_sentry

    init_sentry(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "realtime.logging.ContextFilter"},
        "redact": {"()": "realtime.logging.RedactSecretsFilter"},
    },
    "formatters": {"json": {"()": "realtime.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Without this, Django's default "console" handler (DEBUG only) printed a second,
        # plain-text copy of every django.* warning ("Unauthorized: /api/...").
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        # uvicorn configures these before Django loads (config/uvicorn_logging.json, the same
        # handler); restated here so a server started without --log-config is JSON and redacted too.
        # No handler and no propagation for the access log: the app's "request" line replaces it,
        # and uvicorn only writes it when the logger has a handler.
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        "uvicorn.access": {"handlers": [], "propagate": False},
        "uvicorn.asgi": {"handlers": [], "propagate": True},
        "asyncio": {"level": "WARNING"},
        "aioice": {"level": "WARNING"},
        "aiortc": {"level": "WARNING"},
    },
}

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-pass-123")
