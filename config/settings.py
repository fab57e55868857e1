"""Settings, read from the environment (see .env.example for every variable).

Unset, everything falls back to the embedded default: SQLite in the project folder,
Celery tasks run eagerly in-process, console email and the offline grader.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import csp.constants
from django.core.exceptions import ImproperlyConfigured

from config.database import database_settings, web_process

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "django-insecure-coachline-development-key-never-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off (production mode) Coachline refuses to start "
            "without a real secret key. Generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` and export it as "
            "SECRET_KEY (see .env.example)."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production mode: use at least 50 random characters "
        "(for example `python -c 'import secrets; print(secrets.token_urlsafe(50))'`)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is empty. In production mode set it to the host names Coachline is "
        "served on, comma-separated (for example ALLOWED_HOSTS=coachline.example.com)."
    )

# Where users reach the site. Links in emails sent outside a request (invitations,
# assignment notices and reminders) start with it, so production mode needs the real one.
SITE_URL = os.environ.get("SITE_URL", "").strip()
if not SITE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SITE_URL is not set. In production mode set it to the address users reach "
            "Coachline at (for example SITE_URL=https://coachline.example.com): the links in "
            "invitation and assignment emails start with it."
        )
    SITE_URL = "http://127.0.0.1:8000"
_site = urlsplit(SITE_URL)
if _site.scheme not in {"http", "https"} or not _site.netloc:
    raise ImproperlyConfigured(
        f"SITE_URL must be an absolute http(s) address such as https://coachline.example.com, "
        f"not {SITE_URL!r}."
    )
SITE_ORIGIN = f"{_site.scheme}://{_site.netloc}"

# The site's own origin is always trusted for CSRF, so a TLS proxy that does not pass the
# Host header through still works; list any other origins (comma-separated) in the variable.
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if SITE_ORIGIN not in CSRF_TRUSTED_ORIGINS:
    CSRF_TRUSTED_ORIGINS.append(SITE_ORIGIN)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "curriculum",
    "exercises",
    "grading",
    "studio",
    "authoring",
    "reporting",
    # Label `impact` (its tables, migrations and permissions keep that name).
    "reporting.impact",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Every request in its reader's time zone (User.time_zone, else TIME_ZONE).
    "curriculum.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, nearest the views: a lock or statement timeout becomes a clear 503, not a 500.
    "curriculum.middleware.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "reporting.context_processors.navigation",
            ],
        },
    },
]

# Persistent connections (DATABASE_CONN_MAX_AGE, health-checked before reuse); the web
# process also gets PostgreSQL lock and statement timeouts (config/database.py).
DATABASES = {
    "default": database_settings(
        url=os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'coachline.sqlite3'}",
        web=web_process(),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache matters once there is more than one web process: allauth's rate
# limits live in it. It fails open (curriculum/cache.py): with Redis down, pages and
# logins keep working, the rate limits are off and a warning is logged.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHES = {
    "default": (
        {"BACKEND": "curriculum.cache.FailOpenRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

AUTH_USER_MODEL = "curriculum.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "landing"

# django-allauth: email is the login; rate limits stay at allauth's defaults (on).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_SIGNUP_FORM_CLASS = "curriculum.forms.SignupForm"
# Sign-up and password reset never tell whether an address has an account: sign-up always
# answers "check your email" (curriculum/signup.py).
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_FORMS = {"signup": "curriculum.signup.SignupForm"}
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS_ENABLED = env_bool("ACCOUNT_RATE_LIMITS_ENABLED", True)
if not ACCOUNT_RATE_LIMITS_ENABLED:
    ACCOUNT_RATE_LIMITS = False
# allauth builds the links in its emails from the request; never let them say http when
# the site is reached over https (a proxy that drops X-Forwarded-Proto).
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Coachline] "
# The rate limits count per client IP. Behind a reverse proxy every request comes from the
# proxy's address, so without these one person's failed logins would lock everyone out:
# the number of proxies in front of gunicorn that append to X-Forwarded-For, or the header
# a single trusted proxy puts the client's address in (e.g. X-Real-IP). Leave both unset
# when clients reach gunicorn directly, as the headers can then be forged.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "").strip() or "0")
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = os.environ.get("TRUSTED_CLIENT_IP_HEADER", "").strip() or None

# Email: printed to the console in development. Production mode needs real delivery
# (password resets, invitations and reminders are emails), so it refuses to start without
# EMAIL_HOST (SMTP) or an explicit EMAIL_BACKEND.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "").strip() or "localhost"
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "").strip()
if not EMAIL_BACKEND:
    if DEBUG:
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif os.environ.get("EMAIL_HOST", "").strip():
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    else:
        raise ImproperlyConfigured(
            "Email is not configured. In production mode set EMAIL_HOST (and EMAIL_PORT, "
            "EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) for SMTP, or set "
            "EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend to print emails to "
            "the log on purpose (see .env.example)."
        )
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "").strip() or "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured(
        "Set only one of EMAIL_USE_TLS (STARTTLS, usually port 587) and EMAIL_USE_SSL "
        "(implicit TLS, usually port 465)."
    )
# An SMTP server that stops answering must not hold a web request (or a worker) forever.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "").strip() or "10")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Coachline <coachline@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
# The zone of visitors who are not logged in and of users who chose none; everyone else
# reads dates in their own (User.time_zone, docs/time-zones.md). Stored times are UTC.
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", "").strip() or BASE_DIR / "staticfiles")
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

# Celery: without a broker, tasks run eagerly in the web process (the embedded default).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "").strip() or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL", "").strip()
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", "").strip() or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis hands an unacknowledged task (acks_late) to another worker after this long, so it
# must outlast the longest task, a ticket import (61 minutes at most): Redis's default of one
# hour would run a long import twice. Tasks lost with a killed worker come back after it;
# the beat sweeps recover stuck drafts and grading much sooner.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_TIMEZONE = TIME_ZONE

# LLM: unset LLM_BASE_URL/LLM_MODEL means the offline grader and authored drafts.
LLM_BASE_URL = os.environ.get("LLM_BASE_URL", "").strip()
LLM_MODEL = os.environ.get("LLM_MODEL", "").strip()
LLM_API_KEY = os.environ.get("LLM_API_KEY", "").strip()
LLM_TIMEOUT_SECONDS = float(os.environ.get("LLM_TIMEOUT_SECONDS", "30"))
# How long every worker remembers which structured-output dialect the endpoint accepts.
LLM_DIALECT_TTL_SECONDS = int(os.environ.get("LLM_DIALECT_TTL_SECONDS", str(6 * 3600)))
# A model that rate-limits or fails (429, 5xx, timeouts) is asked again with capped
# exponential backoff and full jitter (curriculum/retry.py), never sooner than its
# Retry-After, for up to LLM_RETRY_FOR_SECONDS; meanwhile the offline grade is shown as
# provisional. After that the offline grade stands, flagged (`manage.py regrade_llm`).
LLM_RETRY_BASE_SECONDS = float(os.environ.get("LLM_RETRY_BASE_SECONDS", "").strip() or "5")
LLM_RETRY_MAX_DELAY_SECONDS = float(
    os.environ.get("LLM_RETRY_MAX_DELAY_SECONDS", "").strip() or "600"
)
LLM_RETRY_FOR_SECONDS = float(os.environ.get("LLM_RETRY_FOR_SECONDS", "").strip() or "21600")
# A grading worker holds a lease on its job, renewed every third of it while it works; a
# job whose worker died is taken over once the lease expires (redelivery or the sweep).
GRADING_LEASE_SECONDS = float(os.environ.get("GRADING_LEASE_SECONDS", "").strip() or "75")

# Production hardening: `manage.py check --deploy` is clean when DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and styles only from the site's own static
# files, or inline with the per-request nonce (`nonce="{{ request.csp_nonce }}"`; no page
# needs one today). No 'unsafe-inline' for styles either: no template has a style
# attribute (progress bars are <progress> elements). The 400/500 pages are rendered
# without a request, so their one inline <style> is allowed by its hash instead
# (tests/config/test_csp.py fails if the block changes without this hash).
# Nothing is loaded from another origin.
ERROR_PAGE_STYLE_HASH = "'sha256-y5EmfvT9sMLP+T/77OLgHd5+dR3FtcTCQWaeQbZUMLA='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF, csp.constants.NONCE],
        "style-src": [csp.constants.SELF, csp.constants.NONCE, ERROR_PAGE_STYLE_HASH],
        "img-src": [csp.constants.SELF],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.NONE],
        "form-action": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
    },
}
# CSRF failures (a form left open past a logout, blocked cookies) get the site's own page.
CSRF_FAILURE_VIEW = "curriculum.views.csrf_failure"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    # Opt-in: `includeSubDomains` forces HTTPS on every other host of the domain, and
    # `preload` is hard to take back; set both only when every subdomain serves HTTPS.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Leaving them off is a decision, not an oversight: `check --deploy` stays clean.
    SILENCED_SYSTEM_CHECKS = [
        *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
        *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
    ]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Eager tasks in the web process would log every success; workers log their own way.
    # The model client (httpx) would log a line per request: every grade and draft.
    "loggers": {"celery.app.trace": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Uploaded help-desk exports wait here until the import task reads them. With workers on
# other machines, point it at shared storage (or configure STORAGES["impact_imports"]).
IMPACT_IMPORT_ROOT = Path(
    os.environ.get("IMPACT_IMPORT_ROOT", "").strip() or BASE_DIR / "media" / "impact-imports"
)

# Where `load_content` reads authored content from by default.
CONTENT_DIR = Path(os.environ.get("CONTENT_DIR", "").strip() or BASE_DIR / "fixtures" / "content")


def env_int(name: str, default: int) -> int:
    """A positive whole number from the environment (1_000_000 and 1000000 both read)."""
    value = os.environ.get(name, "").strip()
    try:
        number = int(value.replace("_", "")) if value else default
    except ValueError:
        number = 0
    if number < 1:
        raise ImproperlyConfigured(f"{name} must be a positive whole number, not {value!r}")
    return number


# Size limits on accepted input, in bytes (docs/input-limits.md).
# Batch commands (JSON Lines): a longer line is reported and skipped; past the file limit
# the rest of the input is not read. Both can be changed per run (--max-line-bytes ...).
BATCH_MAX_LINE_BYTES = env_int("BATCH_MAX_LINE_BYTES", 1_000_000)
BATCH_MAX_FILE_BYTES = env_int("BATCH_MAX_FILE_BYTES", 200_000_000)
# Content files (load_content): a larger file is refused by its size, before it is read.
CONTENT_MAX_FILE_BYTES = env_int("CONTENT_MAX_FILE_BYTES", 1_000_000)
# Tickets imported for authoring (authoring/redaction.py): the regions whose national phone
# formats are recognised without a leading +country code (ISO 3166 codes, comma-separated).
AUTHORING_PHONE_REGIONS = env_list("AUTHORING_PHONE_REGIONS", "US,GB")
# The ticket API: a larger request body is answered 413 before it is read (1,000 tickets
# take about 300 KB). Help-desk CSV uploads: a larger file is refused with a message.
IMPACT_API_MAX_BODY_BYTES = env_int("IMPACT_API_MAX_BODY_BYTES", 2_500_000)
IMPACT_UPLOAD_MAX_BYTES = env_int("IMPACT_UPLOAD_MAX_BYTES", 100_000_000)

CELERY_BEAT_SCHEDULE = {
    "expire-stale-drafts": {
        "task": "exercises.tasks.draft_expire_stale_task",
        "schedule": 120.0,
    },
    # Often, so a job whose worker died is taken over soon after its lease expires.
    "sweep-stuck-grading": {
        "task": "grading.tasks.sweep_stuck_grading_task",
        "schedule": float(os.environ.get("GRADING_SWEEP_SECONDS", "").strip() or "30"),
    },
    # Peer review: expire overdue reviews, small-cohort fallback, flag inaccurate reviewers.
    "peer-review-sweep": {
        "task": "grading.peer.sweep",
        "schedule": 600.0,
    },
    # Assignments: email agents 24 hours before work is due (idempotent: reminded_at).
    "assignment-due-reminders": {
        "task": "exercises.tasks.assignment_reminders_task",
        "schedule": 900.0,
    },
}
