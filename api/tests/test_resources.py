"""Clients, tax rates and catalog items through the API, for owner, viewer and outsider."""

from __future__ import annotations

import pytest

from api.tests.conftest import key_client
from invoices.models import Client, TaxRate
from tenants.models import Role
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

CLIENT = {"name": "Initech", "emails": ["ap@initech.example"], "currency": "EUR", "country": "FR"}


def test_client_crud_as_owner(owner_api, tenant):
    created = owner_api.post("/api/v1/clients/", CLIENT, format="json")
    assert created.status_code == 201, created.json()
    client_id = created.json()["id"]
    assert client_id.startswith("cli_")
    assert created["Location"] == f"/api/v1/clients/{client_id}/"

    listed = owner_api.get("/api/v1/clients/").json()["results"]
    assert [row["id"] for row in listed] == [client_id]

    updated = owner_api.patch(f"/api/v1/clients/{client_id}/", {"city": "Lyon"}, format="json")
    assert updated.status_code == 200
    assert updated.json()["city"] == "Lyon"
    assert updated.json()["name"] == "Initech"

    archived = owner_api.post(f"/api/v1/clients/{client_id}/archive/")
    assert archived.json()["archived"] is True
    assert owner_api.get("/api/v1/clients/").json()["results"] == []
    assert len(owner_api.get("/api/v1/clients/?include_archived=true").json()["results"]) == 1
    with tenant_scope(tenant):
        assert Client.objects.get(public_id=client_id).city == "Lyon"


def test_client_validation_errors_name_the_field(owner_api):
    response = owner_api.post("/api/v1/clients/", {**CLIENT, "emails": ["not-an-email"]}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "emails" in error["fields"]

    response = owner_api.post("/api/v1/clients/", {"emails": ["a@b.example"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["name"]


def test_viewer_reads_but_cannot_write(viewer_api, data):
    assert viewer_api.get("/api/v1/clients/").status_code == 200
    assert viewer_api.get(f"/api/v1/clients/{data.client.public_id}/").status_code == 200
    for response in (
        viewer_api.post("/api/v1/clients/", CLIENT, format="json"),
        viewer_api.patch(f"/api/v1/clients/{data.client.public_id}/", {"city": "X"}, format="json"),
        viewer_api.post(f"/api/v1/clients/{data.client.public_id}/archive/"),
        viewer_api.post("/api/v1/tax-rates/", {"name": "VAT", "percentage": "20"}, format="json"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_viewer_api_key_cannot_write(tenant, owner_membership, data):
    api = key_client(tenant, Role.VIEWER)
    assert api.get("/api/v1/invoices/").status_code == 200
    response = api.post(
        "/api/v1/invoices/",
        {
            "client": data.client.public_id,
            "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}],
        },
        format="json",
    )
    assert response.status_code == 403


def test_outsider_sees_nothing_of_the_tenant(outsider_api, data, other_tenant):
    assert outsider_api.get("/api/v1/clients/").json()["results"] == []
    for path in (
        f"/api/v1/clients/{data.client.public_id}/",
        f"/api/v1/tax-rates/{data.tax_rate.public_id}/",
        f"/api/v1/catalog-items/{data.item.public_id}/",
    ):
        response = outsider_api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert outsider_api.patch(path, {"name": "pwned"}, format="json").status_code == 404
        assert outsider_api.post(path + "archive/").status_code == 404


def test_tax_rate_and_catalog_item_crud(owner_api, tenant):
    rate = owner_api.post("/api/v1/tax-rates/", {"name": "VAT 20", "percentage": "20"}, format="json")
    assert rate.status_code == 201, rate.json()
    rate_id = rate.json()["id"]
    assert rate.json()["percentage"] == "20"
    bad = owner_api.post("/api/v1/tax-rates/", {"name": "VAT", "percentage": "120"}, format="json")
    assert bad.status_code == 400
    assert "percentage" in bad.json()["error"]["fields"]

    item = owner_api.post(
        "/api/v1/catalog-items/",
        {"name": "Design hour", "unit_price": "80.00", "currency": "EUR", "tax_rates": [rate_id]},
        format="json",
    )
    assert item.status_code == 201, item.json()
    body = item.json()
    assert body["unit_price"] == "80.00"
    assert body["tax_rates"] == [rate_id]

    patched = owner_api.patch(f"/api/v1/catalog-items/{body['id']}/", {"unit_price": "95"}, format="json")
    assert patched.json()["unit_price"] == "95.00"
    assert owner_api.post(f"/api/v1/tax-rates/{rate_id}/archive/").json()["archived_at"] is not None
    with tenant_scope(tenant):
        assert TaxRate.objects.get(public_id=rate_id).archived_at is not None


def test_foreign_tax_rate_in_body_is_not_found(owner_api, data, other_data):
    response = owner_api.post(
        "/api/v1/catalog-items/",
        {"name": "x", "unit_price": "1", "tax_rates": [other_data.tax_rate.public_id]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_found"
    assert other_data.tax_rate.public_id not in response.content.decode()


def test_pagination_walks_every_row_once(owner_api, tenant):
    from invoices.tests.factories import ClientFactory

    with tenant_scope(tenant):
        ClientFactory.create_batch(7, name="Same name")
    seen, url = [], "/api/v1/clients/?page_size=3"
    while url:
        page = owner_api.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == 7
    assert len(set(seen)) == 7
    assert owner_api.get("/api/v1/clients/?cursor=garbage").status_code == 400
    assert owner_api.get("/api/v1/clients/?page_size=1000").status_code == 400


def test_unknown_language_is_a_400_not_a_500(owner_api):
    # Found by Schemathesis: Babel raises UnknownLocaleError (not a ValueError) for this one.
    response = owner_api.post("/api/v1/clients/", {**CLIENT, "language": "chart_currencies"}, format="json")
    assert response.status_code == 400
    assert "language" in response.json()["error"]["fields"]


def test_client_peppol_id_and_einvoice_choices_through_the_api(owner_api):
    created = owner_api.post(
        "/api/v1/clients/",
        {
            "name": "Peppol Buyer BV",
            "emails": ["ap@buyer.example"],
            "country": "NL",
            "peppol_scheme": "0106",
            "peppol_id": "12345678",
            "einvoice_format": "ubl",
            "facturx": None,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["peppol_scheme"], body["peppol_id"], body["einvoice_format"]) == ("0106", "12345678", "ubl")
    assert body["facturx"] is None
    changed = owner_api.patch(f"/api/v1/clients/{body['id']}/", {"facturx": False}, format="json")
    assert changed.json()["facturx"] is False
    refused = owner_api.patch(f"/api/v1/clients/{body['id']}/", {"peppol_scheme": "x"}, format="json")
    assert refused.status_code == 400
    assert "peppol_scheme" in refused.json()["error"]["fields"]
