"""Pocketmentor settings: everything comes from the environment, with laptop defaults.

Every variable is listed in docs/configuration.md.
"""

import datetime as dt
import json
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from pocketmentor.lib.env import (
    database_settings,
    email_settings,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_str,
    env_time_zone,
    env_writable_dir,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_writable_dir("DATA_DIR", str(BASE_DIR.parent / "data"))

DEBUG = env_bool("DEBUG", False)
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(
        f"SITE_URL must start with https:// or http://, not {SITE_URL!r}; "
        "for example SITE_URL=https://learn.example.no."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "::1"}


def _secret_key() -> str:
    """Use SECRET_KEY; on a laptop, keep a generated key in the data folder instead."""
    key = env_str("SECRET_KEY", "")
    if key:
        if len(key) < 32:
            raise ImproperlyConfigured(
                f"SECRET_KEY must be at least 32 characters long, not {len(key)}; for example "
                "the output of: python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
            )
        return key
    if not set(ALLOWED_HOSTS) <= _LOCAL_HOSTS:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set, and it must be: ALLOWED_HOSTS names hosts beyond this "
            "machine; for example the output of: "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'."
        )
    path = DATA_DIR / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()

INSTALLED_APPS = [
    "pocketmentor.accounts",
    "pocketmentor.audit",
    "pocketmentor.privacy",
    "pocketmentor.orgs",
    "pocketmentor.programs",
    "pocketmentor.learning",
    "pocketmentor.people",
    "pocketmentor.insights",
    "pocketmentor.nudges",
    "pocketmentor",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
]

