"""Core: debug switch, secret key, hosts, installed apps, middleware, templates, i18n."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_int, env_list, env_str

# The repository's root (this file is invoiceflow/settings/core.py).
BASE_DIR = Path(__file__).resolve().parent.parent.parent

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
    # Amazon SES sending and its delivery-tracking webhook (delivery/services.py, delivery/tracking.py).
    "anymail",
    # Live document status over WebSocket (invoiceflow/asgi.py, documents/consumers.py).
    "channels",
    "rest_framework",
    "tenants",
    # The transactional outbox: events recorded with a change, delivered to subscribers (events/).
    "events",
    "invoices",
    # E-invoices: EN 16931 as UBL, CII, Factur-X and XRechnung, validated before they leave.
    "einvoicing",
    # Invoices rendered into files: PDF, XLSX/CSV, bulk ZIP, live status (documents/).
    "documents",
    # Everything that reaches the client by email: sending, bounces, reminders, recurring (delivery/).
    "delivery",
    "billing",
    # Quotes (estimates), their acceptance by the client, deposit and progress invoices (quotes/).
    "quotes",
    # The client's side: the public invoice page (portal/).
    "portal",
    # InvoiceFlow's own plans for workspaces (plans/) and the public site (website/).
    "plans",
    "website",
    "api",
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
    "core.headers.PrivateResponsesMiddleware",
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

# --- i18n ------------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt", "Português"),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
