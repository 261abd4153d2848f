"""Reads of outgoing webhooks (current tenant only: the scoped managers fail closed)."""

from __future__ import annotations

from django.db.models import QuerySet

from api.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.order_by("-created_at", "-pk")


def webhook_delivery_list(
    *, endpoint: str | None = None, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.select_related("endpoint")
    if endpoint:
        deliveries = deliveries.filter(endpoint__public_id=endpoint)
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    return deliveries
