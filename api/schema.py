"""OpenAPI details drf-spectacular cannot infer: our authentication schemes, the one error
body, and the error statuses every operation can answer (so a client — and Schemathesis —
knows them all)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
_ERROR_DESCRIPTIONS = {
    "400": "Invalid input.",
    "401": "No credential, or an invalid, expired or revoked one.",
    "403": "The credential's role does not allow this.",
    "404": "No such object in this workspace.",
    "405": "Method not allowed.",
    "406": "Not acceptable.",
    "409": "The object's state does not allow this, or the Idempotency-Key is in use.",
    "415": "Unsupported media type.",
    "422": (
        "The Idempotency-Key was used for a different request, or an e-invoice breaks a rule "
        "(`fields.rules`)."
    ),
    "429": "Rate limited: see Retry-After.",
}
_PUBLIC_ERRORS = ("400", "401", "405", "406", "415", "429")


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A workspace API key: `Authorization: Bearer ifk_…`.",
        }


class TenantJWTScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TenantJWTAuthentication"
    name = "jwt"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "An access token from POST /api/v1/auth/token/, for one workspace.",
        }


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TenantSessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "The web app's session; name the workspace in X-Tenant, send X-CSRFToken.",
        }


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Postprocessing hook: the Error component, and every error status on every operation."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = _PUBLIC_ERRORS if "/auth/" in path else tuple(_ERROR_DESCRIPTIONS)
            for code in codes:
                operation["responses"].setdefault(
                    code,
                    {
                        "description": _ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": reference}},
                    },
                )
            if method == "post":
                operation.setdefault("parameters", []).append(
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": False,
                        "schema": {"type": "string", "maxLength": 255},
                        "description": "Retry-safe POST: the same key and body return the first answer.",
                    }
                )
    return result
