"""Issuing, revoking and resolving links to the client's public invoice page.

The token is `secrets.token_urlsafe(32)`: 256 bits from the OS's CSPRNG, far past the 128 bits
that make guessing hopeless. Only its sha256 is stored (a fast hash is right here: the token is
random, not a password, so there is nothing to brute-force from the hash).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices.models import EventVerb, Invoice, InvoiceEvent, InvoiceKind, InvoiceStatus
from invoices.services.common import check_writer, resolve
from invoices.services.invoices import invoice_record_view
from portal.models import InvoiceLink, PublicInvoiceLink
from tenants.doors import door_find
from tenants.models import Membership, Tenant
from tenants.scoping import current_tenant, tenant_scope

TOKEN_BYTES = 32
# Tokens are URL-safe base64 of 32 bytes: 43 characters. Anything else is not worth a lookup.
TOKEN_LENGTH = 43


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _link_lifetime() -> timedelta:
    return timedelta(days=settings.INVOICE_LINK_LIFETIME_DAYS)


@transaction.atomic
def invoice_link_issue(*, actor: Membership | None, invoice: Invoice | str) -> tuple[InvoiceLink, str]:
    """A new public link for a finalized invoice; the invoice's previous link stops working.

    Returns the link and the raw token (shown or emailed once, never stored). `actor` None is
    the platform itself (a task sending the invoice), inside the tenant's scope.
    """
    tenant = check_writer(actor) if actor is not None else current_tenant()
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(_("Finalize the invoice before sharing it."), code="invalid_status")
    _revoke_live(invoice)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = InvoiceLink.objects.create(
        invoice=invoice,
        issued_by=actor.user if actor else None,
        expires_at=timezone.now() + _link_lifetime(),
    )
    PublicInvoiceLink.objects.create(
        token_hash=token_hash(token), tenant=tenant, link_public_id=link.public_id
    )
    return link, token


def _revoke_live(invoice: Invoice) -> int:
    live = list(InvoiceLink.objects.filter(invoice=invoice, revoked_at__isnull=True))
    for link in live:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    # The platform index forgets revoked links: their tokens then match nothing at all.
    PublicInvoiceLink.objects.filter(link_public_id__in=[link.public_id for link in live]).delete()
    return len(live)


@transaction.atomic
def invoice_link_revoke(*, actor: Membership, invoice: Invoice | str) -> int:
    """Kill the invoice's live link (if any); returns how many were revoked (0 or 1)."""
    check_writer(actor)
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)
    return _revoke_live(invoice)


@dataclass(frozen=True)
class PublicLinkTarget:
    tenant: Tenant
    link_public_id: str


def public_link_lookup(*, token: str) -> PublicLinkTarget | None:
    """Before any tenant scope: which tenant and link a token names, if any."""
    if len(token) != TOKEN_LENGTH:
        return None
    # The index is behind row-level security too: its lookup door answers the tenant and the
    # row's id for this exact hash, and the row is read inside that tenant's scope.
    match = door_find("lookup_door_public_invoice_link", token_hash(token))
    if match is None:
        return None
    with tenant_scope(match.tenant):
        row = PublicInvoiceLink.objects.filter(pk=match.row_id).first()
    if row is None:
        return None
    return PublicLinkTarget(tenant=match.tenant, link_public_id=row.link_public_id)


def invoice_link_resolve(*, target: PublicLinkTarget) -> InvoiceLink | None:
    """Inside the target's tenant scope: the live link and its invoice, or None."""
    link = (
        InvoiceLink.objects.select_related("invoice", "invoice__client")
        .filter(public_id=target.link_public_id)
        .first()
    )
    if link is None or not link.is_live() or link.invoice.kind != InvoiceKind.INVOICE:
        return None
    return link


@transaction.atomic
def invoice_link_record_view(*, link: InvoiceLink) -> bool:
    """The client opened the page: the first such view marks the invoice *viewed*, once.

    A conditional UPDATE claims the first view, so two simultaneous first views record one event.
    Returns whether this view was the one recorded.
    """
    claimed = InvoiceLink.objects.filter(pk=link.pk, first_viewed_at__isnull=True).update(
        first_viewed_at=timezone.now()
    )
    if not claimed:
        return False
    if InvoiceEvent.objects.filter(invoice_id=link.invoice_id, verb=EventVerb.VIEWED).exists():
        return False  # an earlier link of the same invoice was viewed already
    invoice_record_view(invoice=link.invoice, viewer="client")
    return True
