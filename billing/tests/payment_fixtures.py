"""Helpers for the getting-paid tests: a tenant connected to the Stripe stand-in, invoices with
public links, and Stripe's objects of one payment."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from billing import connect
from billing.models import StripeAccount
from billing.tests.fixtures import CONNECT_WEBHOOK_SECRET, post_stripe_event
from billing.tests.stripe_standin import StripeStandIn
from invoices.models import Invoice
from invoices.tests.factories import ClientFactory, line, make_invoice
from portal.services import invoice_link_issue
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope


def connect_tenant(
    standin: StripeStandIn, tenant: Tenant, owner: Membership, *, finish: bool = True
) -> StripeAccount:
    """The owner goes through Connect onboarding on the stand-in (account + account link)."""
    with tenant_scope(tenant):
        connect.stripe_account_onboarding_link(
            actor=owner, refresh_url="http://127.0.0.1/refresh", return_url="http://127.0.0.1/return"
        )
        account = StripeAccount.objects.get(tenant=tenant)
    if finish:
        standin.account_complete_onboarding(account.stripe_id)
        connect.stripe_account_sync(stripe_id=account.stripe_id)
        with tenant_scope(tenant):
            account.refresh_from_db()
    return account


def invoice_with_link(
    tenant: Tenant,
    owner: Membership,
    *,
    amount: str = "100.00",
    currency: str = "EUR",
    language: str = "en",
    email: str = "client@example.com",
) -> tuple[Invoice, str]:
    """A finalized invoice of `amount` and the raw token of its public link."""
    with tenant_scope(tenant):
        client = ClientFactory(currency=currency, language=language, emails=[email])
        invoice = make_invoice(
            actor=owner, client=client, lines=[line(unit_price=amount)], finalize=True, currency=currency
        )
        _, token = invoice_link_issue(actor=owner, invoice=invoice)
    return invoice, token


def refreshed(tenant: Tenant, invoice: Invoice) -> Invoice:
    with tenant_scope(tenant):
        return Invoice.objects.get(pk=invoice.pk)


def post_connect_event(client: Client, event: dict[str, Any]) -> Any:
    return post_stripe_event(client, event, secret=CONNECT_WEBHOOK_SECRET)


def d(value: str) -> Decimal:
    return Decimal(value)
