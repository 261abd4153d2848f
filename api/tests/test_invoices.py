"""Invoices through the API: drafts with lines, the status changes, payments, credit notes,
filters, ordering and exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from invoices.models import Invoice, InvoiceStatus, Payment
from invoices.tests.factories import ClientFactory, line, make_invoice
from tenants.models import Membership
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _draft(data, **extra):
    return {
        "client": data.client.public_id,
        "lines": [
            {
                "description": "Design",
                "quantity": "10",
                "unit_price": "80.00",
                "tax_rates": [data.tax_rate.public_id],
            },
            {"description": "Hosting", "quantity": 1, "unit_price": 25, "catalog_item": data.item.public_id},
        ],
        **extra,
    }


def test_create_a_draft_with_lines_in_one_request(owner_api, data, tenant):
    response = owner_api.post("/api/v1/invoices/", _draft(data, notes="Thanks"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["number"] is None
    assert body["currency"] == "EUR"
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("825.00", "160.00", "985.00")
    assert [row["description"] for row in body["lines"]] == ["Design", "Hosting"]
    assert body["lines"][1]["catalog_item"] == data.item.public_id
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(public_id=body["id"])
        assert invoice.lines.count() == 2
        assert str(invoice.total) == "985.0000"


def test_money_must_not_be_a_float(owner_api, data):
    payload = _draft(data)
    payload["lines"][0]["unit_price"] = 80.5
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400
    assert "decimal string" in response.json()["error"]["fields"]["lines.0.unit_price"][0]
    payload["lines"][0]["unit_price"] = "80.1234567"  # a net price has at most 6 decimals (BT-146)
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400
    assert "lines.0.unit_price" in response.json()["error"]["fields"]
    payload["lines"][0]["discount"] = "1.001"  # an amount has the currency's decimals
    payload["lines"][0]["unit_price"] = "80.123"
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400
    assert "lines.0.discount" in response.json()["error"]["fields"]


def test_foreign_client_in_body_is_not_found(owner_api, data, other_data):
    payload = _draft(data)
    payload["client"] = other_data.client.public_id
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_found"
    assert "Globex" not in response.content.decode()


def test_update_finalize_void_duplicate(owner_api, data, tenant):
    draft_id = data.draft.public_id
    patched = owner_api.patch(
        f"/api/v1/invoices/{draft_id}/",
        {
            "lines": [{"description": "Only line", "quantity": "3", "unit_price": "10"}],
            "buyer_reference": "PO-7",
        },
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    assert patched.json()["total"] == "30.00"
    assert patched.json()["buyer_reference"] == "PO-7"

    finalized = owner_api.post(f"/api/v1/invoices/{draft_id}/finalize/")
    assert finalized.status_code == 200
    assert finalized.json()["status"] == "open"
    assert finalized.json()["number"].startswith("INV-")

    again = owner_api.patch(f"/api/v1/invoices/{draft_id}/", {"notes": "late edit"}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "not_draft"

    copy = owner_api.post(f"/api/v1/invoices/{draft_id}/duplicate/")
    assert copy.status_code == 201
    assert copy.json()["status"] == "draft"
    assert copy.json()["id"] != draft_id

    voided = owner_api.post(f"/api/v1/invoices/{draft_id}/void/", {"reason": "Wrong client"}, format="json")
    assert voided.status_code == 200
    assert voided.json()["status"] == "void"
    with tenant_scope(tenant):
        assert Invoice.objects.get(public_id=draft_id).status == InvoiceStatus.VOID


def test_delete_a_draft_only(owner_api, data, tenant):
    assert owner_api.delete(f"/api/v1/invoices/{data.open_invoice.public_id}/").status_code == 409
    assert owner_api.delete(f"/api/v1/invoices/{data.draft.public_id}/").status_code == 204
    with tenant_scope(tenant):
        assert not Invoice.objects.filter(public_id=data.draft.public_id).exists()


def test_payments_and_credit_notes(owner_api, data, tenant):
    invoice_id = data.open_invoice.public_id
    paid = owner_api.post(
        f"/api/v1/invoices/{invoice_id}/payments/",
        {"amount": "20.00", "method": "bank_transfer", "reference": "SEPA 1"},
        format="json",
    )
    assert paid.status_code == 201, paid.json()
    assert paid.json()["amount"] == "20.00"
    too_much = owner_api.post(f"/api/v1/invoices/{invoice_id}/payments/", {"amount": "1000"}, format="json")
    assert too_much.status_code == 400
    assert too_much.json()["error"]["code"] == "exceeds_balance"
    listed = owner_api.get(f"/api/v1/invoices/{invoice_id}/payments/").json()
    assert [row["reference"] for row in listed] == ["SEPA 1"]
    assert owner_api.get(f"/api/v1/invoices/{invoice_id}/").json()["status"] == "partially_paid"

    note = owner_api.post(
        f"/api/v1/invoices/{invoice_id}/credit-notes/",
        {"lines": [{"description": "Goodwill", "quantity": "1", "unit_price": "50"}], "reason": "Late"},
        format="json",
    )
    assert note.status_code == 201, note.json()
    assert note.json()["kind"] == "credit_note"
    assert note.json()["credit_note_for"] == invoice_id
    assert note.json()["number"].startswith("CN-")
    invoice = owner_api.get(f"/api/v1/invoices/{invoice_id}/").json()
    assert (invoice["amount_paid"], invoice["amount_credited"], invoice["balance_due"]) == (
        "20.00",
        "50.00",
        "50.00",
    )
    notes = owner_api.get("/api/v1/invoices/?kind=credit_note").json()["results"]
    assert [row["id"] for row in notes] == [note.json()["id"]]
    with tenant_scope(tenant):
        assert Payment.objects.filter(invoice__public_id=invoice_id).count() == 1


def test_list_filters_search_and_ordering(owner_api, data, tenant, owner_membership: Membership):
    with tenant_scope(tenant):
        other_client = ClientFactory(name="Zeta Corp")
        old = make_invoice(
            actor=owner_membership,
            client=other_client,
            lines=[line("Old", "1", "999.00")],
            issue_date=date(2024, 1, 10),
            due_date=date(2024, 2, 10),
            finalize=True,
        )

    def ids(query: str) -> list[str]:
        response = owner_api.get(f"/api/v1/invoices/{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert set(ids("")) == {data.draft.public_id, data.open_invoice.public_id, old.public_id}
    assert ids("?status=draft") == [data.draft.public_id]
    assert ids("?status=overdue") == [old.public_id]
    assert ids("?overdue=true") == [old.public_id]
    assert old.public_id not in ids("?overdue=false")
    assert ids(f"?client={other_client.public_id}") == [old.public_id]
    assert ids("?search=zeta") == [old.public_id]
    assert ids("?issue_date_to=2024-12-31") == [old.public_id]
    assert old.public_id not in ids(f"?issue_date_from={date.today() - timedelta(days=30)}")
    assert ids("?ordering=-total")[0] == old.public_id
    assert ids("?ordering=issue_date")[0] == old.public_id
    assert owner_api.get("/api/v1/invoices/?ordering=secret_column").status_code == 400
    assert owner_api.get("/api/v1/invoices/?status=nonsense").status_code == 400
    overdue_row = next(
        r for r in owner_api.get("/api/v1/invoices/").json()["results"] if r["id"] == old.public_id
    )
    assert overdue_row["overdue"] is True


def test_exports_neutralise_formulas(owner_api, tenant, owner_membership):
    with tenant_scope(tenant):
        evil = ClientFactory(name='=HYPERLINK("http://evil.example","x")')
        make_invoice(
            actor=owner_membership, client=evil, lines=[line("x", "1", "10.00")], buyer_reference="+1+2"
        )

    response = owner_api.get("/api/v1/invoices/export/csv/?status=draft")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Number", "Kind", "Status"]
    assert rows[1][3] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert rows[1][-1] == "'+1+2"
    assert rows[1][12] == "10.00"

    response = owner_api.get(
        "/api/v1/invoices/export/xlsx/",
        HTTP_ACCEPT="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for cell in list(sheet.rows)[1]]
    assert values[3].startswith("'=HYPERLINK")
    assert sheet.cell(row=2, column=4).data_type == "s"
    assert float(values[12]) == 10.0

    bad = owner_api.get("/api/v1/invoices/export/csv/?status=nope", HTTP_ACCEPT="text/csv")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"


def test_outsider_cannot_touch_invoices(outsider_api, data):
    invoice_id = data.open_invoice.public_id
    assert outsider_api.get(f"/api/v1/invoices/{invoice_id}/").status_code == 404
    assert outsider_api.post(f"/api/v1/invoices/{invoice_id}/void/").status_code == 404
    assert (
        outsider_api.post(
            f"/api/v1/invoices/{invoice_id}/payments/", {"amount": "1"}, format="json"
        ).status_code
        == 404
    )
    assert outsider_api.get("/api/v1/invoices/").json()["results"] == []
    assert "Acme" not in outsider_api.get("/api/v1/invoices/export/csv/").content.decode()


# --- e-invoices --------------------------------------------------------------------------------


def test_einvoice_of_a_complete_invoice(owner_api, tenant, complete_seller, settings, tmp_path):
    from documents.tests.einvoice_fixtures import complete_invoice

    settings.MEDIA_ROOT = tmp_path
    with tenant_scope(tenant):
        invoice = complete_invoice(lines=1)
    url = f"/api/v1/invoices/{invoice.public_id}/einvoice/"
    response = owner_api.get(url, {"format": "ubl"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/xml"
    assert f'filename="{invoice.number}.ubl.xml"' in response["Content-Disposition"]
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in response.content
    assert owner_api.get(url, {"format": "cii"}).content.count(b"CrossIndustryInvoice") >= 1
    bad = owner_api.get(url, {"format": "pdf"})
    assert bad.status_code == 400
    assert "format" in bad.json()["error"]["fields"]


def test_einvoice_breaking_a_rule_is_refused_with_the_rule(owner_api, data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = owner_api.get(f"/api/v1/invoices/{data.open_invoice.public_id}/einvoice/?format=cii")
    assert response.status_code == 422, response.content
    body = response.json()["error"]
    assert body["code"] == "einvoice_invalid"
    assert any(rule.startswith("InvoiceFlow: Line 1 has no tax rate") for rule in body["fields"]["rules"])


def test_einvoice_of_a_draft_or_another_tenants_invoice(owner_api, outsider_api, data):
    draft = owner_api.get(f"/api/v1/invoices/{data.draft.public_id}/einvoice/?format=ubl")
    assert draft.status_code == 400
    assert "Finalize" in draft.json()["error"]["message"]
    stranger = outsider_api.get(f"/api/v1/invoices/{data.open_invoice.public_id}/einvoice/?format=ubl")
    assert stranger.status_code == 404


def test_einvoice_is_in_the_openapi_schema(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]
    operation = paths["/api/v1/invoices/{id}/einvoice/"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert set(parameter["schema"]["enum"]) == {"ubl", "cii", "xrechnung-ubl", "xrechnung-cii", "facturx"}
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert "422" in operation["responses"]
