from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import stripe_client
from billing.services import stripe_event_record
from billing.webhook_envelope import MAX_BODY_BYTES, InvalidStripeEventError

logger = logging.getLogger(__name__)


def _refused(reason: str) -> JsonResponse:
    # 400 for every refusal: Stripe retries it and shows the reason in its dashboard; nothing
    # is stored, so a fixed delivery (or a fixed secret) is accepted on a later attempt.
    logger.warning("Stripe webhook refused: %s", reason)
    return JsonResponse({"error": reason}, status=400)


def _content_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, validate, store under the event's unique id, queue after commit, answer at once.

    Whatever the body, the answer is a 200 (stored, or a duplicate), a 400 with its reason
    (nothing stored) or a 503 (webhooks not configured); processing errors stay on the row.
    """
    if not stripe_client.webhook_secrets():
        # 503, not 400: Stripe keeps retrying for days, so events survive a misconfiguration.
        return JsonResponse({"error": "Stripe webhooks are not configured."}, status=503)
    too_large = f"The body is larger than {MAX_BODY_BYTES} bytes."
    length = _content_length(request)
    # Checked before reading the body, so an oversized one is never held in memory...
    if length is None or length > MAX_BODY_BYTES:
        return _refused(too_large if length else "The Content-Length header is not a number.")
    payload = request.body
    # ...and after, for a chunked body that declared no length (ASGI).
    if len(payload) > MAX_BODY_BYTES:
        return _refused(too_large)
    try:
        event = stripe_client.webhook_event_construct(
            payload=payload, signature_header=request.headers.get("Stripe-Signature")
        )
        row_id = stripe_event_record(event=event)
    except stripe_client.SignatureVerificationError as exc:
        logger.warning("Stripe webhook signature refused: %s", exc)
        return JsonResponse({"error": "Invalid signature."}, status=400)
    except InvalidStripeEventError as exc:
        return _refused(exc.message)
    return JsonResponse({"received": True, "duplicate": row_id is None})
