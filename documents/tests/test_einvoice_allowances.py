"""An invoice's stored allowances and charges reach the e-invoice: its own (BG-20/21, each
with its VAT category and rate, reason and code) and its lines' (BG-27/28), with the amounts
the engine stored; the UBL and CII pass the official rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from documents.einvoice_mapping import to_einvoice
from documents.render import load_invoice_for_render
from documents.tests.einvoice_fixtures import complete_client
from einvoicing.generate import build_tree
from einvoicing.syntax import Format
from einvoicing.validation import validate_tree
from invoices.models import TaxCategory
from invoices.tests.factories import TaxRateFactory, line, make_invoice

pytestmark = pytest.mark.django_db


def test_document_and_line_allowances_and_charges_validate(in_tenant, complete_seller):
    standard = TaxRateFactory(name="VAT 20", percentage=Decimal("20"), category=TaxCategory.STANDARD)
    reduced = TaxRateFactory(name="VAT 5.5", percentage=Decimal("5.5"), category=TaxCategory.STANDARD)
    design = line("Design", "10", "80.00", tax_rates=[standard])
    design.allowances_charges = [{"percentage": "10", "reason": "Loyal client", "reason_code": "100"}]
    books = line("Books", "4", "12.50", tax_rates=[reduced])
    books.allowances_charges = [
        {"charge": True, "amount": "3.00", "reason": "Gift wrap", "reason_code": "PC"}
    ]
    invoice = make_invoice(
        client=complete_client(),
        lines=[design, books],
        finalize=True,
        buyer_reference="PO-1",
        allowances_charges=[
            {
                "charge": True,
                "amount": "15.00",
                "reason": "Freight",
                "reason_code": "FC",
                "tax_rates": [standard],
            },
            {"amount": "2.50", "reason": "Early booking", "tax_rates": [reduced]},
        ],
    )
    # 720 + 15 = 735 at 20 % (147.00); 53 - 2.50 = 50.50 at 5.5 % (2.78).
    assert (invoice.tax_total, invoice.total) == (Decimal("149.78"), Decimal("935.28"))
    model = to_einvoice(load_invoice_for_render(invoice_pk=invoice.pk))

    assert [
        (ac.is_charge, ac.amount, ac.reason_code, ac.vat_category, ac.vat_rate)
        for ac in model.allowances_charges
    ] == [
        (True, Decimal("15.00"), "FC", "S", Decimal("20")),
        (False, Decimal("2.50"), "", "S", Decimal("5.5")),
    ]
    design_line, books_line = model.lines
    assert [(ac.amount, ac.percentage, ac.base_amount) for ac in design_line.allowances_charges] == [
        (Decimal("80.00"), Decimal("10"), Decimal("800.00"))
    ]
    assert [(ac.is_charge, ac.amount, ac.reason) for ac in books_line.allowances_charges] == [
        (True, Decimal("3.00"), "Gift wrap")
    ]
    assert (model.totals.allowance_total, model.totals.charge_total) == (Decimal("2.50"), Decimal("15.00"))
    assert model.check_totals() == []
    for fmt in (Format.UBL, Format.CII):
        tree = build_tree(model, fmt)
        assert sorted({r.rule_id for r in validate_tree(tree, fmt).fatal}) == [], fmt
