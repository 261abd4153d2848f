"""Email: console by default, SMTP with EMAIL_HOST, Amazon SES with EMAIL_PROVIDER=ses."""

from __future__ import annotations

import secrets

from django.core.exceptions import ImproperlyConfigured

from .core import DEBUG
from .env import env_bool, env_int, env_str

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
# bounce and complaint events posted by SNS to /anymail/amazon_ses/tracking/ (delivery/tracking.py).
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "smtp" if EMAIL_HOST else "console").lower()
if EMAIL_PROVIDER not in {"console", "smtp", "ses"}:
    raise ImproperlyConfigured(f"EMAIL_PROVIDER must be console, smtp or ses, got {EMAIL_PROVIDER!r}")
if EMAIL_PROVIDER == "smtp" and not EMAIL_HOST:
    raise ImproperlyConfigured("EMAIL_PROVIDER=smtp needs EMAIL_HOST.")
if not DEBUG and EMAIL_PROVIDER == "console" and not env_str("EMAIL_PROVIDER"):
    # Production printing password resets and invoices to its log instead of sending them.
    raise ImproperlyConfigured(
        "DEBUG is off but no mail server is set: set EMAIL_HOST (or EMAIL_PROVIDER=ses), or "
        "EMAIL_PROVIDER=console to print emails to the log on purpose."
    )
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
# Client emails (delivery/tasks.py): a send that fails is retried this many times, after
# EMAIL_RETRY_BACKOFF_SECONDS, then twice that, ... (at most an hour), then shown as failed.
EMAIL_SEND_MAX_RETRIES = env_int("EMAIL_SEND_MAX_RETRIES", 5)
EMAIL_RETRY_BACKOFF_SECONDS = env_int("EMAIL_RETRY_BACKOFF_SECONDS", 30)
