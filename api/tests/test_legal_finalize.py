"""Finalize through the API refuses a legally incomplete invoice: a 400 naming each missing field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.tests.conftest import jwt_client
from invoices.models import InvoiceStatus
from invoices.tests.factories import TaxRateFactory, line, make_invoice
from tenants.models import Role
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_the_api_answers_400_naming_each_missing_field() -> None:
    tenant = TenantFactory(country="FR", company_profile=False)
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER)
    with tenant_scope(tenant):
        vat = TaxRateFactory(name="TVA", percentage=Decimal("20"))
        invoice = make_invoice(actor=owner, lines=[line(tax_rates=[vat])])
    response = jwt_client(owner).post(f"/api/v1/invoices/{invoice.public_id}/finalize/")
    assert response.status_code == 400
    body = response.json()
    assert sorted(body["error"]["fields"]) == ["seller.address", "seller.vat_id"]
    assert body["error"]["code"] == "legally_incomplete"
    with tenant_scope(tenant):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DRAFT
