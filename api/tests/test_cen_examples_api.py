"""The official CEN EN 16931 example invoices entered through the REST API, as a client
program would: its tax rates, a client, then the invoice with its lines (prices with their
base quantity and gross price, line allowances and charges), its own allowances and charges
(each with its VAT category and reason) and its prepaid amount; finalized; and every stated
figure read back to the cent: each line's net amount, the line total, the allowance and charge
totals, tax-exclusive total, VAT total, grand total, prepaid amount and amount due, and each
VAT category's base and tax. One test per file; the files are read by `invoices/tests/cen.py`
with the errata documented there. The credit note example is entered as an invoice: its
figures are the same (a credit note here is issued against an invoice of its own).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from invoices.calculation import AllowanceCharge, RateInput
from invoices.money import quantize_money
from invoices.tests.cen import FILES, NS, Example, amount, read, text

pytestmark = pytest.mark.django_db


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


def _reasons(example: Example) -> dict[tuple[str, Decimal], tuple[str, str]]:
    """(category, percent) -> (exemption reason text, VATEX code) as the file states them."""
    found = {}
    for node in example.root.findall(".//cac:TaxSubtotal/cac:TaxCategory", NS):
        key = (text(node, "cbc:ID") or "", amount(node, "cbc:Percent", "0").normalize())
        found[key] = (
            text(node, "cbc:TaxExemptionReason") or "",
            text(node, "cbc:TaxExemptionReasonCode") or "",
        )
    return found


def _create_rates(api: APIClient, example: Example) -> dict[Any, str]:
    """One tax rate per VAT category and percentage the file uses, by the reader's rate key."""
    rates: dict[Any, RateInput] = {}
    for _, _, line in example.lines:
        rates.update({rate.key: rate for rate in line.rates})
    for _, item in example.document:
        rates.update({rate.key: rate for rate in item.rates})
    reasons = _reasons(example)
    ids = {}
    for key, rate in sorted(rates.items(), key=lambda pair: str(pair[0])):
        reason, code = reasons.get(key, ("", ""))
        payload = {
            "name": f"{rate.category} {_plain(rate.percentage)} %",
            "percentage": _plain(rate.percentage),
            "category": rate.category,
            "exemption_reason": reason or ("" if rate.category in ("S", "Z") else "Exempt"),
            "exemption_code": code,
        }
        response = api.post("/api/v1/tax-rates/", payload, format="json")
        assert response.status_code == 201, response.json()
        ids[key] = response.json()["id"]
    return ids


