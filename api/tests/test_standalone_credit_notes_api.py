"""POST /api/v1/credit-notes/: a stand-alone credit note (issue #16) through the API."""

from __future__ import annotations

import pytest

from invoices.models import Invoice, InvoiceKind
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db
URL = "/api/v1/credit-notes/"


def _body(data, **extra):
    return {
        "client": data.client.public_id,
        "currency": "EUR",
        "lines": [
            {
                "description": "Goodwill",
                "quantity": "2",
                "unit_price": "25.00",
                "tax_rates": [data.tax_rate.public_id],
            }
        ],
        "reason": "Late delivery",
        "issue_date": "2026-05-04",
        **extra,
    }


def _notes(tenant) -> int:
    with tenant_scope(tenant):
        return Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count()


def test_it_is_created_numbered_and_leaves_invoices_alone(owner_api, data, tenant):
    before = owner_api.get(f"/api/v1/invoices/{data.open_invoice.public_id}/").json()["balance_due"]
    response = owner_api.post(URL, _body(data, buyer_reference=" PO-9 "), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["buyer_reference"] == "PO-9"
    note = response.json()
    assert (note["kind"], note["credit_note_for"], note["number"]) == ("credit_note", None, "CN-2026-00001")
    assert (note["total"], note["balance_due"], note["currency"]) == ("60.00", "0.00", "EUR")
    assert response["Location"] == f"/api/v1/invoices/{note['id']}/"
    assert owner_api.get(response["Location"]).json()["notes"] == "Late delivery"
    after = owner_api.get(f"/api/v1/invoices/{data.open_invoice.public_id}/").json()["balance_due"]
    assert after == before


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"lines": [{"description": "x", "quantity": "1", "unit_price": "1.2345678"}]}, "lines.0.unit_price"),
        ({"lines": []}, "lines"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": None}, "currency"),
        ({"allowances_charges": [{"amount": "5.00"}]}, "allowances_charges.0.reason"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(owner_api, data, tenant, extra, field):
    response = owner_api.post(URL, _body(data, **extra), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert _notes(tenant) == 0


def test_another_workspaces_client_is_not_found_without_a_leak(
    owner_api, data, other_data, tenant, other_tenant
):
    response = owner_api.post(URL, _body(data, client=other_data.client.public_id), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_found"
    assert "client" in response.json()["error"]["fields"]
    assert "Globex" not in response.content.decode()
    assert _notes(tenant) == _notes(other_tenant) == 0


def test_a_viewer_is_refused(viewer_api, data, tenant):
    response = viewer_api.post(URL, _body(data), format="json")
    assert response.status_code == 403
    assert _notes(tenant) == 0


def test_only_post_and_it_is_in_the_schema(owner_api, client):
    assert owner_api.get(URL).status_code == 405
    operation = client.get("/api/schema/?format=json").json()["paths"][URL]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/StandaloneCreditNoteWriteRequest")
    assert "201" in operation["responses"]
