"""Pay now: a Stripe Checkout Session for an invoice's balance, on the tenant's connected account.

Rules (issue 6):
- Created on demand, when the client presses Pay now, with an idempotency key derived from
  (invoice, balance due, amount, attempt number): a retried request (a double click, a timeout
  after Stripe answered) gets the same session back instead of a second one.
- A still-open session for the same amount and balance is reused; an expired one is replaced.
- Never two live sessions: before a new session is made for another amount or balance, the
  old one is expired at Stripe (and if it turns out to be paid meanwhile, that payment is
  recorded first and the balance recomputed). One open `CheckoutAttempt` per invoice is also a
  database constraint.
- Amounts cross to Stripe in integer minor units, converted here with `invoices.money`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import stripe_client
from billing.connect import REASONS, online_payment_status, payment_settings_get
from billing.group_ledger import group_checkout_retire
from billing.ledger import payment_intent_sync
from billing.models import CheckoutAttempt, CheckoutAttemptStatus, GroupCheckout
from core.errors import ApplicationError
from invoices.models import Invoice, InvoiceKind, InvoiceStatus
from invoices.money import ZERO, format_money, parse_amount, to_minor_units
from invoices.services.common import resolve
from tenants.scoping import current_tenant

logger = logging.getLogger(__name__)

PAYABLE_ONLINE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
# A session about to expire is not handed out: the client needs time to type a card number.
REUSE_MARGIN = timedelta(minutes=10)
# Checkout's languages we pass on; others get "auto" (the browser's language).
CHECKOUT_LOCALES = {"en", "fr", "de", "es", "it", "nl", "pt", "sv", "da", "fi", "nb", "pl", "ja"}


def checkout_session_open(*, params: dict[str, Any], idempotency_key: str, account: str, field: str) -> Any:
    """A Stripe Checkout Session on the connected `account`; Stripe refusing the request (an
    amount below its minimum, say) becomes the payer's error on `field`, in their words."""
    try:
        return stripe_client.checkout_session_create(
            params=params, idempotency_key=idempotency_key, account=account
        )
    except stripe_client.InvalidRequestError as error:
        logger.warning("Checkout refused (%s): %s", idempotency_key, error)
        raise ApplicationError(
            _("Card payment is not possible for this amount: %(reason)s")
            % {"reason": error.user_message or str(error)},
            field=field,
            code="checkout_refused",
        ) from error


def invoice_payable_online(invoice: Invoice) -> bool:
    return (
        invoice.kind == InvoiceKind.INVOICE
        and invoice.status in PAYABLE_ONLINE
        and invoice.balance_due > ZERO
    )


def checkout_locale(language: str) -> str:
    code = (language or "").split("-")[0].split("_")[0].lower()
    return code if code in CHECKOUT_LOCALES else "auto"


def _session_state(attempt: CheckoutAttempt) -> dict:
    return stripe_client.checkout_session_retrieve(
        session_id=attempt.session_id, account=attempt.stripe_account
    )


def checkout_attempt_settle(*, attempt: CheckoutAttempt, session: dict | None = None) -> str:
    """Bring an attempt in line with its session at Stripe; returns the session's status.

    A completed session's payment is recorded (the same sync the webhooks run), so the balance
    is right before anything else is decided.
    """
    session = session or _session_state(attempt)
    status = session.get("status") or ""
    intent_id = session.get("payment_intent") or ""
    if isinstance(intent_id, dict):
        intent_id = intent_id.get("id", "")
    if intent_id and attempt.payment_intent_id != intent_id:
        attempt.payment_intent_id = intent_id
    if status == "complete":
        attempt.status = CheckoutAttemptStatus.COMPLETE
    elif status == "expired":
        attempt.status = CheckoutAttemptStatus.EXPIRED
    attempt.checked_at = timezone.now()
    attempt.save(update_fields=["payment_intent_id", "status", "checked_at"])
    if intent_id and (status == "complete" or session.get("payment_status") == "paid"):
        payment_intent_sync(account_id=attempt.stripe_account, payment_intent_id=intent_id)
    return status


def checkout_attempt_retire(attempt: CheckoutAttempt) -> None:
    """Expire an open session at Stripe before another is made; record it if it was paid."""
    try:
        session = stripe_client.checkout_session_expire(
            session_id=attempt.session_id, account=attempt.stripe_account
        )
    except stripe_client.InvalidRequestError:
        # Not open any more (paid or expired a moment ago): ask what it is now.
        session = None
    checkout_attempt_settle(attempt=attempt, session=session)


