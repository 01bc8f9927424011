"""Project settings, read from the environment.

Every value a deployment changes comes from an environment variable; the README
has a table of all of them. With nothing set, the project runs on an embedded
default: a SQLite file, the in-memory channel layer and DEBUG on.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


# --- Core -----------------------------------------------------------------

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Origins allowed to open WebSockets with the user's cookie. Empty: derived from
# ALLOWED_HOSTS (any scheme and port), the same rule as Channels'
# AllowedHostsOriginValidator.
WS_ALLOWED_ORIGINS = env_list("WS_ALLOWED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
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
    "realtime.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "realtime.logging.RequestUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
PRESENCE_PREFIX = env_str("PRESENCE_PREFIX", "presence")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py defaults to a 5 s socket timeout, but channels-redis blocks up to
                # 5 s waiting for messages: an idle socket would die with "Timeout reading".
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "asgi"),
                "capacity": env_int("CHANNEL_LAYER_CAPACITY", 1000),
                "expiry": 60,
                "group_expiry": 86400,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# --- Auth -----------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None

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
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "UPDATE_LAST_LOGIN": False,
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
# Serve from the app/static dirs directly in development, so `make run` needs no collectstatic.
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
WS_MAX_CONNECTIONS_PER_USER = env_int("WS_MAX_CONNECTIONS_PER_USER", 20)
PRESENCE_TTL_SECONDS = env_float("PRESENCE_TTL_SECONDS", 30.0)
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 4000)
CHAT_GROUP_MAX_MEMBERS = env_int("CHAT_GROUP_MAX_MEMBERS", 20)
CHAT_TYPING_TIMEOUT_SECONDS = env_float("CHAT_TYPING_TIMEOUT_SECONDS", 3.0)
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
RTC_TURN_ONLY = env_bool("RTC_TURN_ONLY")
RTC_BUNDLE_POLICY = env_str("RTC_BUNDLE_POLICY", "max-bundle")
RTC_RTCP_MUX_POLICY = env_str("RTC_RTCP_MUX_POLICY", "require")

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
        "django.server": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
        "daphne": {"level": "WARNING"},
        "asyncio": {"level": "WARNING"},
        "aioice": {"level": "WARNING"},
        "aiortc": {"level": "WARNING"},
    },
}

DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-pass-123")
