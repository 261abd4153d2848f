"""Logging (JSON lines in production) and error reporting (Sentry with SENTRY_DSN)."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .core import DEBUG
from .env import env_float, env_str

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
