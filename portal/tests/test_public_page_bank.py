"""The client's public invoice page says where to pay: the frozen bank account, the reference and
the EPC QR code (an inline image the page's CSP allows: img-src data:)."""

from __future__ import annotations

import pytest
from django.test import Client

from billing.tests.payment_fixtures import invoice_with_link
from invoices import services
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_the_public_page_shows_the_bank_account_reference_and_qr(
    tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        services.bank_account_create(
            actor=owner_membership,
            country="DE",
            currency="EUR",
            iban="DE89370400440532013000",
            bic="COBADEFFXXX",
        )
    invoice, token = invoice_with_link(tenant, owner_membership)
    response = Client(REMOTE_ADDR="10.9.8.7").get(f"/i/{token}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="payment-instructions"' in page
    assert "DE89 3704 0044 0532 0130 00" in page
    assert f'data-testid="payment-reference">{invoice.number}<' in page
    assert 'data-testid="epc-qr"' in page
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
