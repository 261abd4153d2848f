"""What the API makes, the builder opens and saves unchanged (issues #16, #18, #15).

The builder used to read only the first 200 lines of a posted form while the API allowed 500:
saving a 300-line draft made through the API deleted 100 lines without a word. Its texts
were shorter too (2,000 characters a line, 5,000 of notes, against 5,000 and 10,000). Every
limit now lives in `invoices/limits.py`; these tests make a draft at those limits through
the API, open it in the builder as a browser would, post the form back, and compare.
"""

from __future__ import annotations

from decimal import Decimal

import lxml.html
import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from api.serializers import InvoiceWriteSerializer
from invoices import limits
from invoices.forms import InvoiceHeaderForm, LineForm
from invoices.models import Invoice
from tenants.models import Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def posted_form(page: bytes) -> dict[str, list[str]]:
    """The builder's fields as the browser would post them (no button pressed)."""
    form = lxml.html.fromstring(page).get_element_by_id("builder")
    values: dict[str, list[str]] = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    return values


def make_draft(api, data, *, lines: int, description: str = "Work", notes: str = "") -> str:
    payload = {
        "client": data.client.public_id,
        "notes": notes,
        "lines": [
            {
                "description": f"{description} {index}",
                "quantity": "1",
                "unit_price": "1.00",
                "tax_rates": [data.tax_rate.public_id],
            }
            for index in range(lines)
        ],
    }
    response = api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def save_in_builder(client: HttpClient, tenant: Tenant, public_id: str) -> None:
    url = reverse("invoice_edit", args=[tenant.slug, public_id])
    page = client.get(url)
    assert page.status_code == 200
    data = posted_form(page.content)
    data["op"] = ["save"]
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert saved.url == url


def test_saving_a_300_line_draft_made_through_the_api_keeps_every_line(
    owner_api, owner_client: HttpClient, data, tenant: Tenant
) -> None:
    public_id = make_draft(owner_api, data, lines=300)
    save_in_builder(owner_client, tenant, public_id)
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(public_id=public_id)
        assert invoice.lines.count() == 300
        assert list(invoice.lines.values_list("description", flat=True)) == [
            f"Work {index}" for index in range(300)
        ]
        assert invoice.subtotal == Decimal("300.00")


@pytest.mark.slow  # the largest draft the API takes, through the builder
def test_a_draft_of_the_largest_size_opens_and_saves_in_the_builder(
    owner_api, owner_client: HttpClient, data, tenant: Tenant
) -> None:
    public_id = make_draft(owner_api, data, lines=limits.MAX_LINES)
    save_in_builder(owner_client, tenant, public_id)
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(public_id=public_id)
        assert invoice.lines.count() == limits.MAX_LINES
        assert invoice.subtotal == Decimal(limits.MAX_LINES)
    payload = {
        "client": data.client.public_id,
        "lines": [{"description": "x", "quantity": "1", "unit_price": "1"}] * (limits.MAX_LINES + 1),
    }
    assert owner_api.post("/api/v1/invoices/", payload, format="json").status_code == 400


def test_texts_at_the_apis_limits_save_in_the_builder(
    owner_api, owner_client: HttpClient, data, tenant: Tenant
) -> None:
    long_line = "x" * 3_000  # issue #18
    notes = "n" * limits.NOTES_MAX
    public_id = make_draft(owner_api, data, lines=2, description=long_line, notes=notes)
    save_in_builder(owner_client, tenant, public_id)
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(public_id=public_id)
        assert invoice.notes == notes
        assert [line.description for line in invoice.lines.all()] == [f"{long_line} 0", f"{long_line} 1"]


