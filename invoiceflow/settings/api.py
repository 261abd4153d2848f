"""The REST API (DRF, JWT, OpenAPI schema) and outgoing webhooks."""

from __future__ import annotations

from datetime import timedelta

from .env import env_bool, env_int

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
# Per API key or user, sliding window (core/ratelimit.py).
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
        "DocumentFormatEnum": "documents.models.DocumentFormat",
        "GenerationStatusEnum": "api.generate.GENERATION_STATUSES",
        "WebhookEventTypeEnum": "api.webhooks.models.EventType",
        "WebhookDeliveryStatusEnum": "api.webhooks.models.DeliveryStatus",
        "QuoteBillingKindEnum": "quotes.models.BillingKind",
        "InvoiceKindEnum": "invoices.models.InvoiceKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# Outgoing webhooks (api/webhooks/): endpoints must be HTTPS on a public address; plain http to
# 127.0.0.1/localhost is accepted only with DEBUG or this switch (the tests' loopback receiver).
WEBHOOKS_ALLOW_LOOPBACK = env_bool("WEBHOOKS_ALLOW_LOOPBACK", False)
