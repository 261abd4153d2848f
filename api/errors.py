"""One error format for every API answer that is not a success:

    {"error": {"code": "validation_error", "message": "...", "fields": {"name": ["..."]}}}

`fields` is present (possibly empty) on every error so clients can read it unconditionally.
Status codes: 400 bad input (validation, parse, ApplicationError), 401 no or bad credential,
403 role or membership, 404 not found (another tenant's object included), 405, 406, 409 state
conflict (e.g. editing a finalized invoice) or idempotency key in use, 415, 422 idempotency
key reused with another body, 429 rate limited.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from core.errors import ApplicationError

_DEFAULT_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
}


class ApiError(exceptions.APIException):
    """An error raised by API code itself, with an explicit status and code."""

    def __init__(self, message: str, *, status_code: int, code: str, fields: dict | None = None) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error_code = code
        self.fields = fields or {}


class RateLimited(exceptions.Throttled):
    def __init__(self, wait: int) -> None:
        super().__init__(wait=wait, detail=f"Too many requests: retry in {wait} seconds.")
        self.wait = wait


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested ValidationError detail → {"lines.0.quantity": ["..."]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            fields.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            fields.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        fields.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return {name: messages for name, messages in fields.items() if messages}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        # The status is the code's in the catalogue (core.errors.ERROR_CODES); a field path
        # ("lines", 0, "quantity") is spelt as the API's other field errors: lines.0.quantity.
        fields = {exc.dotted_field: [exc.message]} if exc.dotted_field else {}
        for name, message in exc.fields.items():
            fields.setdefault(name, []).append(message)
        return Response(error_body(exc.code, exc.message, fields), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500
    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.values()), ["Invalid input."])[0]
        body = error_body("validation_error", f"Invalid input: {first}", fields)
    else:
        code = _DEFAULT_CODES.get(exc.status_code, "error")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = (
                "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "invalid_credential"
            )
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else "Request refused."
        if isinstance(detail, dict) and "detail" in detail:  # simplejwt's InvalidToken
            message = str(detail["detail"])
        body = error_body(code, message)
    # Set on a 401 by DRF's APIView.handle_exception, from the authenticator.
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.Throttled):
        wait: float | None = exc.wait  # type: ignore[attr-defined]  # set by __init__; drf-stubs leave it out
        if wait is not None:
            headers["Retry-After"] = str(int(wait))
    return Response(body, status=exc.status_code, headers=headers)
