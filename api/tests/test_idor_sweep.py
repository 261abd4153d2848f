"""Tenant A attacks tenant B through every API route: zero 2xx on B's objects, none of B's
ids or names in any answer, B unchanged, and no row of A linked to B. The canary runs the same
sweep against a deliberately leaky view and expects findings."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tests.conftest import TenantData, api_key, jwt_client, make_data
from api.tests.idor import Victim, discover_routes, foreign_links, snapshot, sweep
from api.webhooks.services import webhook_endpoint_create, webhook_event_emit
from invoices import services
from tenants.models import Membership, Role
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _victim(other_tenant, outsider_membership) -> tuple[Victim, dict[str, str], TenantData]:
    b = make_data(other_tenant, prefix="Globex")
    with tenant_scope(other_tenant):
        payment = services.payment_record(actor=outsider_membership, invoice=b.open_invoice, amount="10")
    b_key_id = jwt_client(outsider_membership).post(
        "/api/v1/api-keys/", {"name": "Globex key"}, format="json"
    )
    # Outgoing webhooks (api/webhooks/): an endpoint of B's and a delivery to it.
    with tenant_scope(other_tenant):
        hook = webhook_endpoint_create(
            actor=outsider_membership, url="https://hooks.globex.example/in", events=["invoice.paid"]
        )
    (delivery,) = webhook_event_emit(tenant=other_tenant, type="invoice.paid", data={"who": "Globex"})
    ids = {
        "client": b.client.public_id,
        "tax_rate": b.tax_rate.public_id,
        "item": b.item.public_id,
        "invoice": b.open_invoice.public_id,
        "draft": b.draft.public_id,
        "payment": payment.public_id,
        "api_key": b_key_id.json()["id"],
        "webhook_endpoint": hook.endpoint.public_id,
        "webhook_delivery": delivery.public_id,
    }
    secrets = [
        "Globex",  # tenant, client, rate, item and line names all carry it
        *ids.values(),
        other_tenant.public_id,
        "billing@globex.example",
        "hooks.globex.example",
        hook.secret,
        delivery.event_id,
    ]
    return Victim(tenant=other_tenant, ids=list(ids.values()), secrets=secrets), ids, b


def _attackers(tenant) -> dict[str, APIClient]:
    with tenant_scope(tenant):
        owner = Membership.objects.select_related("tenant", "user").get(tenant=tenant, role=Role.OWNER)
    key = APIClient()
    key.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key(tenant, Role.OWNER)}")
    return {"A-jwt": jwt_client(owner), "A-key": key}


def test_routes_are_discovered_from_the_resolver():
    templates = {route.template for route in discover_routes()}
    assert "/api/v1/invoices/{id}/payments/" in templates
    assert "/api/v1/api-keys/{id}/revoke/" in templates
    assert "/api/v1/clients/" in templates
    assert len(templates) >= 15


# Every route with every id of another workspace: minutes on a loaded 2-core machine, so it has
# more than the suite's default 300 s (it asserts no wall-clock time; speed is for bench/).
@pytest.mark.timeout(900)
@pytest.mark.slow
def test_tenant_a_cannot_reach_tenant_b(tenant, owner_membership, other_tenant, outsider_membership):
    a = make_data(tenant, prefix="Acme")
    victim, ids, _ = _victim(other_tenant, outsider_membership)
    before = snapshot(other_tenant)
    routes = discover_routes()
    findings = sweep(_attackers(tenant), victim, ids, routes, own_ids=a.ids())
    assert findings == []
    assert snapshot(other_tenant) == before
    assert foreign_links(tenant) == []


@pytest.mark.urls("api.tests.leaky_urls")
def test_canary_the_sweep_flags_a_leaky_view(tenant, owner_membership, other_tenant, outsider_membership):
    make_data(tenant, prefix="Acme")
    victim, ids, _ = _victim(other_tenant, outsider_membership)
    routes = [route for route in discover_routes() if route.view == "LeakyClientView"]
    assert routes, "the leaky route was not discovered"
    findings = sweep(_attackers(tenant), victim, ids, routes)
    assert any("→ 200" in finding for finding in findings)
    assert any("leaked 'Globex'" in finding for finding in findings)
