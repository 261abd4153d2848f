from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing import stripe_client
from billing.services import stripe_event_record

logger = logging.getLogger(__name__)


@csrf_exempt  # Stripe cannot send a CSRF token; the signature is the authentication.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, store under the event's unique id, queue after commit, answer at once."""
    if not stripe_client.webhook_secrets():
        # 503, not 400: Stripe keeps retrying for days, so events survive a misconfiguration.
        return JsonResponse({"error": "Stripe webhooks are not configured."}, status=503)
    try:
        event = stripe_client.webhook_event_construct(
            payload=request.body, signature_header=request.headers.get("Stripe-Signature")
        )
    except stripe_client.SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: %s", exc)
        return JsonResponse({"error": "Invalid signature."}, status=400)
    except ValueError:  # a body that is not JSON, or not UTF-8
        return JsonResponse({"error": "Invalid payload."}, status=400)
    if (
        not isinstance(event, dict)
        or event.get("object") != "event"
        or not event.get("id")
        or not event.get("type")
    ):
        return JsonResponse({"error": "Not a Stripe event."}, status=400)
    row_id = stripe_event_record(event=event)
    return JsonResponse({"received": True, "duplicate": row_id is None})