MIDDLEWARE = [
    # First: everything after it sees the client's address, not the proxy's.
    "pocketmentor.lib.proxies.ClientAddressMiddleware",
    # A zero byte or non-UTF-8 text anywhere the app reads is answered 400 before anything runs.
    "pocketmentor.middleware.BadInputMiddleware",
    "pocketmentor.middleware.PrivacyHeadersMiddleware",
    # Content-Security-Policy on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Compresses pages; Django pads the output against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Two-factor sign-in (accounts/two_factor.py): which second factor the session passed,
    # then a person with one is asked for it before anything else.
    "django_otp.middleware.OTPMiddleware",
    "pocketmentor.accounts.two_factor.SecondFactorMiddleware",
    "pocketmentor.accounts.middleware.PersonLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "pocketmentor.learning.pages.StaffWritesMiddleware",
    # Last: answers a locked-out staff sign-in with its page (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pocketmentor.urls"
WSGI_APPLICATION = "pocketmentor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the data folder by default; DATABASE_URL switches to PostgreSQL.
DATABASES = {
    "default": database_settings(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'pocketmentor.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, its health check asking the socket instead of the server (lib/postgres).
    DATABASES["default"]["ENGINE"] = "pocketmentor.lib.postgres"
if DATABASES["default"]["ENGINE"] == "pocketmentor.lib.postgres" and env_bool(
    "DATABASE_PREPARED_STATEMENTS", True
):
    # A query run five times on a connection is planned once: planning cost more than
    # running the small queries of a participant page. A pooler in transaction mode that
    # cannot keep prepared statements needs this off.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = None
    DATABASES["default"]["OPTIONS"] = {
        # Writers queue instead of failing, and readers never wait for writers.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

REDIS_URL = env_str("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "pocketmentor.lib.caches.ReusingRedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        # Django's default of 300 entries is outgrown by the marks of a cohort's first views
        # (learning/tracking.py: one a participant and unit a day), and a mark forgotten makes
        # a kept page render again: 100,000 entries of a few hundred bytes, about 30 MB at most.
        else {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
    # Participants' kept pages (learning/pages.py), about 4 KB each compressed: in Redis when
    # set, shared by every process and kept across restarts (bounded by Redis's maxmemory with
    # a volatile-lru policy, docs/configuration.md), else in each process's memory, bounded by
    # PAGES_CACHE_MB. Each page is set with its own expiry (six hours at most).
    "pages": (
        {
            "BACKEND": "pocketmentor.lib.caches.PagesRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pages",
            "TIMEOUT": 300,
        }
        if REDIS_URL
        else {
            "BACKEND": "pocketmentor.lib.caches.BytesLocMemCache",
            "LOCATION": "pages",
            "TIMEOUT": 300,
            "OPTIONS": {"MAX_BYTES": env_int("PAGES_CACHE_MB", 64, minimum=1) * 2**20},
        }
    ),
}
# One process counts exactly in its own memory; several processes share Redis. Our Redis cache
# is Django's, its clients kept (lib/caches.py), which django-ratelimit does not know by name.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] if REDIS_URL else ["django_ratelimit.E003"]

# Background work (docs/nudges.md): Django's tasks framework (the django-tasks backport),
# queued in the database by default or in Redis (RQ) for larger installations.
TASKS_BACKEND = env_choice("TASKS_BACKEND", "database", ["database", "redis"])
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "REDIS_URL is not set, and TASKS_BACKEND=redis needs it; "
            "for example REDIS_URL=redis://127.0.0.1:6379/0."
        )
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 900}}
# Poll answers are shown as shares only from this many answers, so that no one can infer
# another person's answer from a share (on phones and dashboards).
POLL_MIN_ANSWERS = env_int("POLL_MIN_ANSWERS", 5, minimum=1, maximum=100)
# Seconds between rounds when idle; messages per task; an unrenewed claim is retaken after
# the lease.
NUDGES_WORKER_INTERVAL = env_int("NUDGES_WORKER_INTERVAL", 10, minimum=1, maximum=3600)
NUDGES_BATCH_SIZE = env_int("NUDGES_BATCH_SIZE", 100, minimum=1, maximum=10_000)
NUDGES_LEASE_SECONDS = env_int("NUDGES_LEASE_SECONDS", 90, minimum=1, maximum=86_400)
NUDGES_MAX_ATTEMPTS = env_int("NUDGES_MAX_ATTEMPTS", 8, minimum=1, maximum=100)
NUDGES_UNSUBSCRIBE_EMAIL = env_str("NUDGES_UNSUBSCRIBE_EMAIL", "")  # mailto: in List-Unsubscribe
# Seconds before a silent mail server counts as failing.
NUDGES_SMTP_TIMEOUT = env_int("NUDGES_SMTP_TIMEOUT", 30, minimum=1, maximum=600)

# Forwarding learning records to an external LRS (docs/insights.md); off without a URL.
XAPI_LRS_URL = env_str("XAPI_LRS_URL", "")
XAPI_LRS_USERNAME = env_str("XAPI_LRS_USERNAME", "")
XAPI_LRS_PASSWORD = env_str("XAPI_LRS_PASSWORD", "")
XAPI_FORWARD_BATCH = env_int("XAPI_FORWARD_BATCH", 500, minimum=1, maximum=10_000)
XAPI_FORWARD_RETRIES = env_int("XAPI_FORWARD_RETRIES", 5, minimum=0, maximum=20)
# Web Push: keys from the environment, else from $DATA_DIR/vapid.json (`pocketmentor nudges vapid`).
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "")
if not VAPID_PRIVATE_KEY and (DATA_DIR / "vapid.json").exists():
    _vapid = json.loads((DATA_DIR / "vapid.json").read_text())
    VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY = _vapid["public_key"], _vapid["private_key"]
# Where browsers' push services may be (subscriptions elsewhere are refused).
PUSH_SERVICES = env_list(
    "PUSH_SERVICES",
    "https://fcm.googleapis.com/*,https://updates.push.services.mozilla.com/*,"
    "https://web.push.apple.com/*,https://*.notify.windows.com/*",
)

SESSION_ENGINE = "pocketmentor.accounts.sessions"  # Django's database sessions, read faster
SESSION_COOKIE_AGE = 60 * 60 * 24 * 90  # a participant stays signed in on their phone
# Behind a proxy (docs/configuration.md): the client's address comes from X-Forwarded-For
# and HTTPS from X-Forwarded-Proto only when these proxies sent them (lib/proxies.py).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", "127.0.0.0/8,::1")
_HTTPS = SITE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _HTTPS
if _HTTPS:
    # The proxy in front ends TLS; browsers are told to come back over HTTPS only.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks on loopback speak plain HTTP
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading HSTS is the decision of whoever owns the whole domain, not of one site on it.
SILENCED_SYSTEM_CHECKS += ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account and address before any password is checked.
    "pocketmentor.accounts.backends.PasswordLimits",
    "pocketmentor.accounts.backends.PasswordBackend",
    "pocketmentor.accounts.backends.LinkBackend",
]
LOGIN_URL = "accounts:request_link"
LOGIN_REDIRECT_URL = "learning:home"
LOGOUT_REDIRECT_URL = "accounts:request_link"

