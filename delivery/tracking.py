"""Delivery events from the email provider: delivered, bounced, complained.

Amazon SES publishes them to an SNS topic whose HTTPS subscription posts to anymail's webhook
at /anymail/amazon_ses/tracking/. Anymail checks the request's HTTP basic auth against
ANYMAIL_WEBHOOK_SECRET (set in the subscription URL as https://user:password@host/...), parses
the SNS envelope and sends one `anymail.signals.tracking` signal per recipient. Anymail 15
does not verify the SNS message signature itself (its code says "Future"), so the shared
secret over HTTPS is what authenticates a post; with no secret configured the settings use a
random one and every post is refused.

The event names a provider message id; the lookup door of `ProviderMessageIndex` turns it into
a tenant, and the rest happens inside that tenant's scope. Each (message, recipient, state) is
applied once: a redelivered notification changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, tracking
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from delivery.models import (
    BounceKind,
    ClientEmailProblem,
    MessageKind,
    MessageStatus,
    OutgoingMessage,
    ProviderMessageIndex,
)
from delivery.notices import notice_queue, tenant_managers
from delivery.services import message_update_status
from invoices.models import Client, EventVerb, Invoice
from invoices.services.common import record_event
from tenants.doors import door_find
from tenants.models import Tenant
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)

HANDLED = {
    EventType.DELIVERED: MessageStatus.DELIVERED,
    EventType.BOUNCED: MessageStatus.BOUNCED,
    EventType.REJECTED: MessageStatus.BOUNCED,
    EventType.COMPLAINED: MessageStatus.COMPLAINED,
}
TIMELINE_VERBS = {
    MessageStatus.DELIVERED: EventVerb.EMAIL_DELIVERED,
    MessageStatus.BOUNCED: EventVerb.EMAIL_BOUNCED,
    MessageStatus.COMPLAINED: EventVerb.EMAIL_COMPLAINED,
}


@receiver(tracking, dispatch_uid="delivery.tracking.on_tracking_event")
def on_tracking_event(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    tracking_event_apply(event=event)


def tracking_event_apply(*, event: AnymailTrackingEvent) -> str:
    """Apply one provider event to its message. Returns what happened (logs, tests)."""
    status = HANDLED.get(event.event_type)
    if status is None:
        return "ignored"
    if not event.message_id or not event.recipient:
        return "ignored"
    # Before any tenant scope: the index's lookup door names the message's tenant.
    match = door_find("lookup_door_provider_message", event.message_id)
    if match is None:
        # Not ours (another app on the same SES account) or already forgotten.
        logger.info("tracking event for unknown message %s", event.message_id)
        return "unknown"
    with tenant_scope(match.tenant):
        index = ProviderMessageIndex.objects.select_related("tenant").filter(pk=match.row_id).first()
        if index is None:
            return "unknown"
        message = (
            OutgoingMessage.objects.select_for_update(of=("self",))
            .select_related("invoice", "invoice__client")
            .filter(public_id=index.message_public_id)
            .first()
        )
        if message is None:
            return "unknown"
        recipient = event.recipient.strip().lower()
        # The message's own spelling of the address, when it is one of its recipients.
        recipient = next((address for address in message.to if address.lower() == recipient), recipient)
        if not message_update_status(message, recipient=recipient, status=status):
            return "duplicate"
        if message.invoice is not None and message.kind in (
            MessageKind.INVOICE,
            MessageKind.CREDIT_NOTE,
            MessageKind.REMINDER,
        ):
            _on_client_message(index.tenant, message, recipient, status, event)
    return status


def _on_client_message(
    tenant: Tenant,
    message: OutgoingMessage,
    recipient: str,
    status: MessageStatus,
    event: AnymailTrackingEvent,
) -> None:
    invoice = message.invoice
    assert invoice is not None
    description = (event.description or event.mta_response or "")[:300]
    record_event(
        invoice,
        verb=TIMELINE_VERBS[status],
        to=[recipient],
        reason=recipient if status == MessageStatus.DELIVERED else f"{recipient}: {description}".rstrip(": "),
        message=message.public_id,
    )
    if status == MessageStatus.DELIVERED:
        return
    _flag_address(invoice.client, recipient, status, description, message)
    _tell_managers(tenant, invoice, recipient, status, description)


def _flag_address(
    client: Client, email: str, status: str, description: str, message: OutgoingMessage
) -> None:
    kind = BounceKind.BOUNCED if status == MessageStatus.BOUNCED else BounceKind.COMPLAINED
    existing = ClientEmailProblem.objects.filter(
        client=client, email__iexact=email, cleared_at__isnull=True
    ).first()
    if existing is not None:
        existing.kind, existing.description, existing.message = kind, description, message
        existing.save(update_fields=["kind", "description", "message"])
        return
    ClientEmailProblem.objects.create(
        client=client,
        email=email,
        kind=kind,
        description=description,
        message=message,
        created_at=timezone.now(),
    )


def _tell_managers(tenant: Tenant, invoice: Invoice, recipient: str, status: str, description: str) -> None:
    from django.conf import settings
    from django.urls import reverse

    managers = tenant_managers(tenant)
    with translation.override(tenant.locale or "en"):
        subject = (
            _("An email about %(number)s bounced: %(email)s")
            if status == MessageStatus.BOUNCED
            else _("%(email)s marked an email about %(number)s as spam")
        ) % {"number": invoice.number or invoice.public_id, "email": recipient}
    notice_queue(
        kind=MessageKind.BOUNCE_NOTICE,
        to=[membership.user.email for membership in managers],
        subject=subject,
        invoice=invoice,
        context={
            "recipient": recipient,
            "problem": status,
            "description": description,
            "client_name": invoice.client.name,
            "number": invoice.number or "",
            "url": f"{settings.SITE_URL}{reverse('invoice_detail', args=[tenant.slug, invoice.public_id])}",
        },
    )
