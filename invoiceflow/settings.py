"""InvoiceFlow settings: one file, read from the environment.

With nothing set the app runs embedded: SQLite, local media, console email, in-process
tasks and a local-memory cache. Each variable below switches one part to the real
service. Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from invoiceflow.client_ip import DEFAULT_TRUSTED_PROXIES, trusted_proxies
from invoiceflow.pool_reset import forget_tenant_on_return

BASE_DIR = Path(__file__).resolve().parent.parent


# --- strict environment helpers ------------------------------------------------------------
# A typo such as DEBUG=flase must stop the process, not silently mean "off".

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- core ------------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)
TESTING = env_bool("TESTING", False)

PLACEHOLDER_SECRET_KEY = "django-insecure-embedded-default-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", PLACEHOLDER_SECRET_KEY)
# Rotation: put the old key here while sessions and signed links made with it expire.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")


def _weak_secret(key: str) -> bool:
    return key.startswith("django-insecure") or len(key) < 50 or len(set(key)) < 5


if not DEBUG:
    if _weak_secret(SECRET_KEY):
        raise ImproperlyConfigured(
            "DEBUG is off but SECRET_KEY is missing, a placeholder or shorter than 50 characters. "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if any(_weak_secret(key) for key in SECRET_KEY_FALLBACKS):
        raise ImproperlyConfigured("SECRET_KEY_FALLBACKS holds a placeholder or too short a key.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG:
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DEBUG is off: set ALLOWED_HOSTS to the host names you serve.")
    if "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must list real host names, not '*'.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The product's name, as account emails and the Sites row give it.
PRODUCT_NAME = "InvoiceFlow"
# The address links in emails point to (invitations, public invoice pages). Without SITE_URL it is
# the port the app serves on here (PORT, which `./dev start --port N` sets), so the links work.
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    # Amazon SES sending and its delivery-tracking webhook (invoices/sending.py, invoices/tracking.py).
    "anymail",
    # Live document status over WebSocket (invoiceflow/asgi.py, invoices/documents/consumers.py).
    "channels",
    "rest_framework",
    "tenants",
    "invoices",
    "billing",
    "api",
    # E-invoices: EN 16931 as UBL, CII, Factur-X and XRechnung, validated before they leave.
    "einvoicing",
    # Outgoing webhooks: signed invoice events POSTed to tenants' endpoints (api/webhooks/).
    "api.webhooks",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

MIDDLEWARE = [
    # First: every response (redirects and errors included) carries the request id.
    "invoiceflow.logging.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise: every response, static files included, carries PERMISSIONS_POLICY.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in pages, API answers and downloads: `private, no-store`; downloads `noindex`.
    "invoiceflow.headers.PrivateResponsesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: resolves /t/<slug>/ to a membership and runs the view inside that tenant's scope.
    "tenants.middleware.TenantMiddleware",
]

ROOT_URLCONF = "invoiceflow.urls"
WSGI_APPLICATION = "invoiceflow.wsgi.application"
ASGI_APPLICATION = "invoiceflow.asgi.application"
SITE_ID = 1

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
                "tenants.context_processors.tenancy",
            ],
        },
    },
]

# --- database --------------------------------------------------------------------------------
# DATABASE_URL is what the running app connects as. On PostgreSQL that must be a role that
# neither owns the tables nor bypasses row-level security. DATABASE_OWNER_URL is the owning
# role: migrations (and the test harness's database creation) run as it.

DATABASE_URL = env_str("DATABASE_URL")
DATABASE_OWNER_URL = env_str("DATABASE_OWNER_URL")
# Connections are bounded per process by a psycopg pool (Django's OPTIONS["pool"]): a request or
# task borrows one and gives it back when it ends. Without it, every thread of the ASGI server
# kept its own connection for CONN_MAX_AGE: two web processes filled PostgreSQL's 100 slots.
# The bound to plan with (PostgreSQL's default max_connections is 100, 3 kept for superusers):
#     web containers * WEB_CONCURRENCY * DATABASE_POOL_MAX_SIZE      (default 1 * 2 * 8 = 16)
#   + worker containers * CELERY_WORKER_CONCURRENCY * 1              (default 1 * 2 * 1 = 2)
#   + beat, migrations and shells (a few)
# stays below 97: four web and four worker containers with the defaults take 72. A Celery
# prefork process runs one task at a time, so invoiceflow.celery sizes its pool at one.
# Eight per web process: requests run Python under one GIL per process, so more concurrent
# database sessions than that mostly queue inside PostgreSQL instead of in the pool. A request
# that waits DATABASE_POOL_TIMEOUT for one is answered 503 (invoiceflow.database).
DATABASE_POOL = env_bool("DATABASE_POOL", True)
DATABASE_POOL_MIN_SIZE = env_int("DATABASE_POOL_MIN_SIZE", 1)
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 8)
# Seconds a request waits for a free connection: below the health check's 6 s, so /readyz answers
# 503 (instead of timing out) when the database is down or the pool stays full.
DATABASE_POOL_TIMEOUT = env_float("DATABASE_POOL_TIMEOUT", 5.0)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
    if DATABASE_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        if DATABASES["default"]["CONN_MAX_AGE"] != 0:
            raise ImproperlyConfigured(
                "DATABASE_CONN_MAX_AGE must be 0 with the connection pool: a pooled connection goes "
                "back to the pool after each request. Set DATABASE_POOL=false to use CONN_MAX_AGE."
            )
        if not 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE or DATABASE_POOL_MAX_SIZE < 1:
            raise ImproperlyConfigured(
                "Need 0 <= DATABASE_POOL_MIN_SIZE <= DATABASE_POOL_MAX_SIZE and a MAX_SIZE of 1 or "
                f"more, got {DATABASE_POOL_MIN_SIZE} and {DATABASE_POOL_MAX_SIZE}."
            )
        if DATABASE_POOL_TIMEOUT <= 0:
            raise ImproperlyConfigured(
                f"DATABASE_POOL_TIMEOUT must be positive, got {DATABASE_POOL_TIMEOUT}."
            )
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": DATABASE_POOL_MIN_SIZE,
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": DATABASE_POOL_TIMEOUT,
            # Runs as each connection goes back (in the pool's own thread, not the request's).
            "reset": forget_tenant_on_return,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
# Parallel test runs on one server need distinct throwaway databases.
if env_str("TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DATABASE_OWNER = dj_database_url.parse(DATABASE_OWNER_URL) if DATABASE_OWNER_URL else None
# The role the app connects as; migrations grant it data privileges (see tenants.apps).
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE") or DATABASES["default"].get("USER") or ""
# Migrations (./dev start, docker/entrypoint.sh) set this to connect as the owning role.
if env_bool("DATABASE_CONNECT_AS_OWNER", False):
    if not DATABASE_OWNER:
        raise ImproperlyConfigured("DATABASE_CONNECT_AS_OWNER needs DATABASE_OWNER_URL.")
    DATABASES["default"] = {**DATABASE_OWNER, "CONN_MAX_AGE": 0}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache, sessions, tasks --------------------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "invoiceflow"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL) or None
# No broker configured: run tasks in-process so the embedded default needs no worker.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Test workers get a queue of their own, so parallel runs on one broker never swap tasks.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Celery's Django fixup would close the database connection after every task; with a number
# here it does so only every that many tasks, and invoiceflow.celery recycles connections as
# Django's request cycle does instead (back to the pool, health-checked before reuse).
CELERY_DB_REUSE_MAX = 1000

# Django Channels: pushes document status to the pages. Redis when REDIS_URL is set (every web
# and worker process shares it); in memory in the embedded default, where tasks run in-process.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "invoiceflow:channels"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Periodic tasks (celery beat). Other apps add their entries here.
CELERY_BEAT_SCHEDULE = {
    # Outgoing webhook deliveries whose next attempt is due (a lost retry is picked up here).
    "webhooks-deliver-due": {"task": "webhooks.deliver_due", "schedule": 60.0},
    # Recurring invoices and payment reminders (invoices/recurring.py, invoices/reminders.py):
    # each period / reminder step is claimed by a unique row, so extra runs send nothing twice.
    "invoices-dispatch-recurring": {"task": "invoices.dispatch_recurring", "schedule": 3600.0},
    "invoices-dispatch-reminders": {"task": "invoices.dispatch_reminders", "schedule": 3600.0},
    # The sign-in audit keeps 90 days (tenants/auth_guard.py).
    "tenants-purge-auth-events": {"task": "tenants.purge_auth_events", "schedule": 86400.0},
    # Stripe events whose queueing was lost (a broker outage at intake) are queued again.
    "billing-requeue-stale-stripe-events": {
        "task": "billing.tasks.requeue_stale_stripe_events",
        "schedule": 300.0,
    },
    # Ask Stripe about Checkout sessions still open for our invoices: a lost webhook cannot
    # leave a paid invoice unpaid in our books.
    "billing-reconcile-checkout": {
        "task": "billing.tasks.reconcile_open_checkouts",
        "schedule": 60.0 * env_int("STRIPE_RECONCILE_MINUTES", 15),
    },
}

# Outgoing webhooks (api/webhooks/): endpoints must be HTTPS on a public address; plain http to
# 127.0.0.1/localhost is accepted only with DEBUG or this switch (the tests' loopback receiver).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)

# --- auth ------------------------------------------------------------------------------------

AUTH_USER_MODEL = "tenants.User"
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

ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
# Log in and reset passwords by the address's one spelling, whichever was typed (tenants/emails.py).
ACCOUNT_FORMS = {"login": "tenants.forms.LoginForm", "reset_password": "tenants.forms.ResetPasswordForm"}
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# allauth's defaults throttle sign-ups and resets; kept explicit so a reader sees them. Login
# failures are not allauth's: its "5/5m/key" was a lock anyone could set off for anyone. The
# sign-in guard (tenants/auth_guard.py) counts them for the web, its two-factor step and the API.
ACCOUNT_RATE_LIMITS = {
    "login_failed": None,
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The code forms, behind the sign-in guard: a wrong code counts like a wrong password.
MFA_FORMS = {
    "authenticate": "tenants.mfa_forms.GuardedAuthenticateForm",
    "reauthenticate": "tenants.mfa_forms.GuardedReauthenticateForm",
}
MFA_TOTP_ISSUER = "InvoiceFlow"

SOCIALACCOUNT_ADAPTER = "tenants.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False


def _oauth_app(client_id_var: str, secret_var: str) -> list[dict]:
    client_id, secret = env_str(client_id_var), env_str(secret_var)
    return [{"client_id": client_id, "secret": secret, "key": ""}] if client_id and secret else []


# A provider whose client id and secret are not set has no app: its button is hidden.
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {
    "google": {
        "APPS": _oauth_app("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
        "SCOPE": ["openid", "email", "profile"],
        "OAUTH_PKCE_ENABLED": True,
    },
    "github": {
        "APPS": _oauth_app("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
        "SCOPE": ["user:email"],
    },
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": env_str("OIDC_PROVIDER_ID", "oidc"),
                    "name": env_str("OIDC_PROVIDER_NAME", "Single sign-on"),
                    "client_id": env_str("OIDC_CLIENT_ID"),
                    "secret": env_str("OIDC_CLIENT_SECRET"),
                    "settings": {"server_url": env_str("OIDC_SERVER_URL")},
                }
            ]
            if env_str("OIDC_CLIENT_ID") and env_str("OIDC_SERVER_URL")
            else []
        ),
    },
}

# --- email -----------------------------------------------------------------------------------

DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "InvoiceFlow <no-reply@invoiceflow.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# EMAIL_PROVIDER=ses: Amazon SES through django-anymail (AWS_SES_* credentials), with delivery,
# bounce and complaint events posted by SNS to /anymail/amazon_ses/tracking/ (invoices/tracking.py).
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "smtp" if EMAIL_HOST else "console").lower()
if EMAIL_PROVIDER not in {"console", "smtp", "ses"}:
    raise ImproperlyConfigured(f"EMAIL_PROVIDER must be console, smtp or ses, got {EMAIL_PROVIDER!r}")
if EMAIL_PROVIDER == "smtp" and not EMAIL_HOST:
    raise ImproperlyConfigured("EMAIL_PROVIDER=smtp needs EMAIL_HOST.")
# The tracking webhook's HTTP basic auth ("user:password", in the SNS subscription's URL). Unset:
# a random value nobody knows, so the webhook refuses every post instead of trusting any.
ANYMAIL_WEBHOOK_SECRET_SET = bool(env_str("ANYMAIL_WEBHOOK_SECRET"))
ANYMAIL = {
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET") or f"unset:{secrets.token_urlsafe(32)}",
    "AMAZON_SES_CLIENT_PARAMS": {
        "region_name": env_str("AWS_SES_REGION_NAME", "us-east-1"),
        **(
            {
                "aws_access_key_id": env_str("AWS_SES_ACCESS_KEY_ID"),
                "aws_secret_access_key": env_str("AWS_SES_SECRET_ACCESS_KEY"),
            }
            if env_str("AWS_SES_ACCESS_KEY_ID")
            else {}
        ),
    },
    # SES publishes delivery/bounce/complaint events of messages sent with this configuration set.
    "AMAZON_SES_CONFIGURATION_SET_NAME": env_str("AWS_SES_CONFIGURATION_SET") or None,
    # Subscriptions are confirmed by hand in the SNS console (no outbound call from the webhook).
    "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
}
if EMAIL_PROVIDER == "ses":
    EMAIL_BACKEND = "anymail.backends.amazon_ses.EmailBackend"
    if not DEBUG and not ANYMAIL_WEBHOOK_SECRET_SET:
        raise ImproperlyConfigured("EMAIL_PROVIDER=ses: set ANYMAIL_WEBHOOK_SECRET (user:password).")
# Client emails (invoices/tasks_sending.py): a send that fails is retried this many times, after
# EMAIL_RETRY_BACKOFF_SECONDS, then twice that, ... (at most an hour), then shown as failed.
EMAIL_SEND_MAX_RETRIES = env_int("EMAIL_SEND_MAX_RETRIES", 5)
EMAIL_RETRY_BACKOFF_SECONDS = env_int("EMAIL_RETRY_BACKOFF_SECONDS", 30)

# --- Stripe (billing/stripe_client.py is the only code that uses these) ----------------------
# STRIPE_SECRET_KEY unset: online payment and plans are off and the pages say so.
# STRIPE_WEBHOOK_SECRET: signing secret (whsec_...) of the webhook endpoint for the platform's
# events; STRIPE_CONNECT_WEBHOOK_SECRET: that of the Connect endpoint (connected accounts'
# events), when it is a separate endpoint. Both point at /billing/stripe/webhook/.
# STRIPE_API_BASE: Stripe's API by default; the tests point it at a local stand-in.

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_CONNECT_WEBHOOK_SECRET = env_str("STRIPE_CONNECT_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com").rstrip("/")
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    # Without it no webhook can be verified and paid invoices would never be marked paid.
    raise ImproperlyConfigured("STRIPE_SECRET_KEY is set: set STRIPE_WEBHOOK_SECRET (whsec_...) too.")
if not DEBUG and STRIPE_SECRET_KEY.startswith("sk_live") and not STRIPE_API_BASE.startswith("https://"):
    raise ImproperlyConfigured("A live Stripe key must only be sent to an https:// STRIPE_API_BASE.")

# Plans (billing/plans.py): what workspaces subscribe to. On only with STRIPE_SECRET_KEY and at
# least one plan price; otherwise every workspace is unlimited ("self-hosted").
# STRIPE_PRICE_PRO / STRIPE_PRICE_BUSINESS: the recurring Stripe prices (price_...) of the paid
# plans; PLAN_*_MONTHLY_PRICE and PLAN_CURRENCY: what the pricing page shows for them.
# STRIPE_PRICE_INVOICES_SENT: an optional metered price (on the billing meter named
# STRIPE_METER_EVENT_NAME) added to each subscription; every invoice sent is one meter event.
STRIPE_PRICE_PRO = env_str("STRIPE_PRICE_PRO")
STRIPE_PRICE_BUSINESS = env_str("STRIPE_PRICE_BUSINESS")
STRIPE_PRICE_INVOICES_SENT = env_str("STRIPE_PRICE_INVOICES_SENT")
STRIPE_METER_EVENT_NAME = env_str("STRIPE_METER_EVENT_NAME", "invoices_sent")
PLAN_FREE_MONTHLY_INVOICES = env_int("PLAN_FREE_MONTHLY_INVOICES", 5)
PLAN_PRO_MONTHLY_PRICE = env_str("PLAN_PRO_MONTHLY_PRICE", "12.00")
PLAN_BUSINESS_MONTHLY_PRICE = env_str("PLAN_BUSINESS_MONTHLY_PRICE", "39.00")
PLAN_CURRENCY = env_str("PLAN_CURRENCY", "EUR").upper()

# Online payment of invoices (billing/checkout.py, invoices/public/): the client's public page
# at /i/<token> lives this many days, and one IP may open at most so many of these pages per
# window (guessing a 256-bit token is hopeless anyway; this keeps scanners off the database).
INVOICE_LINK_LIFETIME_DAYS = env_int("INVOICE_LINK_LIFETIME_DAYS", 365)
INVOICE_LINK_RATE_LIMIT = env_int("INVOICE_LINK_RATE_LIMIT", 60)
INVOICE_LINK_RATE_LIMIT_WINDOW_SECONDS = env_int("INVOICE_LINK_RATE_LIMIT_WINDOW_SECONDS", 600)

# --- storage ---------------------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
_default_storage: dict = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "us-east-1")
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    AWS_QUERYSTRING_EXPIRE = env_int("AWS_QUERYSTRING_EXPIRE", 300)
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    AWS_S3_ADDRESSING_STYLE = env_str("AWS_S3_ADDRESSING_STYLE", "path")
    # Uploads run in the calling thread: our files (PDFs, ZIPs) are small, and boto3 would
    # otherwise start a pool of threads for every single upload. (Imported here: boto3 takes
    # ~0.2 s to import, which the embedded default never needs.)
    from boto3.s3.transfer import TransferConfig

    AWS_S3_TRANSFER_CONFIG = TransferConfig(use_threads=False)
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- i18n ------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- security --------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Powerful browser features none of our pages use are refused to them and to anything they
# might embed. Payment is Stripe's hosted page, on Stripe's own origin, so `payment=()` here
# stops nothing of ours. (django-permissions-policy checks the feature names.)
# Only features Chromium knows: an unknown name ("bluetooth") is logged as an error on every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}
if not DEBUG:
    # Plain HTTP is redirected to HTTPS, except the probes a load balancer calls over HTTP
    # (the patterns match the path without its leading slash).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    # Cookies only ever travel over HTTPS.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"
    # HSTS: a year, subdomains included; SECURE_HSTS_SECONDS=0 turns it off while testing TLS.
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The reverse proxies whose X-Forwarded-For/-Proto the ASGI app believes (invoiceflow/client_ip.py):
# addresses and networks, loopback by default; `*` is refused.
TRUSTED_PROXIES = trusted_proxies(env_str("FORWARDED_ALLOW_IPS") or DEFAULT_TRUSTED_PROXIES)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
# The ASGI app already trusts X-Forwarded-Proto from FORWARDED_ALLOW_IPS; this is for WSGI.
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# A strict policy: no inline script or style, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        # Social login POSTs to us and we redirect to the provider; Chromium applies
        # form-action to that redirect too, so the providers' origins are listed.
        "form-action": [SELF, "https://accounts.google.com", "https://github.com"]
        + ([_origin(env_str("OIDC_SERVER_URL"))] if env_str("OIDC_SERVER_URL") else []),
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

# --- API -------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "COERCE_DECIMAL_TO_STRING": True,
    # api/: one error format, JSON numbers with a fraction refused for money (see api/parsers.py).
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Access tokens live 5 minutes; a refresh token (a day) gets new ones without the password.
# Both are checked against their membership and the user's revocation stamp on every use
# (api/tokens.py), so a revocation needs no wait for them to expire.
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("API_ACCESS_TOKEN_MINUTES", 5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env_int("API_REFRESH_TOKEN_HOURS", 24)),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}
# Per API key or user, sliding window (invoiceflow/ratelimit.py).
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 600)
API_RATE_LIMIT_WINDOW_SECONDS = env_int("API_RATE_LIMIT_WINDOW_SECONDS", 60)
SPECTACULAR_SETTINGS = {
    "TITLE": "InvoiceFlow API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Invoices, clients and payments of one workspace. See /api/docs/.",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One schema name per choice set, used wherever the set appears (drf_spectacular.W001).
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "invoices.models.InvoiceStatus",
        "DocumentFormatEnum": "invoices.documents.models.DocumentFormat",
        "GenerationStatusEnum": "api.generate.GENERATION_STATUSES",
        "WebhookEventTypeEnum": "api.webhooks.models.EventType",
        "WebhookDeliveryStatusEnum": "api.webhooks.models.DeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# --- logging ---------------------------------------------------------------------------------

# One JSON object per line in production (LOG_FORMAT=json), readable lines in development.
# Every line carries the request id (see invoiceflow/logging.py), in tasks a request queued too.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json").lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or plain, got {LOG_FORMAT!r}")
# Loggers that servers configure for themselves: hand their records to the root handler.
_PROPAGATE = {"handlers": [], "propagate": True}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "invoiceflow.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "invoiceflow.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # 4xx responses are in invoiceflow.access already, with secret URL parts redacted.
        "django.request": {"level": "ERROR"},
        "uvicorn": _PROPAGATE,
        "uvicorn.error": _PROPAGATE,
        # invoiceflow.access writes one line per request, with its id; uvicorn's is redundant.
        "uvicorn.access": {"handlers": [], "propagate": False},
        "celery": _PROPAGATE,
        # The stripe library logs every request at INFO; its errors reach us as exceptions.
        "stripe": {"level": "WARNING"},
        # WeasyPrint logs each step of every render at INFO (seven lines per PDF), fontTools
        # each font subset; their warnings (an unreadable image, a missing glyph) still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- error reporting -------------------------------------------------------------------------
# Sentry is on only when SENTRY_DSN is set; its Django and Celery integrations switch on by
# themselves. No personal data is sent (no cookies, user emails or request bodies).
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production"),
        release=env_str("SENTRY_RELEASE") or None,
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,
    )
