"""The EN 16931 fields invoices and lines carry (references, periods, prepaid amount, fine
prices per base quantity, gross price, unit code) reach the e-invoice and pass the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from documents.einvoice_mapping import to_einvoice
from documents.render import load_invoice_for_render
from documents.tests.einvoice_fixtures import complete_invoice
from einvoicing.generate import build_tree
from einvoicing.syntax import Format
from einvoicing.validation import validate_tree
from invoices.services.lines import LineData

pytestmark = pytest.mark.django_db


def energy_line(standard, reduced):
    # 0.008805 EUR per kWh, stated per 100 kWh: 12,000 kWh x 0.880512 / 100 = 105.66 EUR.
    return [
        LineData(
            description="Electricity",
            quantity="12000",
            unit_price="0.880512",
            base_quantity="100",
            gross_price="0.950000",
            unit_code="KWH",
            tax_rates=[standard],
            period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31),
        )
    ]


def test_references_periods_prepaid_and_fine_prices_validate_in_ubl_and_cii(in_tenant, complete_seller):
    invoice = complete_invoice(
        extra_lines=energy_line,
        contract_reference="CT-2026-7",
        project_reference="PRJ-88",
        order_reference="PO-991",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        prepaid_amount="100.00",
    )
    assert invoice.amount_due == invoice.total - Decimal("100.00")
    model = to_einvoice(load_invoice_for_render(invoice_pk=invoice.pk))

    assert (model.contract_reference, model.project_reference, model.purchase_order_reference) == (
        "CT-2026-7",
        "PRJ-88",
        "PO-991",
    )
    assert (model.invoicing_period.start, model.invoicing_period.end) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )
    assert model.totals.prepaid == Decimal("100.00")
    assert model.totals.payable == invoice.amount_due
    energy = model.lines[-1]
    assert energy.unit_code == "KWH"
    assert energy.net_price == Decimal("0.880512")
    assert (energy.base_quantity, energy.base_quantity_unit_code) == (Decimal("100"), "KWH")
    assert energy.gross_price == Decimal("0.950000")
    assert energy.price_discount == Decimal("0.069488")
    assert energy.net_amount == Decimal("105.66")
    assert energy.period.end == date(2026, 10, 31)
    assert model.check_totals() == []

    for fmt in (Format.UBL, Format.CII):
        tree = build_tree(model, fmt)
        assert sorted({r.rule_id for r in validate_tree(tree, fmt).fatal}) == [], fmt
        xml = etree.tostring(tree).decode()
        period_end = "2026-10-31" if fmt == Format.UBL else "20261031"
        for stated in ("CT-2026-7", "PRJ-88", "PO-991", "0.880512", "100.00", period_end):
            assert stated in xml, (fmt, stated)
