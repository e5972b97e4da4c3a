"""Settings for CR Equipment Tracker, read from environment variables.

Every setting a deployment may change is read here from the environment, with a type and a
comment. The README lists them all. Secrets are required when DEBUG is off.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Return the environment variable ``name`` read as a boolean."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """Return the comma-separated environment variable ``name`` as a list."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Return the environment variable ``name`` as an integer, naming it when it is not one."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


# Development conveniences and detailed error pages. Off unless DEBUG=1 is set.
DEBUG: bool = env_bool("DEBUG", False)

# Signs sessions and CSRF tokens. Required when DEBUG is off; a fixed insecure key otherwise.
SECRET_KEY: str = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(a long random string) when DEBUG is off."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

# Host names this site answers to (comma separated).
ALLOWED_HOSTS: list[str] = env_list(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)

# Origins trusted for CSRF when served behind a proxy on another scheme/port (comma separated).
CSRF_TRUSTED_ORIGINS: list[str] = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_tables2",
    "simple_history",
    "inventory",
    "deployments",
    "monitoring",
    "reports",
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
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inventory.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# Database: DATABASE_URL (e.g. postgres://user:pass@host:5432/name); SQLite file by default.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the poller write while pages read; a busy timeout instead of "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Languages: English, Russian and Tajik; the interface offers a switch on every page.
LANGUAGE_CODE: str = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("tg", _("Tajik")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Dushanbe"
USE_I18N = True
USE_TZ = True

# Static files are shipped with the project and served by WhiteNoise: no CDN.
STATIC_URL = "static/"
STATIC_ROOT: Path = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
# Hashed, compressed file names (needs `collectstatic`); on by default when DEBUG is off.
STATIC_MANIFEST: bool = env_bool("STATIC_MANIFEST", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collected files (development, tests) WhiteNoise serves straight from the sources.
WHITENOISE_USE_FINDERS: bool = not STATIC_MANIFEST

# Uploaded files (signed acts, photos).
MEDIA_URL = "media/"
MEDIA_ROOT: Path = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# HTTPS: an office LAN install may be HTTP only, so these follow one switch.
SECURE_HTTPS: bool = env_bool("SECURE_HTTPS", False)
SECURE_SSL_REDIRECT = SECURE_HTTPS
SESSION_COOKIE_SECURE = SECURE_HTTPS
CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SILENCED_SYSTEM_CHECKS: list[str] = (
    []
    if SECURE_HTTPS
    else [
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ]
)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE: int = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)

# Lists: rows per page.
PAGE_SIZE: int = env_int("PAGE_SIZE", 50)

# django-tables2 renders our own light template (no CSS framework, no CDN).
DJANGO_TABLES2_TEMPLATE = "includes/table.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools report each PDF's progress at INFO: keep only their warnings.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Dates as dd.mm.yyyy in every language (config/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

# Spreadsheet imports: largest file accepted, in megabytes, and most data rows in one sheet.
IMPORT_MAX_MB: int = env_int("IMPORT_MAX_MB", 20)
IMPORT_MAX_ROWS: int = env_int("IMPORT_MAX_ROWS", 50_000)
# Uploads above this size are spooled to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Signed handover-act scans (PDF, JPEG, PNG): largest file accepted, in megabytes.
ACT_SCAN_MAX_MB: int = env_int("ACT_SCAN_MAX_MB", 15)
# Photos taken on site: of a repair step, and of a device when it is verified (megabytes).
REPAIR_PHOTO_MAX_MB: int = env_int("REPAIR_PHOTO_MAX_MB", 8)
VERIFICATION_PHOTO_MAX_MB: int = env_int("VERIFICATION_PHOTO_MAX_MB", 8)
# The address QR codes on printed acts and labels point to, e.g. https://cr-tracker.example.tj
# (no trailing slash). Empty: the address the page was requested on.
SITE_URL: str = os.environ.get("SITE_URL", "").rstrip("/")

# --- Monitoring (SNMP) -------------------------------------------------------------------------
# Seconds between the starts of two poll rounds of `manage.py monitor` (rounds never overlap).
MONITOR_INTERVAL_S: int = env_int("MONITOR_INTERVAL_S", 300)
# Days of poll history kept; `manage.py monitor` deletes older outcomes once a day.
MONITOR_KEEP_DAYS: int = env_int("MONITOR_KEEP_DAYS", 400)
# Hours after which an unchanged device's outcome is stored again as a sample (changes are
# always stored), so the history stays small.
MONITOR_SAMPLE_HOURS: int = env_int("MONITOR_SAMPLE_HOURS", 6)
# Key(s) encrypting SNMP communities and v3 keys at rest, comma separated: the first encrypts,
# all decrypt (rotation). Empty: a key derived from SECRET_KEY (see monitoring/secrets.py).
MONITOR_SECRET_KEY: str = os.environ.get("MONITOR_SECRET_KEY", "")

# --- Alerts (issue 6) ---------------------------------------------------------------------------
# A device down this long is "unreachable"; supplies at or below these percents are low or
# critical; a UPS charge under this percent is low; one e-mail per technician per this period.
ALERT_UNREACHABLE_MINUTES: int = env_int("ALERT_UNREACHABLE_MINUTES", 30)
ALERT_SUPPLY_WARNING: int = env_int("ALERT_SUPPLY_WARNING", 15)
ALERT_SUPPLY_CRITICAL: int = env_int("ALERT_SUPPLY_CRITICAL", 5)
ALERT_UPS_CHARGE: int = env_int("ALERT_UPS_CHARGE", 50)
ALERT_EMAIL_EVERY_MINUTES: int = env_int("ALERT_EMAIL_EVERY_MINUTES", 60)
# The open-alert count in the menu.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("monitoring.context_processors.alerts")

# --- Service readiness (issue 8) --------------------------------------------------------------
# After a poll round, readiness is recomputed for the offices whose devices changed health, and
# for every office when the last complete recomputation is this many minutes old (register
# changes such as moves and new service requirements show then, or at once with "Recompute").
READINESS_FULL_MINUTES: int = env_int("READINESS_FULL_MINUTES", 15)
# Alert e-mails go through Django's mail settings: printed to the console while developing.
EMAIL_BACKEND: str = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL: str = os.environ.get("DEFAULT_FROM_EMAIL", "cr-tracker@localhost")
