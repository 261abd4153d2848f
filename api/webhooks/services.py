"""Outgoing webhooks: endpoints, the one place events are emitted, delivery attempts, replay.

Events come from `webhook_event_emit` only, which `api.webhooks.subscribers` calls for the
invoice and document events the lower apps record in the outbox (events/): after their
transaction committed, so a rolled-back change announces nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.webhooks.models import DeliveryStatus, EventType, WebhookDelivery, WebhookEndpoint
from api.webhooks.signing import HEADER, signature_header
from core.errors import ApplicationError
from tenants.models import Membership, Role, Tenant, new_public_id
from tenants.permissions import require_role
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
RETRY_WINDOW = timedelta(hours=24)
# Delay after the 1st, 2nd, … failed attempt; the last repeats until the window closes, and
# the final attempt happens when it closes: at once, +1m, +5m, +30m, +2h, +6h, +12h, at 24 h.
RETRY_SCHEDULE = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
# While an attempt is in flight its next_attempt_at is pushed this far ahead: a second
# worker (the sweep, a duplicate message) finds it not due and skips it.
LEASE = timedelta(seconds=TIMEOUT_SECONDS * 3)
BODY_KEPT = 2000
USER_AGENT = "InvoiceFlow-Webhooks/1"

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


# --- endpoints -------------------------------------------------------------------------------


def loopback_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK", False))


def _is_internal_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast


def webhook_url_validate(url: str) -> str:
    """HTTPS to a public host; plain http only to 127.0.0.1/localhost, and only in development
    (DEBUG) or with WEBHOOKS_ALLOW_LOOPBACK."""
    url = (url or "").strip()
    invalid = ApplicationError(_("Enter an https:// URL."), field="url", code="invalid_url")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
        URLValidator(schemes=["http", "https"])(url)
    except (ValueError, ValidationError) as error:
        raise invalid from error
    if not host or parts.scheme not in ("http", "https") or parts.username or parts.password:
        raise invalid
    loopback = host in _LOOPBACK_HOSTS
    if loopback and not loopback_allowed():
        raise ApplicationError(
            _("Webhooks cannot be sent to this machine's own address."), field="url", code="invalid_url"
        )
    if parts.scheme == "http" and not loopback:
        raise ApplicationError(_("Webhook endpoints must use HTTPS."), field="url", code="invalid_url")
    if not loopback:
        try:
            internal = _is_internal_address(host)
        except ValueError:
            internal = host.endswith((".local", ".internal", ".localhost"))
        if internal:
            raise ApplicationError(
                _("Webhooks cannot be sent to a private network address."), field="url", code="invalid_url"
            )
    return url


def _check_admin(actor: Membership) -> Tenant:
    current_tenant()
    return require_role(actor, Role.ADMIN, message=_("Only owners and admins manage webhooks."))


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def webhook_endpoint_create(
    *, actor: Membership, url: str, events: list[str], description: str = ""
) -> CreatedEndpoint:
    _check_admin(actor)
    url = webhook_url_validate(url)
    unknown = [event for event in events if event not in EventType.values]
    if unknown or not events:
        raise ApplicationError(
            _("Choose at least one event among: %(types)s.") % {"types": ", ".join(EventType.values)},
            field="events",
            code="invalid_events",
        )
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        url=url, description=description, events=sorted(set(events)), secret=secret, is_active=True
    )
    try:
        endpoint.full_clean(exclude=["tenant"])
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise ApplicationError(" ".join(messages), field=field, code="invalid") from error
    endpoint.save()
    return CreatedEndpoint(endpoint, secret)


def webhook_endpoint_update(
    *,
    actor: Membership,
    endpoint: WebhookEndpoint,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what an endpoint receives, or switch it off (pending retries wait) and on."""
    _check_admin(actor)
    if events is not None:
        if not events or any(event not in EventType.values for event in events):
            raise ApplicationError(
                _("Choose at least one event among: %(types)s.") % {"types": ", ".join(EventType.values)},
                field="events",
                code="invalid_events",
            )
        endpoint.events = sorted(set(events))
    if description is not None:
        endpoint.description = description
    if is_active is not None:
        endpoint.is_active = is_active
    endpoint.save(update_fields=["events", "description", "is_active"])
    return endpoint


def webhook_endpoint_delete(*, actor: Membership, endpoint: WebhookEndpoint) -> None:
    """Deletes the endpoint and its delivery log (pending retries stop)."""
    _check_admin(actor)
    endpoint.delete()


# --- emitting --------------------------------------------------------------------------------


