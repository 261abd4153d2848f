"""Paying several open invoices of one client in one Stripe Checkout Session (the client portal).

Rules (issue 19):
- Only invoices of one client, all in one currency, each payable online (finalized, open or
  partly paid, a balance due), and only where the workspace's online payment is on. Anything
  else is refused (`ApplicationError`) before Stripe is asked, and nothing is written.
- Each invoice is charged its whole balance due at that moment: one line item per invoice. The
  split is kept (`GroupCheckoutItem`), so the webhook never has to guess which money is whose.
- Never two live sessions for one invoice: before the session is made, the open sessions of
  these invoices (single Pay now ones and other group ones) are expired at Stripe, and one that
  turns out to be paid meanwhile is recorded first; a balance that moved is then refused. The
  same selection pressed twice reuses the still-open session.
- Paid (`checkout.session.completed`, or any event that ends in `billing.ledger.payment_intent_sync`):
  one payment per item, for the item's amount, with the external id `<payment intent>:<invoice>`.
  The payments' unique (source, external id) and the item's `payment` make a redelivery, or
  the same event from two workers, record nothing twice.
- No lost money: an invoice paid another way (or voided) while its client was on Stripe's page
  still gets its share as a payment. It then shows more paid than its total, the surplus the
  member sees on the invoice and refunds or keeps as credit; nothing of the charge is dropped.
- Refunds and disputes of a grouped charge are split over its invoices' payments, the last
  invoice first, never more than an invoice's share (`billing.group_ledger`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.checkout import (
    REUSE_MARGIN,
    checkout_attempt_retire,
    checkout_locale,
    checkout_session_open,
    invoice_payable_online,
)
from billing.connect import REASONS, online_payment_status, payment_settings_get
from billing.group_ledger import group_checkout_retire
from billing.models import CheckoutAttempt, CheckoutAttemptStatus, GroupCheckout, GroupCheckoutItem
from core.errors import ApplicationError
from invoices.models import Client, Invoice
from invoices.money import ZERO, quantize_money, to_minor_units
from tenants.scoping import current_tenant

logger = logging.getLogger(__name__)

# Stripe takes up to 100 line items; a portal page rarely lists more than a few open invoices.
MAX_INVOICES = 50


def _selected(client: Client, invoice_ids: list[str]) -> list[Invoice]:
    """The chosen invoices, locked, in the order chosen; refused unless all are payable together."""
    ids = list(dict.fromkeys(i.strip() for i in invoice_ids if i and i.strip()))
    if not ids:
        raise ApplicationError(_("Choose at least one invoice to pay."), field="invoices")
    if len(ids) > MAX_INVOICES:
        raise ApplicationError(
            _("Pay at most %(count)s invoices at once.") % {"count": MAX_INVOICES}, field="invoices"
        )
    found = {
        invoice.public_id: invoice
        for invoice in Invoice.objects.select_for_update().filter(public_id__in=ids, client=client)
    }
    if len(found) != len(ids):
        # Another client's invoice (or another workspace's, which the scoped manager never finds)
        # is told exactly like a missing one.
        raise ApplicationError(_("One of these invoices could not be found."), field="invoices")
    invoices = [found[i] for i in ids]
    for invoice in invoices:
        if not invoice_payable_online(invoice):
            raise ApplicationError(
                _("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number},
                field="invoices",
                code="nothing_due",
            )
    if len({invoice.currency for invoice in invoices}) > 1:
        raise ApplicationError(
            _("These invoices are in different currencies: pay those of one currency at a time."),
            field="invoices",
        )
    return invoices


def _open_sessions_retire(client: Client, invoices: list[Invoice], account_id: str) -> str:
    """Expire every other open session of these invoices; the URL of an open group session for
    exactly this selection and these balances, if there is one fresh enough to hand out."""
    wanted = {(invoice.pk, invoice.balance_due) for invoice in invoices}
    reuse = ""
    groups = GroupCheckout.objects.filter(
        client=client, status=CheckoutAttemptStatus.OPEN, items__invoice__in=invoices
    ).distinct()
    for group in groups:
        items = {(item.invoice_id, item.amount) for item in group.items.all()}
        fresh = group.expires_at > timezone.now() + REUSE_MARGIN
        if not reuse and items == wanted and fresh and group.stripe_account == account_id:
            reuse = group.url
            continue
        with transaction.atomic():
            group_checkout_retire(group)
    for attempt in CheckoutAttempt.objects.filter(invoice__in=invoices, status=CheckoutAttemptStatus.OPEN):
        with transaction.atomic():
            checkout_attempt_retire(attempt)
    return reuse


def group_checkout_start(*, client: Client, invoice_ids: list[str], return_url: str) -> str:
    """The Stripe Checkout URL paying the balances of `invoice_ids`, all of `client`. Runs in the
    client's tenant scope, inside a transaction: the client row stays locked, so two presses of
    Pay queue up and the second reuses the first's session."""
    tenant = current_tenant()
    settings_row = payment_settings_get()
    status = online_payment_status(tenant=tenant, payment_settings=settings_row)
    if not status.enabled or status.account is None:
        raise ApplicationError(str(REASONS[status.reason]), code="payments_off")
    account_id = status.account.stripe_id
    client = Client.objects.select_for_update().get(pk=client.pk)
    invoices = _selected(client, invoice_ids)
    balances = {invoice.pk: invoice.balance_due for invoice in invoices}
    reuse = _open_sessions_retire(client, invoices, account_id)
    if reuse:
        return reuse
    for invoice in invoices:
        invoice.refresh_from_db()
        if not invoice_payable_online(invoice) or invoice.balance_due != balances[invoice.pk]:
            raise ApplicationError(
                _("A payment just arrived for invoice %(number)s. Check the balances and try again.")
                % {"number": invoice.number},
                code="balance_changed",
            )
    with transaction.atomic():
        return _create(client=client, invoices=invoices, account_id=account_id, return_url=return_url)