def _allowance_charge(item: AllowanceCharge, rate_ids: dict[Any, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {"charge": item.charge, "reason": item.reason, "reason_code": item.reason_code}
    if item.percentage is not None:
        payload["percentage"] = _plain(item.percentage)
        if item.base_amount is not None:
            payload["base_amount"] = format(item.base_amount, "f")
    else:
        assert item.amount is not None
        payload["amount"] = format(item.amount, "f")
    if item.rates:
        payload["tax_rates"] = [rate_ids[rate.key] for rate in item.rates]
    return payload


def _invoice_payload(example: Example, client_id: str, rate_ids: dict[Any, str]) -> dict[str, Any]:
    lines = []
    for line_id, node, line in example.lines:
        entered: dict[str, Any] = {
            "description": text(node, "cac:Item/cbc:Name") or f"Line {line_id}",
            "quantity": _plain(line.quantity),
            "unit_price": format(line.unit_price, "f"),
            "base_quantity": _plain(line.base_quantity),
            "tax_rates": [rate_ids[rate.key] for rate in line.rates],
            "allowances_charges": [_allowance_charge(item, rate_ids) for item in line.allowances_charges],
        }
        if line.gross_price is not None:
            entered["gross_price"] = format(line.gross_price, "f")
        lines.append(entered)
    return {
        "client": client_id,
        "currency": example.currency,
        "issue_date": "2026-11-02",
        "due_date": "2026-12-02",
        "lines": lines,
        "allowances_charges": [_allowance_charge(item, rate_ids) for _, item in example.document],
        "prepaid_amount": format(example.prepaid, "f"),
    }


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_example_entered_through_the_api_gives_its_totals(path: Path, owner_api: APIClient) -> None:
    example = read(path)
    rate_ids = _create_rates(owner_api, example)
    client = owner_api.post(
        "/api/v1/clients/",
        {
            "name": "Buyer AB",
            "emails": ["ap@buyer.example"],
            "currency": example.currency,
            "address_line1": "Storgatan 1",
            "postal_code": "11122",
            "city": "Stockholm",
            "country": "SE",
            "tax_id": "SE556677889901",
        },
        format="json",
    )
    assert client.status_code == 201, client.json()
    created = owner_api.post(
        "/api/v1/invoices/", _invoice_payload(example, client.json()["id"], rate_ids), format="json"
    )
    assert created.status_code == 201, created.json()
    finalized = owner_api.post(f"/api/v1/invoices/{created.json()['id']}/finalize/", format="json")
    assert finalized.status_code == 200, finalized.json()
    invoice = owner_api.get(f"/api/v1/invoices/{created.json()['id']}/").json()
    stated = example.root.find("cac:LegalMonetaryTotal", NS)

    def money(path: str, default: str | None = None) -> str:
        return format(quantize_money(amount(stated, path, default), example.currency), "f")

    for (line_id, node, _), line in zip(example.lines, invoice["lines"], strict=True):
        assert line["net_amount"] == format(amount(node, "cbc:LineExtensionAmount"), "f"), f"line {line_id}"
        stated_items = [
            format(amount(item, "cbc:Amount"), "f") for item in node.findall("cac:AllowanceCharge", NS)
        ]
        assert [item["amount"] for item in line["allowances_charges"]] == stated_items, f"line {line_id}"
    assert [item["amount"] for item in invoice["allowances_charges"]] == [
        format(amount(node, "cbc:Amount"), "f") for node, _ in example.document
    ]
    assert invoice["subtotal"] == money("cbc:LineExtensionAmount")  # BT-106 (every rate exclusive)
    assert invoice["allowance_total"] == money("cbc:AllowanceTotalAmount", "0")  # BT-107
    assert invoice["charge_total"] == money("cbc:ChargeTotalAmount", "0")  # BT-108
    assert invoice["tax_exclusive_amount"] == money("cbc:TaxExclusiveAmount")  # BT-109
    assert invoice["tax_inclusive_amount"] == money("cbc:TaxInclusiveAmount")  # BT-112
    assert invoice["total"] == money("cbc:TaxInclusiveAmount")
    assert invoice["prepaid_amount"] == money("cbc:PrepaidAmount", "0")  # BT-113
    assert invoice["rounding_amount"] == money("cbc:PayableRoundingAmount", "0")  # BT-114
    assert invoice["amount_due"] == money("cbc:PayableAmount")  # BT-115
    assert invoice["balance_due"] == money("cbc:PayableAmount")

    tax_total = next(
        node
        for node in example.root.findall("cac:TaxTotal", NS)
        if node.find("cac:TaxSubtotal", NS) is not None
    )
    assert invoice["tax_total"] == format(amount(tax_total, "cbc:TaxAmount"), "f")  # BT-110
    stated_breakdown = sorted(
        (
            text(sub, "cac:TaxCategory/cbc:ID"),
            _plain(amount(sub, "cac:TaxCategory/cbc:Percent", "0")),
            format(amount(sub, "cbc:TaxableAmount"), "f"),
            format(amount(sub, "cbc:TaxAmount"), "f"),
        )
        for sub in tax_total.findall("cac:TaxSubtotal", NS)
    )
    assert (
        sorted(
            (tax["category"], tax["percentage"], tax["taxable_base"], tax["tax_amount"])
            for tax in invoice["tax_totals"]
        )
        == stated_breakdown
    )
