"""SalesDesk settings: one module, driven by environment variables (django-environ).

Defaults give the one-office-box mode: SQLite in ``var/``, SqliteHuey in ``var/huey.sqlite3``,
mail written to ``var/mail/``, plain HTTP on the LAN. Production settings come from the
environment (or an optional ``.env`` file); see docs/deployment.md.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(str(BASE_DIR / ".env"))

VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

# --- database -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'salesdesk.sqlite3'}")}
DB_ENGINE = DATABASES["default"]["ENGINE"]
IS_SQLITE = DB_ENGINE.endswith("sqlite3")
if IS_SQLITE:
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so that
    # a transaction never fails half-way on lock upgrade; 20 s busy timeout before 503.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        # SQLITE_INIT_COMMAND: set only by bench/data.py while it loads a bench database
        "init_command": env.str(
            "SQLITE_INIT_COMMAND", default="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default=str(VAR_DIR / "test.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- secret key -----------------------------------------------------------------------------
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not IS_SQLITE:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment when not on SQLite.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- HTTPS mode: one setting away from the LAN-HTTP default ----------------------------------
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if HTTPS and env.bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "simple_history",
    "axes",
    "huey.contrib.djhuey",
    "ninja",
    "salesdesk.core",
    "salesdesk.org",
    "salesdesk.customers",
    "salesdesk.catalog",
    "salesdesk.ledger",
    "salesdesk.contracts",
    "salesdesk.orders",
    "salesdesk.finance",
    "salesdesk.logistics",
    "salesdesk.team",
    "salesdesk.reports",
    "salesdesk.commission",
    "salesdesk.desk",
    "salesdesk.office",
    "salesdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "salesdesk.core.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "salesdesk.core.middleware.DatabaseBusyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "salesdesk.urls"
WSGI_APPLICATION = "salesdesk.wsgi.application"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "salesdesk" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "salesdesk.core.context_processors.shell",
            ],
        },
    },
]

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

# django-axes: lock out a username + IP pair after repeated failures; the client IP comes from a
# configured proxy header only when a proxy is declared (otherwise REMOTE_ADDR).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy set PROXY_IP_HEADER (e.g. HTTP_X_FORWARDED_FOR) and PROXY_COUNT; without one
# the header is ignored, since any client could forge it.
PROXY_IP_HEADER = env.str("PROXY_IP_HEADER", default="")
AXES_IPWARE_PROXY_COUNT = env.int("PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = [PROXY_IP_HEADER, "REMOTE_ADDR"] if PROXY_IP_HEADER else ["REMOTE_ADDR"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# --- i18n / time ----------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600  # the user's language choice survives closing the browser
# The UI is Chinese unless the user picks English; a browser's Accept-Language is ignored unless asked.
HONOR_ACCEPT_LANGUAGE = env.bool("HONOR_ACCEPT_LANGUAGE", default=False)
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "salesdesk" / "static"]
# WhiteNoise serves straight from the finders, so runserver with DEBUG=0 needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"  # never served directly: attachments go through a permission-checked view
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_SIZE = env.int("MAX_UPLOAD_SIZE", default=20 * 1024 * 1024)

# --- mail -----------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SalesDesk <salesdesk@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 30

# --- jobs -----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
HUEY_FILE = env.str("HUEY_FILE", default=str(VAR_DIR / "huey.sqlite3"))
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env.str("HUEY_NAME", default="salesdesk"),
        "url": REDIS_URL,
        "utc": False,  # crontabs are Beijing time: 17:00 means 17:00 in Asia/Shanghai
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "salesdesk",
        "filename": HUEY_FILE,
        "utc": False,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
WORKER_DOWN_AFTER_SECONDS = env.int("WORKER_DOWN_AFTER_SECONDS", default=300)
# Retention (salesdesk/core/retention.py, nightly 03:17): days kept for finished job runs, sent outbox messages,
# read notifications, the stored copy (body + Excel) of sent report deliveries (the row stays) and axes records.
RETENTION_DAYS = {
    "job_runs": env.int("RETENTION_JOB_RUNS_DAYS", default=90),
    "outbox": env.int("RETENTION_OUTBOX_DAYS", default=90),
    "notifications": env.int("RETENTION_NOTIFICATIONS_DAYS", default=365),
    "report_copies": env.int("RETENTION_REPORT_COPIES_DAYS", default=180),
    "axes": env.int("RETENTION_AXES_DAYS", default=90),
}
ADMINS = [("Admin", a) for a in env.list("ADMIN_EMAILS", default=[])]

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_MAX_LIMIT = 500
API_TOKEN_DEFAULT_DAYS = env.int("API_TOKEN_DEFAULT_DAYS", default=0)  # 0 = no expiry

# --- tables ---------------------------------------------------------------------------------
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
    "loggers": {"salesdesk": {"level": env.str("LOG_LEVEL", default="INFO")}},
}

SALESDESK_VERSION = "0.1.0"
COMPANY_NAME = env.str("COMPANY_NAME", default="示例贸易有限公司")
# 送货单 page: "A4" or "241" (241 mm × 140 mm continuous forms for dot-matrix printers)
LOGISTICS_DELIVERY_NOTE_SIZE = env.str("LOGISTICS_DELIVERY_NOTE_SIZE", default="A4")
# When the daily waybill notice (每日发货物流单通知) goes out on working days, Beijing time
WAYBILL_NOTICE_AT = env.str("WAYBILL_NOTICE_AT", default="17:00")
# From which working day of a month the clerks are reminded daily until last month's commission run is approved.
COMMISSION_REMINDER_WORKDAY = env.int("COMMISSION_REMINDER_WORKDAY", default=3)
# Backups (manage.py backup / restore; nightly at 02:30 Beijing time): where, and how many to keep.
BACKUP_DIR = Path(env.str("BACKUP_DIR", default=str(VAR_DIR / "backups")))
BACKUP_KEEP_DAILY = env.int("BACKUP_KEEP_DAILY", default=7)
BACKUP_KEEP_MONTHLY = env.int("BACKUP_KEEP_MONTHLY", default=12)