def invoice_checkout_start(
    *, invoice: Invoice | str, return_url: str, amount: Decimal | str | None = None
) -> str:
    """The Stripe Checkout URL to pay `invoice` (its balance, or `amount` where partial payments
    are allowed). Runs in the invoice's tenant scope, inside its transaction; the invoice row
    stays locked, so two presses of Pay now queue up and the second reuses the first's session.

    What it learns from Stripe on the way (an old session paid meanwhile) is recorded in
    savepoints of its own, so an ApplicationError raised afterwards does not undo it.
    """
    tenant = current_tenant()
    settings_row = payment_settings_get()
    status = online_payment_status(tenant=tenant, payment_settings=settings_row)
    if not status.enabled or status.account is None:
        raise ApplicationError(str(REASONS[status.reason]), code="payments_off")
    account_id = status.account.stripe_id
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"), lock=True)

    for group in GroupCheckout.objects.filter(
        status=CheckoutAttemptStatus.OPEN, items__invoice=invoice
    ).distinct():
        # A session of the client portal paying this invoice with others: it goes first (and
        # is recorded if it was paid meanwhile), so no two live sessions pay this balance.
        with transaction.atomic():
            group_checkout_retire(group)
    with transaction.atomic():
        current = CheckoutAttempt.objects.filter(invoice=invoice, status=CheckoutAttemptStatus.OPEN).first()
        if current is not None and current.stripe_account != account_id:
            checkout_attempt_retire(current)  # the tenant connected another account: the old session must go
            current = None
        if current is not None:
            session = _session_state(current)
            if session.get("status") != "open":
                checkout_attempt_settle(attempt=current, session=session)
                current = None
    invoice.refresh_from_db()
    balance, value = _amount_to_pay(invoice, amount, allow_partial=settings_row.allow_partial_payments)

    if current is not None:
        fresh_enough = current.expires_at > timezone.now() + REUSE_MARGIN
        if current.amount == value and current.balance_due == balance and fresh_enough:
            return current.url
        with transaction.atomic():
            checkout_attempt_retire(current)
        invoice.refresh_from_db()
        if not invoice_payable_online(invoice) or invoice.balance_due != balance:
            # The old session was paid just now: the balance moved under the client's feet.
            raise ApplicationError(
                _("A payment just arrived for this invoice. Check the balance and try again."),
                code="balance_changed",
            )
    with transaction.atomic():
        return _create(
            invoice=invoice, account_id=account_id, amount=value, balance=balance, return_url=return_url
        )


def _amount_to_pay(
    invoice: Invoice, amount: Decimal | str | None, *, allow_partial: bool
) -> tuple[Decimal, Decimal]:
    """(balance due, amount to charge) or ApplicationError."""
    if not invoice_payable_online(invoice):
        raise ApplicationError(_("There is nothing left to pay on this invoice."), code="nothing_due")
    balance = invoice.balance_due
    if amount in (None, "") or not allow_partial:
        return balance, balance
    value = parse_amount(amount, currency=invoice.currency, field="amount")
    if value <= ZERO:
        raise ApplicationError(_("Enter an amount to pay."), field="amount")
    if value > balance:
        locale = invoice.client.language or "en"
        raise ApplicationError(
            _("You can pay at most the balance due, %(due)s.")
            % {"due": format_money(balance, invoice.currency, locale)},
            field="amount",
        )
    return balance, value


def _create(*, invoice: Invoice, account_id: str, amount: Decimal, balance: Decimal, return_url: str) -> str:
    number = (CheckoutAttempt.objects.filter(invoice=invoice).aggregate(n=Max("number"))["n"] or 0) + 1
    minor, balance_minor = to_minor_units(amount, invoice.currency), to_minor_units(balance, invoice.currency)
    attempt = CheckoutAttempt(
        invoice=invoice,
        number=number,
        stripe_account=account_id,
        amount=amount,
        currency=invoice.currency,
        balance_due=balance,
    )
    metadata = {
        "invoice": invoice.public_id,
        "tenant": current_tenant().public_id,
        # The number, not a random id: a retried create must send the very same parameters.
        "checkout_attempt": str(number),
    }
    title = _("Invoice %(number)s") % {"number": invoice.number}
    separator = "&" if "?" in return_url else "?"
    params = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "unit_amount": minor,
                    "product_data": {"name": title},
                },
                "quantity": 1,
            }
        ],
        "success_url": f"{return_url}{separator}checkout=done&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{return_url}{separator}checkout=cancelled",
        "client_reference_id": invoice.public_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata, "description": title},
        "locale": checkout_locale(invoice.client.language),
    }
    if invoice.client.primary_email:
        params["customer_email"] = invoice.client.primary_email
    session = checkout_session_open(
        params=params,
        # (invoice, balance, amount, attempt): the same press retried gets the same session.
        idempotency_key=f"invoice-checkout:{invoice.public_id}:{balance_minor}:{minor}:{number}",
        account=account_id,
        field="amount",
    )
    attempt.session_id = session["id"]
    attempt.url = session["url"]
    attempt.expires_at = datetime.fromtimestamp(session["expires_at"], tz=UTC)
    attempt.save()
    return attempt.url