# Staff passwords (/login/staff/ and /admin/login/): django-axes locks one account from one
# client address after STAFF_SIGN_IN_FAILURES wrong passwords, for STAFF_SIGN_IN_LOCK_MINUTES
# (each try during the lock starts them again). See accounts/lockout.py and docs/privacy.md.
AXES_ENABLED = env_bool("STAFF_SIGN_IN_LIMITS", True)
AXES_FAILURE_LIMIT = env_int("STAFF_SIGN_IN_FAILURES", 5, minimum=1, maximum=100)
AXES_COOLOFF_MINUTES = env_int("STAFF_SIGN_IN_LOCK_MINUTES", 15, minimum=1, maximum=1440)
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "pocketmentor.accounts.lockout.account_name"
AXES_CLIENT_IP_CALLABLE = "pocketmentor.accounts.lockout.client_address"
AXES_LOCKOUT_CALLABLE = "pocketmentor.accounts.lockout.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins go to the audit log instead
AXES_VERBOSE = False  # no banner as every command starts: an operator reads its output

# Two-factor sign-in for staff (docs/privacy.md): authenticator apps and recovery codes
# (django-otp), passkeys (django-otp-webauthn) as a second factor after a password or link.
OTP_TOTP_ISSUER = env_str("TWO_FACTOR_ISSUER", "Pocketmentor")
OTP_WEBAUTHN_RP_NAME = OTP_TOTP_ISSUER
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# A passkey belongs to a host name (never an address): SITE_URL's, or localhost on a laptop.
_site = urlsplit(SITE_URL)
_site_is_address = bool(re.fullmatch(r"[\d.]+|\[.*\]", _site.netloc.rsplit(":", 1)[0]))
OTP_WEBAUTHN_RP_ID = "localhost" if _site_is_address else (_site.hostname or "localhost")
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    SITE_URL.replace(f"//{_site.hostname}", "//localhost", 1) if _site_is_address else SITE_URL
]
if not OTP_WEBAUTHN_ALLOWED_ORIGINS[0].startswith(("https://", "http://localhost")):
    OTP_WEBAUTHN_ALLOWED_ORIGINS = ["https://" + OTP_WEBAUTHN_RP_ID]  # passkeys need https

# The audit log of staff actions (docs/privacy.md): entries older than this are pruned.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365, minimum=1)

# Sign-in links: signed, single use, expiring.
SESAME_TOKEN_NAME = "t"  # noqa: S105 - a query parameter name
SESAME_ONE_TIME = True
SESAME_MAX_AGE = env_int("LOGIN_LINK_MAX_AGE", 60 * 60 * 24 * 7, minimum=60)
RATELIMIT_VIEW = "pocketmentor.accounts.views.rate_limited"
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)
# Sign-in limits (accounts/views.py), sized for 500 people behind one address within ten
# minutes: per person asked for, per browser, and per client address.
RATELIMIT_LINK_PER_PERSON = env_rate("RATELIMIT_LINK_PER_PERSON", "5/h")
RATELIMIT_LINK_PER_BROWSER = env_rate("RATELIMIT_LINK_PER_BROWSER", "10/10m")
RATELIMIT_LINK_PER_ADDRESS = env_rate("RATELIMIT_LINK_PER_ADDRESS", "1000/10m")
RATELIMIT_SIGN_IN_PER_ADDRESS = env_rate("RATELIMIT_SIGN_IN_PER_ADDRESS", "3000/10m")

