"""Fixtures for API tests: credentials (API keys, JWTs) and a little data in two tenants."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from api.services import api_key_create
from api.tokens import token_pair_issue
from invoices.models import CatalogItem, Client, Invoice, TaxRate
from invoices.tests.factories import CatalogItemFactory, ClientFactory, TaxRateFactory, line, make_invoice
from tenants.models import Membership, Role, Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: pytest.FixtureRequest) -> None:
    """API tests make many requests from one address: a limit no test reaches by accident (the
    root conftest empties the buckets before each test; the rate-limit tests set their own)."""
    settings.API_RATE_LIMIT = 10_000


def access_token(membership: Membership) -> str:
    return str(token_pair_issue(membership=membership).access_token)


def jwt_client(membership: Membership) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(membership)}")
    return client


def api_key(tenant: Tenant, role: str = Role.MEMBER) -> str:
    with tenant_scope(tenant):
        owner = (
            Membership.objects.filter(tenant=tenant, role=Role.OWNER).select_related("user", "tenant").first()
        )
        owner = owner or MembershipFactory(tenant=tenant, role=Role.OWNER)
        return api_key_create(actor=owner, name=f"{role} key", role=role).secret


def key_client(tenant: Tenant, role: str = Role.MEMBER) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(tenant, role)}")
    return client


@pytest.fixture
def owner_api(owner_membership: Membership) -> APIClient:
    return jwt_client(owner_membership)


@pytest.fixture
def member_api(member_membership: Membership) -> APIClient:
    return jwt_client(member_membership)


@pytest.fixture
def viewer_api(viewer_membership: Membership) -> APIClient:
    return jwt_client(viewer_membership)


@pytest.fixture
def outsider_api(outsider_membership: Membership) -> APIClient:
    """The owner of another tenant (Globex), with a token for Globex."""
    return jwt_client(outsider_membership)


@dataclass
class TenantData:
    tenant: Tenant
    client: Client
    tax_rate: TaxRate
    item: CatalogItem
    draft: Invoice
    open_invoice: Invoice

    def ids(self) -> list[str]:
        return [
            self.client.public_id,
            self.tax_rate.public_id,
            self.item.public_id,
            self.draft.public_id,
            self.open_invoice.public_id,
        ]


def make_data(tenant: Tenant, *, prefix: str) -> TenantData:
    with tenant_scope(tenant):
        actor = Membership.objects.filter(tenant=tenant, role=Role.OWNER).first() or MembershipFactory(
            tenant=tenant, role=Role.OWNER
        )
        client = ClientFactory(name=f"{prefix} Client Ltd", emails=[f"billing@{prefix.lower()}.example"])
        rate = TaxRateFactory(name=f"{prefix} VAT")
        item = CatalogItemFactory(name=f"{prefix} Design hour")
        draft = make_invoice(
            actor=actor, client=client, lines=[line(f"{prefix} draft work", "2", "50.00", tax_rates=[rate])]
        )
        open_invoice = make_invoice(
            actor=actor, client=client, lines=[line(f"{prefix} done work", "1", "120.00")], finalize=True
        )
        return TenantData(tenant, client, rate, item, draft, open_invoice)


@pytest.fixture
def data(tenant: Tenant, owner_membership: Membership) -> TenantData:
    return make_data(tenant, prefix="Acme")


@pytest.fixture
def other_data(other_tenant: Tenant, outsider_membership: Membership) -> TenantData:
    return make_data(other_tenant, prefix="Globex")


from documents.tests.einvoice_fixtures import complete_seller  # noqa: E402, F401
