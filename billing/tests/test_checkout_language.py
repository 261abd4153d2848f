"""A French client pays part of an invoice typing "20,50", and a refusal speaks French."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from billing.models import PaymentSettings, StripeAccount
from billing.tests.payment_fixtures import connect_tenant, invoice_with_link
from billing.tests.stripe_standin import StripeStandIn
from core.ratelimit import memory_limiter
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


@pytest.fixture(autouse=True)
def _fresh_limiter() -> None:
    memory_limiter.clear()


@pytest.fixture
def connected(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> StripeAccount:
    return connect_tenant(stripe_standin, tenant, owner_membership)


def _creates(standin: StripeStandIn) -> list[dict[str, Any]]:
    return [r for r in standin.requests if r["method"] == "POST" and r["path"] == "/v1/checkout/sessions"]


def test_a_french_client_pays_with_a_decimal_comma(
    stripe_standin: StripeStandIn, connected: StripeAccount, tenant: Tenant, owner_membership: Membership
) -> None:
    anon = Client(REMOTE_ADDR=f"10.8.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}")
    _, token = invoice_with_link(tenant, owner_membership, language="fr")
    with tenant_scope(tenant):
        PaymentSettings.objects.create(allow_partial_payments=True)
    page = anon.get(f"/i/{token}").content.decode()
    assert "Payer maintenant" in page
    assert "Pay now" not in page
    assert anon.post(f"/i/{token}/pay", {"amount": "20,50"}).status_code == 303
    assert _creates(stripe_standin)[-1]["params"]["line_items"][0]["price_data"]["unit_amount"] == "2050"
    too_much = anon.post(f"/i/{token}/pay", {"amount": "100,01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert too_much.status_code == 400
    body = too_much.content.decode()
    assert "Vous pouvez payer au plus le solde dû" in body
    assert "100,00\xa0€" in body
