"""Stripe's wire format: form bodies with bracket syntax, ids, errors, webhook signatures.

Written from Stripe's API reference, independently of the `stripe` library, so that tests
that pass through both check one against the other.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import time
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_PART = re.compile(r"\[([^\[\]]*)\]")
_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """Stripe-like ids: `cs_test_a1b2...`, `pi_3Q...`, `evt_1Q...`."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


class StripeAPIError(Exception):
    """Answered as Stripe does: {"error": {...}} with the HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "type": type}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            self.body["param"] = param
        self.body.update(extra or {})

    def response(self, request_id: str) -> dict[str, Any]:
        return {
            "error": {**self.body, "request_log_url": f"https://dashboard.stripe.com/test/logs/{request_id}"}
        }


def missing(param: str) -> StripeAPIError:
    return StripeAPIError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def no_such(kind: str, object_id: str, param: str = "id") -> StripeAPIError:
    return StripeAPIError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


def invalid(param: str, message: str) -> StripeAPIError:
    return StripeAPIError(400, message, code="parameter_invalid", param=param)


def decode_form(body: str) -> dict[str, Any]:
    """`a[b][0][c]=1&expand[]=x` → {"a": {"b": [{"c": "1"}]}, "expand": ["x"]}.

    Values stay strings, as on the wire; `to_int`/`to_bool` coerce them per parameter.
    """
    root: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        match = _KEY.match(key)
        if not match:
            raise StripeAPIError(400, f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *_PART.findall(match.group(2))]
        node = root
        for index, part in enumerate(parts):
            name = str(len(node)) if part == "" else part  # `x[]` appends
            if index == len(parts) - 1:
                node[name] = value
            else:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):
                    raise StripeAPIError(400, f"Invalid parameter: {key}", param=key)
                node = child
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def to_int(params: dict[str, Any], name: str, *, minimum: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise invalid(name, f"Invalid integer: {raw}") from None
    if minimum is not None and value < minimum:
        raise invalid(name, f"Invalid {name}: must be at least {minimum}")
    return value


def to_bool(params: dict[str, Any], name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise invalid(name, f"Invalid boolean: {raw}")


def check_known(params: dict[str, Any], known: set[str], prefix: str = "") -> None:
    for name in params:
        if name not in known:
            full = f"{prefix}[{name}]" if prefix else name
            raise StripeAPIError(400, f"Received unknown parameter: {full}", param=full)


def metadata(params: dict[str, Any], current: dict[str, str] | None = None) -> dict[str, str]:
    """Stripe's metadata rules: strings only, an empty value removes the key."""
    result = dict(current or {})
    raw = params.get("metadata")
    if raw is None:
        return result
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise invalid("metadata", "Invalid hash")
    for key, value in raw.items():
        if value == "":
            result.pop(key, None)
        else:
            result[key] = str(value)
    return result


def sign_payload(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