def event_id_for(tenant: Tenant, source: str) -> str:
    """A stable event id for a source row (same row → same id): a second emit of one event
    is deduplicated by the unique (endpoint, event_id). No integer key shows in it."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{tenant.pk}:{source}".encode()).hexdigest()
    return f"evt_{digest[:24]}"


def webhook_event_emit(
    *, tenant: Tenant, type: str, data: dict[str, Any], event_id: str | None = None
) -> list[WebhookDelivery]:
    """Record one delivery per active endpoint subscribed to `type`, queue each after commit.

    Called once the change it announces has committed (the outbox subscriber in
    api.webhooks.subscribers). Emitting the same `event_id` again creates nothing: each event
    reaches each endpoint once."""
    event_id = event_id or new_public_id("evt")
    now = timezone.now()
    payload = {
        "id": event_id,
        "type": str(type),
        "created": int(now.timestamp()),
        "tenant": tenant.public_id,
        "data": data,
    }
    made: list[WebhookDelivery] = []
    with tenant_scope(tenant):
        for endpoint in WebhookEndpoint.objects.filter(is_active=True):
            if not endpoint.subscribes_to(str(type)):
                continue
            delivery, created = WebhookDelivery.objects.get_or_create(
                endpoint=endpoint,
                event_id=event_id,
                defaults={
                    "tenant": tenant,
                    "event_type": str(type),
                    "payload": payload,
                    "next_attempt_at": now,
                    "retry_until": now + RETRY_WINDOW,
                },
            )
            if created:
                made.append(delivery)
                _queue_on_commit(tenant, delivery)
    return made


def _queue_on_commit(tenant: Tenant, delivery: WebhookDelivery) -> None:
    from api.webhooks.tasks import deliver_webhook

    tenant_id, delivery_id = tenant.pk, delivery.pk
    transaction.on_commit(lambda: deliver_webhook.delay(tenant_id=tenant_id, delivery_id=delivery_id))


# --- delivering ------------------------------------------------------------------------------


def next_delay(attempts: int) -> timedelta:
    return RETRY_SCHEDULE[min(max(attempts, 1), len(RETRY_SCHEDULE)) - 1]


@dataclass(frozen=True)
class _Claim:
    url: str
    secret: str
    body: str
    event_id: str


def _claim(delivery_id: int, now: datetime) -> _Claim | None:
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=delivery_id).first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    if delivery.next_attempt_at and delivery.next_attempt_at > now:
        return None  # not due, or another worker holds the lease
    if not delivery.endpoint.is_active:
        return None
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.next_attempt_at = now + LEASE
    delivery.save(update_fields=["attempts", "last_attempt_at", "updated_at", "next_attempt_at"])
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True)
    return _Claim(delivery.endpoint.url, delivery.endpoint.secret, body, delivery.event_id)


@dataclass(frozen=True)
class _Answer:
    status: int | None
    body: str
    error: str


def _refuse_internal_target(url: str) -> None:
    """Resolve the host and refuse private addresses (a public name pointing inside)."""
    if loopback_allowed():
        return
    host = urlsplit(url).hostname or ""
    for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP):
        if _is_internal_address(str(info[4][0])):
            raise ConnectionError(f"{host} resolves to a private address")


def _post(claim: _Claim) -> _Answer:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: signature_header(claim.body, claim.secret, int(time.time())),
        "InvoiceFlow-Event-Id": claim.event_id,
    }
    try:
        _refuse_internal_target(claim.url)
        with requests.post(
            claim.url,
            data=claim.body.encode(),
            headers=headers,
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            chunk = next(response.iter_content(BODY_KEPT * 2), b"")
            text = chunk.decode("utf-8", errors="replace")[:BODY_KEPT]
            return _Answer(response.status_code, text, "")
    except (requests.RequestException, OSError) as error:
        return _Answer(None, "", f"{type(error).__name__}: {error}"[:500])


def delivery_attempt(*, tenant: Tenant, delivery_id: int) -> str:
    """POST one due delivery and record the answer: "succeeded", "retry", "failed" or "skipped".

    Three steps so that no transaction stays open during the request: claim (a lease on the
    row), POST (10 s timeout), record. A 2xx succeeds; anything else is retried on the
    schedule until `retry_until`, then the delivery fails."""
    with tenant_scope(tenant):
        claim = _claim(delivery_id, timezone.now())
    if claim is None:
        return "skipped"
    answer = _post(claim)
    with tenant_scope(tenant):
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        now = timezone.now()
        delivery.last_response_status = answer.status
        delivery.last_response_body = answer.body
        delivery.last_error = answer.error
        if answer.status is not None and 200 <= answer.status < 300:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            outcome = "succeeded"
        elif now >= delivery.retry_until:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            outcome = "failed"
        else:
            delivery.next_attempt_at = min(now + next_delay(delivery.attempts), delivery.retry_until)
            outcome = "retry"
        delivery.save()
    logger.info(
        "webhook delivery %s attempt %s: %s (status %s%s)",
        delivery.public_id,
        delivery.attempts,
        outcome,
        answer.status,
        f", {answer.error}" if answer.error else "",
    )
    return outcome


def delivery_retry_delay(*, tenant: Tenant, delivery_id: int) -> float | None:
    """Seconds until the delivery's next attempt (None when none is due)."""
    with tenant_scope(tenant):
        delivery = WebhookDelivery.objects.filter(pk=delivery_id).first()
        if delivery is None or delivery.status != DeliveryStatus.PENDING or delivery.next_attempt_at is None:
            return None
        return max(0.0, (delivery.next_attempt_at - timezone.now()).total_seconds())


def webhook_delivery_replay(*, actor: Membership, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event (same id) again now, with a fresh day of retries."""
    tenant = _check_admin(actor)
    if not delivery.endpoint.is_active:
        raise ApplicationError(_("This endpoint is disabled."), code="endpoint_disabled")
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.retry_until = now + RETRY_WINDOW
    delivery.save(update_fields=["status", "next_attempt_at", "retry_until", "updated_at"])
    _queue_on_commit(tenant, delivery)
    return delivery


def deliveries_due(*, now: datetime | None = None) -> list[int]:
    """Ids of the current tenant's pending deliveries whose attempt is due."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__is_active=True
        ).values_list("pk", flat=True)[:500]
    )
