"""A stand-alone credit note (issue #16: its own lines, no preceding invoice) as a PDF and as
e-invoices: a UBL CreditNote and a CII 381 with no BT-25, both passing the EN 16931 rules."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from lxml import etree

from documents.einvoice_mapping import to_einvoice
from documents.render import load_invoice_for_render, render_invoice_html, render_invoice_pdf
from documents.tests.einvoice_fixtures import complete_client
from einvoicing.generate import build_tree
from einvoicing.model import DocumentType
from einvoicing.syntax import UBL_CREDIT_NOTE, Format
from einvoicing.validation import validate_tree
from invoices import services
from invoices.models import TaxCategory
from invoices.tests.factories import TaxRateFactory, line, writer

pytestmark = pytest.mark.django_db


def _standalone(**extra):
    vat = TaxRateFactory(name="TVA 20", percentage=Decimal("20"), category=TaxCategory.STANDARD)
    return services.credit_note_create_standalone(
        actor=writer(),
        client=complete_client(),
        currency="EUR",
        lines=[line("Goodwill gesture", "1", "80.00", unit="day", tax_rates=[vat])],
        reason="Late delivery",
        allowances_charges=[
            {"amount": "10.00", "reason": "Loyalty", "reason_code": "95", "tax_rates": [vat]}
        ],
        **extra,
    )


def test_its_einvoices_are_credit_notes_without_a_preceding_invoice(in_tenant, complete_seller):
    note = _standalone(buyer_reference="PO-4711")
    model = to_einvoice(load_invoice_for_render(invoice_pk=note.pk))
    assert model.type_code == DocumentType.CREDIT_NOTE
    assert model.preceding_invoices == ()
    assert (model.totals.tax_inclusive, model.totals.payable) == (note.total, Decimal("84.00"))
    assert model.check_totals() == []
    for fmt in (Format.UBL, Format.CII):
        tree = build_tree(model, fmt)
        report = validate_tree(tree, fmt)
        assert sorted({r.rule_id for r in report.fatal}) == [], fmt
        xml = etree.tostring(tree).decode()
        assert "BillingReference" not in xml
        assert "InvoiceReferencedDocument" not in xml
    ubl = build_tree(model, Format.UBL)
    root = ubl.getroot() if hasattr(ubl, "getroot") else ubl
    assert etree.QName(root).namespace == UBL_CREDIT_NOTE
    cii = etree.tostring(build_tree(model, Format.CII)).decode()
    assert ">381<" in cii


def test_its_pdf_needs_no_credited_invoice(in_tenant, complete_seller, tmp_path):
    note = _standalone()
    loaded = load_invoice_for_render(invoice_pk=note.pk)
    html = render_invoice_html(loaded)
    assert note.number in html
    assert "Credits invoice" not in html
    assert "reduces the amount of invoice" not in html
    pdf = render_invoice_pdf(loaded)
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "note.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert note.number in text
    assert "Goodwill gesture" in text
    assert "84.00" in text


def test_without_a_buyer_reference_only_peppol_asks_for_one(in_tenant, complete_seller):
    model = to_einvoice(load_invoice_for_render(invoice_pk=_standalone().pk))
    assert sorted({r.rule_id for r in validate_tree(build_tree(model, Format.CII), Format.CII).fatal}) == []
    ubl = validate_tree(build_tree(model, Format.UBL), Format.UBL)
    assert sorted({r.rule_id for r in ubl.fatal}) == ["PEPPOL-EN16931-R003"]
