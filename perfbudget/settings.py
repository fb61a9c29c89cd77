"""perfbudget settings, all read from the environment with safe development defaults."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from perfbudget.lib.env import envbool, envint, envlist

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = envbool("DEBUG", "1")
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789abcdef"
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "perfbudget.admin_site.SuperuserAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "simple_history",
    "perfbudget.admin_site.LoginSecurityConfig",
    "departments",
    "indicators",
    "projects",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "perfbudget.lib.security.ContentSecurityPolicyMiddleware",
    "perfbudget.lib.logs.WriteLogMiddleware",
    "perfbudget.lib.security.RequestSizeMiddleware",
    "perfbudget.lib.errors.MethodNotAllowedPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "perfbudget.lib.security.PrivateCacheMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Reads form fields in process_view: after the CSRF check and the login requirement.
    "perfbudget.lib.security.RefuseControlCharactersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out login into its answer (perfbudget/lib/login_throttle.py).
    "axes.middleware.AxesMiddleware",
]

if not DEBUG:
    # Static files served by the app itself under gunicorn (DEBUG serves them from the sources).
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "perfbudget.urls"
WSGI_APPLICATION = "perfbudget.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", "0"),
        # A kept connection that the server dropped (a restart) is replaced, not reported.
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite (make run): writers take the lock when their transaction starts, so two requests
    # writing at once wait for each other instead of one failing with "database is locked"; a
    # writer waits up to 20 s; readers do not block writers (WAL).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=20,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "perfbudget.lib.passwords.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Chinese for the strings 系统管理 shows that Django and its add-ons ship untranslated.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Served by whitenoise; outside DEBUG the files carry their content hash (run collectstatic first).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # The files background jobs make: a directory every app server and worker reaches (on
    # several servers, a shared mount).
    "jobs": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.getenv("FILES_DIR", str(BASE_DIR / "var" / "files"))},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or envbool("STATIC_PLAIN", "0")
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", str(8 * 3600))

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# A history record's reason holds what a user wrote (a reopening's reason), not only a label.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Rendered PDFs and workbooks keyed by their content's fingerprint (perfbudget/lib/downloads.py),
# table layouts and import previews. On one server a cache directory; with REDIS_URL set, Redis,
# shared by every app server and worker.
REDIS_URL = os.getenv("REDIS_URL", "")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.getenv("CACHE_DIR", str(BASE_DIR / "var" / "cache")),
        "OPTIONS": {"MAX_ENTRIES": envint("CACHE_MAX_ENTRIES", "2000")},
    }
}
if REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "perfbudget",
    }
DOWNLOAD_CACHE_SECONDS = envint("DOWNLOAD_CACHE_SECONDS", str(30 * 24 * 3600))

# Login throttling: django-axes, configured by perfbudget/lib/login_throttle.py. A user name
# from one address is locked after LOGIN_FAILURE_LIMIT failures, an address (whatever the
# names) after LOGIN_ADDRESS_FAILURE_LIMIT, each for LOGIN_FAILURE_WINDOW seconds after the last
# failure. Behind a proxy, TRUSTED_PROXY_COUNT says how many of X-Forwarded-For's entries
# (from the right) the app's own proxies wrote; 0 reads only REMOTE_ADDR.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", "5")
LOGIN_ADDRESS_FAILURE_LIMIT = envint("LOGIN_ADDRESS_FAILURE_LIMIT", "50")
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", str(15 * 60))
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "0")
AUTHENTICATION_BACKENDS = [
    "perfbudget.lib.login_throttle.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "perfbudget.lib.login_throttle.LoginThrottleHandler"
# LoginThrottleHandler reads these two counts in this order.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_FAILURE_LIMIT = "perfbudget.lib.login_throttle.failure_limit"
AXES_COOLOFF_TIME = "perfbudget.lib.login_throttle.failure_window"
AXES_USERNAME_CALLABLE = "perfbudget.lib.login_throttle.normalized_username"
AXES_CLIENT_IP_CALLABLE = "perfbudget.lib.login_throttle.client_address"
AXES_LOCKOUT_CALLABLE = "perfbudget.lib.login_throttle.lockout_response"
# A locked-out name stays locked for the window after its last failure, not after each refused try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success does not wipe the address's failures: one valid account would otherwise reset the
# count of an address trying many names.
AXES_RESET_ON_SUCCESS = False
# Failed logins are kept as AccessAttempt rows only; no log of every successful login.
AXES_DISABLE_ACCESS_LOG = True
AXES_COOLOFF_MESSAGE = AXES_PERMALOCK_MESSAGE = "登录失败次数过多，请稍后再试。"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The project editor posts about 11 fields per 三级 indicator: a project at the limit of 300
# indicators (projects.models.MAX_INDICATORS_PER_PROJECT) must save, and a bigger one is refused
# by the editor with its message, not by this limit.
DATA_UPLOAD_MAX_NUMBER_FIELDS = envint("DATA_UPLOAD_MAX_NUMBER_FIELDS", "4000")

# A request body (form fields and files together) larger than this is refused by its declared
# length before it is read: the largest import (10 MB) with room for the form around it.
MAX_REQUEST_BYTES = envint("MAX_REQUEST_BYTES", str(11 * 1024 * 1024))

# A booklet PDF laid out on several cores is stopped after this many seconds (below gunicorn's
# 120 s, which gthread workers never enforce).
PDF_RENDER_TIMEOUT = envint("PDF_RENDER_TIMEOUT", "100")

# Background jobs (jobs/): a booklet of at least JOB_MIN_TABLES tables, and every unit's booklets
# of a year, are made by a worker while the page shows their progress. JOB_BACKEND is "thread"
# (threads inside the app's own process: `make run`, one server), "rq" (RQ workers on Redis,
# started by `make serve` beside gunicorn; the default when REDIS_URL is set) or "inline" (in
# the request itself: tests). JOB_WORKERS threads or worker processes run jobs at once. A job
# whose worker was killed is run again, up to JOB_RETRIES more times; a file is kept
# JOB_KEEP_DAYS days.
JOB_BACKEND = os.getenv("JOB_BACKEND", "rq" if REDIS_URL else "thread")
JOB_WORKERS = envint("JOB_WORKERS", "1")
JOB_QUEUE = os.getenv("JOB_QUEUE", "perfbudget")
JOB_MIN_TABLES = envint("JOB_MIN_TABLES", "30")
JOB_RETRIES = envint("JOB_RETRIES", "2")
JOB_TIMEOUT = envint("JOB_TIMEOUT", "1800")
JOB_STALE_SECONDS = envint("JOB_STALE_SECONDS", "60")
JOB_KEEP_DAYS = envint("JOB_KEEP_DAYS", "7")

# `manage.py restore` refuses a backup file that unpacks to more than this (a small gzip can
# unpack to gigabytes); the largest real backups are a few MB.
RESTORE_MAX_BYTES = envint("RESTORE_MAX_BYTES", str(512 * 1024 * 1024))

# Uploads larger than this are spooled to FILE_UPLOAD_TEMP_DIR (the system's temp dir by default).
FILE_UPLOAD_TEMP_DIR = os.getenv("FILE_UPLOAD_TEMP_DIR") or None

# --- Production serving (make serve) -------------------------------------------------------
# Outside DEBUG every default is the strict one; each can be set from the environment.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "0" if DEBUG else "1")
# Load balancers probe the health endpoint over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if envbool("TRUST_X_FORWARDED_PROTO", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "0" if DEBUG else "1")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "perfbudget.views.csrf_failure"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600))
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "1")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Pages load scripts, styles, images and fonts from this server only; no inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# Errors and every write (method, path, status, user) go to standard error, or to LOG_FILE.
LOG_LEVEL = os.getenv("LOG_LEVEL", "INFO")
_LOG_HANDLER = (
    {"class": "logging.handlers.WatchedFileHandler", "filename": os.getenv("LOG_FILE")}
    if os.getenv("LOG_FILE")
    else {"class": "logging.StreamHandler"}
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {process} {message}", "style": "{"}
    },
    "handlers": {"main": {**_LOG_HANDLER, "formatter": "plain"}},
    "root": {"handlers": ["main"], "level": "WARNING"},
    "loggers": {
        "django": {"handlers": ["main"], "level": "WARNING", "propagate": False},
        "perfbudget": {"handlers": ["main"], "level": LOG_LEVEL, "propagate": False},
    },
}
