"""Signing deliveries, and checking a signature as a receiver would (as Stripe's are).

Each delivery carries `InvoiceFlow-Signature: t=<unix time>,v1=<hex>`, where the hex is
HMAC-SHA256 keyed with the endpoint's secret over `f"{t}.{body}"` (the raw request body, as
received). A receiver in Python::

    from api.webhooks.signing import verify_signature, WebhookSignatureError

    try:
        verify_signature(request.body, request.headers["InvoiceFlow-Signature"], secret)
    except WebhookSignatureError:
        return HttpResponse(status=400)

Elsewhere: split the header on ",", take `t` and every `v1`, compute the HMAC yourself,
compare in constant time, and refuse a `t` more than five minutes from your clock (replays).
Deduplicate on the payload's `id` (the event id): a replay re-sends the same id.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "InvoiceFlow-Signature"
SCHEME = "v1"


class WebhookSignatureError(ValueError):
    """The header is missing or malformed, no signature matches, or the timestamp is too old."""


def _as_text(payload: bytes | str) -> str:
    return payload.decode("utf-8") if isinstance(payload, bytes) else payload


def compute_signature(payload: bytes | str, secret: str, timestamp: int) -> str:
    message = f"{timestamp}.{_as_text(payload)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},{SCHEME}={compute_signature(payload, secret, timestamp)}"


def verify_signature(
    payload: bytes | str, header: str | None, secret: str, tolerance: int = 300, *, now: int | None = None
) -> bool:
    """True when `header` signs `payload` with `secret` within `tolerance` seconds; raises
    `WebhookSignatureError` otherwise."""
    if not header:
        raise WebhookSignatureError("No signature header.")
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as error:
                raise WebhookSignatureError("The timestamp is not a number.") from error
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise WebhookSignatureError("The header has no timestamp or no v1 signature.")
    expected = compute_signature(payload, secret, timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in signatures):
        raise WebhookSignatureError("No signature matches the payload.")
    current = int(time.time()) if now is None else now
    if tolerance and abs(current - timestamp) > tolerance:
        raise WebhookSignatureError("The timestamp is outside the tolerance (a replayed delivery?).")
    return True
