"""The quote endpoints of the REST API: create, send, invoice; in the OpenAPI schema; another
workspace's quote is a 404 and a viewer cannot write."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.tests.conftest import (  # noqa: F401  (the API's credentials)
    _fresh_rate_limits,
    outsider_api,
    owner_api,
    viewer_api,
)
from invoices.models import ClientContact
from invoices.tests.factories import ClientFactory, TaxRateFactory
from quotes import services
from quotes.models import Quote
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def test_create_send_accept_and_invoice_a_quote(tenant, owner_api, viewer_api, outsider_api) -> None:  # noqa: F811
    with tenant_scope(tenant):
        client = ClientFactory()
        ClientContact.objects.create(client=client, name="Ada", email="ada@client.test", is_primary=True)
        vat = TaxRateFactory(percentage=Decimal("20"))
    body = {
        "client": client.public_id,
        "lines": [
            {"description": "Audit", "quantity": "2", "unit_price": "500.00", "tax_rates": [vat.public_id]}
        ],
    }
    assert viewer_api.post("/api/v1/quotes/", body, format="json").status_code == 403
    response = owner_api.post("/api/v1/quotes/", body, format="json")
    assert response.status_code == 201, response.json()
    quote = response.json()
    assert quote["status"] == "draft"
    assert quote["total"] == "1200.00"
    assert response["Location"] == f"/api/v1/quotes/{quote['id']}/"
    assert outsider_api.get(f"/api/v1/quotes/{quote['id']}/").status_code == 404
    assert outsider_api.post(f"/api/v1/quotes/{quote['id']}/send/", {}, format="json").status_code == 404
    sent = owner_api.post(f"/api/v1/quotes/{quote['id']}/send/", {}, format="json")
    assert sent.status_code == 200
    assert sent.json()["number"].startswith("QUO-")
    refused = owner_api.post(
        f"/api/v1/quotes/{quote['id']}/invoices/", {"kind": "deposit", "percent": "30"}, format="json"
    )
    assert refused.status_code == 409  # not accepted yet: a state conflict
    with tenant_scope(tenant):
        services.quote_accept(
            quote_pk=Quote.objects.get(public_id=quote["id"]).pk, name="Ada Client", ip=None
        )
    deposit = owner_api.post(
        f"/api/v1/quotes/{quote['id']}/invoices/", {"kind": "deposit", "percent": "30"}, format="json"
    )
    assert deposit.status_code == 201, deposit.json()
    assert deposit.json()["total"] == "360.00"
    listed = owner_api.get("/api/v1/quotes/?status=accepted").json()["results"]
    assert [q["id"] for q in listed] == [quote["id"]]
    assert listed[0]["invoices"][0]["kind"] == "deposit"
    assert outsider_api.get("/api/v1/quotes/").json()["results"] == []


def test_quotes_are_in_the_openapi_schema(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/quotes/{id}/invoices/" in schema
    assert "/api/v1/quotes/{id}/send/" in schema