def _create(*, client: Client, invoices: list[Invoice], account_id: str, return_url: str) -> str:
    currency = invoices[0].currency
    number = (GroupCheckout.objects.filter(client=client).aggregate(n=Max("number"))["n"] or 0) + 1
    total = quantize_money(sum((invoice.balance_due for invoice in invoices), ZERO), currency)
    metadata = {
        "tenant": current_tenant().public_id,
        "client": client.public_id,
        # The number, not a random id: a retried create must send the very same parameters.
        "group_checkout": str(number),
    }
    title = _("Invoices %(numbers)s") % {"numbers": ", ".join(invoice.number or "" for invoice in invoices)}
    separator = "&" if "?" in return_url else "?"
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": to_minor_units(invoice.balance_due, currency),
                    "product_data": {"name": _("Invoice %(number)s") % {"number": invoice.number}},
                },
                "quantity": 1,
            }
            for invoice in invoices
        ],
        "success_url": f"{return_url}{separator}checkout=done&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{return_url}{separator}checkout=cancelled",
        "client_reference_id": client.public_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": title[:1000]},
        "locale": checkout_locale(client.language),
    }
    if client.primary_email:
        params["customer_email"] = client.primary_email
    selection = ",".join(
        f"{invoice.public_id}:{to_minor_units(invoice.balance_due, currency)}" for invoice in invoices
    )
    digest = hashlib.sha256(selection.encode()).hexdigest()[:32]
    session = checkout_session_open(
        params=params,
        idempotency_key=f"group-checkout:{client.public_id}:{number}:{digest}",
        account=account_id,
        field="invoices",
    )
    checkout = GroupCheckout.objects.create(
        client=client,
        number=number,
        stripe_account=account_id,
        session_id=session["id"],
        url=session["url"],
        amount=total,
        currency=currency,
        expires_at=datetime.fromtimestamp(session["expires_at"], tz=UTC),
    )
    GroupCheckoutItem.objects.bulk_create(
        [
            GroupCheckoutItem(
                checkout=checkout, invoice=invoice, amount=invoice.balance_due, tenant=checkout.tenant
            )
            for invoice in invoices
        ]
    )
    return checkout.url