# Staff sign-in with the organization's accounts (OpenID Connect), only when configured.
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID", "")
OIDC_ENABLED = bool(OIDC_RP_CLIENT_ID)
if OIDC_ENABLED:
    OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET", "")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
    OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT", "")
    OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT", "")
    OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT", "")
    OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
    _oidc_missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
        )
        + (() if OIDC_RP_SIGN_ALGO.startswith("HS") else ("OIDC_OP_JWKS_ENDPOINT",))
        if not globals()[name]
    ]
    if _oidc_missing:
        raise ImproperlyConfigured(
            f"{', '.join(_oidc_missing)} not set, and OIDC_RP_CLIENT_ID needs them; for example "
            f"{_oidc_missing[0]}=https://login.example.no/... (docs/privacy.md)."
        )
    OIDC_CREATE_USER = False  # people are matched by e-mail, never created
    LOGIN_REDIRECT_URL_FAILURE = "/login/staff/?oidc=failed"
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("pocketmentor.orgs.oidc.StaffOIDCBackend")

LANGUAGES = [("en", _("English")), ("nb", _("Norwegian bokmål"))]
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "nb", [code for code, name in LANGUAGES])
# Short dates in English are year first (formats/en/formats.py): 11/02/2026 is ambiguous.
FORMAT_MODULE_PATH = ["pocketmentor.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_time_zone("TIME_ZONE", "Europe/Oslo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# Uploaded images: files in the data folder, or an S3-compatible bucket that every node shares.
# Pages always link them as /media/NAME (pocketmentor/views.py serves or redirects).
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
S3_BUCKET = env_str("S3_BUCKET", "")
S3_PUBLIC_URL = env_str("S3_PUBLIC_URL", "").rstrip("/")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "pocketmentor.lib.staticfiles.StaticStorage"},
}
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env_str("S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("S3_REGION", "") or None,
            # Empty keys: boto3 finds credentials itself (instance role, ~/.aws).
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            "file_overwrite": False,  # names are new uuids; never replace a stored file
            "default_acl": None,  # the bucket's own policy decides who may read
            "querystring_auth": False,
        },
    }
elif S3_PUBLIC_URL:
    raise ImproperlyConfigured(
        "S3_BUCKET is not set, and S3_PUBLIC_URL needs it; for example S3_BUCKET=pocketmentor."
    )
WHITENOISE_USE_FINDERS = True  # files not collected yet are still served

# Content-Security-Policy (django-csp; docs/privacy.md#headers): no inline script, style or
# handler runs anywhere. Scripts and styles come from this site's own files; an
# organization's colours are a stylesheet of their own (/brand/…css). A nonce is added only
# to an answer whose template asked for one (the readable data export's <style>); kept
# participant pages never do. Videos play from the two players cards may embed, or as an
# MP4 from any https address a card links; images come from this site, the bucket's public
# address, or any https address an image card links (captions likewise).
_bucket = urlsplit(S3_PUBLIC_URL)
_MEDIA_HOSTS = [f"{_bucket.scheme}://{_bucket.netloc}"] if S3_PUBLIC_URL else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "https:", *_MEDIA_HOSTS],
        "media-src": [SELF, "https:", *_MEDIA_HOSTS],
        "font-src": [SELF],
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

_email = email_settings(env_str("EMAIL_URL", "console:"))
EMAIL_BACKEND = _email.pop("EMAIL_BACKEND")
globals().update(_email)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Pocketmentor <pocketmentor@localhost>")

# Logs on standard error; LOG_FORMAT=json writes one JSON object a line for a log collector.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ["text", "json"])
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"outage": {"()": "pocketmentor.lib.outage.OutageWithoutTraceback"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"}
        | ({"formatter": "json"} if LOG_FORMAT == "json" else {})
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "INFO", ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
    },
    # A database or disk outage: one line a request, not a traceback (lib/outage.py).
    "loggers": {"django.request": {"filters": ["outage"]}},
}

# Operators (docs/deploy.md): /healthz and /readyz always; /metrics for Prometheus only with a
# token to send as "Authorization: Bearer …"; errors to Sentry (or GlitchTip) with a DSN.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN:
    if len(METRICS_TOKEN) < 16:
        raise ImproperlyConfigured(
            f"METRICS_TOKEN must be at least 16 characters long, not {len(METRICS_TOKEN)}; "
            "for example the output of: python3 -c 'import secrets; print(secrets.token_hex(16))'."
        )
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
SENTRY_DSN = env_str("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=0,  # errors only; performance comes from /metrics
        send_default_pii=False,  # no e-mail addresses, cookies or form data leave the server
    )