def test_every_door_reads_its_limits_from_one_module() -> None:
    write = InvoiceWriteSerializer()
    line = write.fields["lines"]
    assert line.max_length == limits.MAX_LINES
    assert line.child.fields["description"].max_length == limits.LINE_DESCRIPTION_MAX
    assert write.fields["notes"].max_length == limits.NOTES_MAX
    assert write.fields["terms"].max_length == limits.TERMS_MAX
    assert LineForm.base_fields["description"].max_length == limits.LINE_DESCRIPTION_MAX
    assert InvoiceHeaderForm.base_fields["notes"].max_length == limits.NOTES_MAX
    assert InvoiceHeaderForm.base_fields["terms"].max_length == limits.TERMS_MAX
    line_model = Invoice._meta.get_field("lines").related_model
    assert line_model._meta.get_field("description").max_length == limits.LINE_DESCRIPTION_MAX
    assert Invoice._meta.get_field("notes").max_length == limits.NOTES_MAX


def test_en16931_details_made_through_the_api_survive_the_builder(
    owner_api, owner_client: HttpClient, data, tenant: Tenant
) -> None:
    """A line priced per 100 kWh at a 6-decimal price with a gross price and a period, a
    return, references, a prepaid amount: the builder saves them unchanged, totals too."""
    payload = {
        "client": data.client.public_id,
        "contract_reference": "CT-7",
        "order_reference": "SO-9",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "prepaid_amount": "10.00",
        "lines": [
            {
                "description": "Electricity",
                "quantity": "2500",
                "unit_code": "KWH",
                "unit_price": "2.208000",
                "base_quantity": "100",
                "gross_price": "2.4",
                "period_start": "2026-03-01",
                "period_end": "2026-03-31",
            },
            {"description": "Meter returned", "quantity": "-1", "unit_price": "5.00"},
        ],
    }
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["total"], body["prepaid_amount"], body["amount_due"]) == ("50.20", "10.00", "40.20")
    first = body["lines"][0]
    assert (first["unit_price"], first["base_quantity"], first["gross_price"], first["unit_code"]) == (
        "2.208",
        "100",
        "2.40",
        "KWH",
    )
    assert first["period_end"] == "2026-03-31"
    assert body["lines"][1]["net_amount"] == "-5.00"
    save_in_builder(owner_client, tenant, body["id"])
    after = owner_api.get(f"/api/v1/invoices/{body['id']}/").json()
    for name in (
        "total",
        "prepaid_amount",
        "amount_due",
        "contract_reference",
        "order_reference",
        "period_end",
    ):
        assert after[name] == body[name], name
    assert after["lines"] == body["lines"]
    bad = {**payload, "lines": [{**payload["lines"][0], "unit_price": 2.208}]}
    refused = owner_api.post("/api/v1/invoices/", bad, format="json")
    assert refused.status_code == 400
    assert "decimal string" in refused.json()["error"]["fields"]["lines.0.unit_price"][0]


@pytest.mark.slow  # more line allowances and charges than lines: 1,100 lines, 5 rows each
def test_every_line_allowance_and_charge_made_through_the_api_survives_the_builder(
    owner_api, owner_client: HttpClient, data, tenant: Tenant
) -> None:
    """The builder shows each line's rows as fields; a save posts them all back, none dropped."""
    rows = [
        {"percentage": "10", "reason": "Loyal client"},
        {"amount": "0.05", "reason_code": "95"},
        {"charge": True, "amount": "0.50", "reason_code": "ABL"},
        {"charge": True, "percentage": "5", "base_amount": "2.00", "reason": "Rush"},
        {"amount": "0.01", "reason": "Rounding"},
    ]
    payload = {
        "client": data.client.public_id,
        "lines": [
            {
                "description": f"Work {index}",
                "quantity": "1",
                "unit_price": "1.00",
                "tax_rates": [data.tax_rate.public_id],
                "allowances_charges": rows,
            }
            for index in range(1_100)
        ],
    }
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 201, response.json()
    before = response.json()
    save_in_builder(owner_client, tenant, before["id"])
    after = owner_api.get(f"/api/v1/invoices/{before['id']}/").json()
    assert after["total"] == before["total"]
    assert [line["allowances_charges"] for line in after["lines"]] == [
        line["allowances_charges"] for line in before["lines"]
    ]
