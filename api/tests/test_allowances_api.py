"""Allowances and charges through the API: entered on the invoice (with the tax rate they fall
under) and on its lines, read back with the amounts computed, replaced by an update, refused
with the field's path and nothing written, frozen with the invoice; the VATEX code of a tax
rate; both in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, connection, transaction

from invoices.models import AllowanceCharge, Invoice, TaxRate
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


def _payload(data, **extra):
    return {
        "client": data.client.public_id,
        "lines": [
            {
                "description": "Design",
                "quantity": "10",
                "unit_price": "80.00",
                "tax_rates": [data.tax_rate.public_id],
                "allowances_charges": [{"percentage": "10", "reason": "Loyal client", "reason_code": "100"}],
            },
        ],
        "allowances_charges": [
            {"charge": True, "amount": "20.00", "reason_code": "FC", "tax_rates": [data.tax_rate.public_id]},
            {"amount": "8.00", "reason": "Early booking", "tax_rates": [data.tax_rate.public_id]},
        ],
        **extra,
    }


def test_allowances_and_charges_are_entered_computed_and_read_back(owner_api, data, tenant):
    response = owner_api.post("/api/v1/invoices/", _payload(data), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    line = body["lines"][0]
    # 800 - 10 % (80) = 720; + 20 freight - 8 = 732 at 20 %: 146.40 tax.
    assert line["net_amount"] == "720.00"
    assert line["allowances_charges"] == [
        {
            "charge": False,
            "amount": "80.00",
            "percentage": "10",
            "base_amount": "800.00",
            "reason": "Loyal client",
            "reason_code": "100",
            "tax_rates": [],
        }
    ]
    assert [(item["charge"], item["amount"], item["tax_rates"]) for item in body["allowances_charges"]] == [
        (True, "20.00", [data.tax_rate.public_id]),
        (False, "8.00", [data.tax_rate.public_id]),
    ]
    assert (body["allowance_total"], body["charge_total"], body["tax_exclusive_amount"]) == (
        "8.00",
        "20.00",
        "732.00",
    )
    assert (body["tax_total"], body["total"], body["amount_due"]) == ("146.40", "878.40", "878.40")

    # An update without them keeps them; with them, replaces them.
    kept = owner_api.patch(f"/api/v1/invoices/{body['id']}/", {"notes": "Hi"}, format="json").json()
    assert kept["total"] == "878.40"
    assert len(kept["allowances_charges"]) == 2
    replaced = owner_api.patch(
        f"/api/v1/invoices/{body['id']}/", {"allowances_charges": []}, format="json"
    ).json()
    assert replaced["allowances_charges"] == []
    assert replaced["total"] == "864.00"
    assert replaced["lines"][0]["allowances_charges"][0]["amount"] == "80.00"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (
            {"allowances_charges": [{"amount": "5", "reason": "x", "tax_rates": ["tax_nope"]}]},
            "allowances_charges.0.tax_rates",
            "",
        ),
        (
            {
                "allowances_charges": [
                    {"amount": "5", "percentage": "2", "reason": "x", "tax_rates": ["RATE"]}
                ]
            },
            "allowances_charges.0.amount",
            "not both",
        ),
        (
            {"allowances_charges": [{"amount": "5", "reason_code": "ZZZ", "tax_rates": ["RATE"]}]},
            "allowances_charges.0.reason_code",
            "5189",
        ),
        (
            {
                "allowances_charges": [
                    {"charge": True, "amount": "5", "reason_code": "95", "tax_rates": ["RATE"]}
                ]
            },
            "allowances_charges.0.reason_code",
            "7161",
        ),
        (
            {"allowances_charges": [{"amount": "5", "tax_rates": ["RATE"]}]},
            "allowances_charges.0.reason",
            "reason",
        ),
        (
            {"allowances_charges": [{"amount": "5.001", "reason": "x", "tax_rates": ["RATE"]}]},
            "allowances_charges.0.amount",
            "decimals",
        ),
        (
            {
                "allowances_charges": [
                    {"amount": "5", "base_amount": "9", "reason": "x", "tax_rates": ["RATE"]}
                ]
            },
            "allowances_charges.0.base_amount",
            "percentage",
        ),
        (
            {"lines_allowance": {"amount": "1", "reason": "x", "tax_rates": ["RATE"]}},
            "lines.0.allowances_charges.0.tax_rates",
            "line's tax rates",
        ),
        ({"lines_allowance": {"amount": "900", "reason": "x"}}, "lines.0.discount", "exceed"),
    ],
)
def test_bad_allowances_are_refused_with_their_path_and_nothing_is_written(
    owner_api, data, tenant, change, field, words
):
    payload = _payload(data)
    rate = data.tax_rate.public_id
    if "lines_allowance" in change:
        item = {k: ([rate] if v == ["RATE"] else v) for k, v in change["lines_allowance"].items()}
        payload["lines"][0]["allowances_charges"] = [item]
    else:
        payload["allowances_charges"] = [
            {k: ([rate] if v == ["RATE"] else v) for k, v in item.items()}
            for item in change["allowances_charges"]
        ]
    with tenant_scope(tenant):
        before = (Invoice.objects.count(), AllowanceCharge.objects.count())
    response = owner_api.post("/api/v1/invoices/", payload, format="json")
    assert response.status_code == 400, response.json()
    fields = response.json()["error"]["fields"]
    assert field in fields, fields
    assert words in " ".join(fields[field]), fields
    with tenant_scope(tenant):
        assert (Invoice.objects.count(), AllowanceCharge.objects.count()) == before


@pytest.mark.postgres
def test_a_finalized_invoices_allowances_are_frozen(owner_api, data, tenant):
    created = owner_api.post("/api/v1/invoices/", _payload(data), format="json").json()
    assert owner_api.post(f"/api/v1/invoices/{created['id']}/finalize/").status_code == 200
    refused = owner_api.patch(f"/api/v1/invoices/{created['id']}/", {"allowances_charges": []}, format="json")
    assert refused.status_code == 409 or refused.status_code == 400
    with tenant_scope(tenant):
        row = AllowanceCharge.objects.filter(invoice__public_id=created["id"], line__isnull=True).first()
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            AllowanceCharge.objects.filter(pk=row.pk).update(amount=1)
        with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
            AllowanceCharge.objects.create(tenant=tenant, invoice=row.invoice, amount=1, reason="Sneaked in")
    assert connection.vendor == "postgresql"


def test_a_tax_rate_takes_a_vatex_code(owner_api, tenant):
    made = owner_api.post(
        "/api/v1/tax-rates/",
        {"name": "Reverse charge", "percentage": "0", "category": "AE", "exemption_code": "VATEX-EU-AE"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    assert made.json()["exemption_code"] == "VATEX-EU-AE"
    bad = owner_api.post(
        "/api/v1/tax-rates/",
        {
            "name": "Bad",
            "percentage": "0",
            "category": "E",
            "exemption_reason": "x",
            "exemption_code": "VATEX-XX",
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "VATEX" in " ".join(bad.json()["error"]["fields"]["exemption_code"])
    with tenant_scope(tenant):
        assert not TaxRate.objects.filter(name="Bad").exists()


def test_the_schema_describes_them(client):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert "allowances_charges" in schemas["InvoiceWriteRequest"]["properties"]
    assert "allowances_charges" in schemas["LineWriteRequest"]["properties"]
    assert "allowances_charges" in schemas["Invoice"]["properties"]
    assert "allowances_charges" in schemas["InvoiceLine"]["properties"]
    assert "allowances_charges" in schemas["PatchedInvoiceUpdateRequest"]["properties"]
    assert {"tax_exclusive_amount", "charge_total"} <= set(schemas["Invoice"]["properties"])
    assert "exemption_code" in schemas["TaxRate"]["properties"]
    write = schemas["AllowanceChargeWriteRequest"]["properties"]
    assert {"charge", "amount", "percentage", "base_amount", "reason", "reason_code", "tax_rates"} <= set(
        write
    )
