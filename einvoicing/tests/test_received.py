"""Reading e-invoices received from suppliers: the official CEN examples, Factur-X PDFs, and
hostile files, each refused with its own message."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from einvoicing.facturx_pdf import render_facturx_pdf, render_model_html
from einvoicing.generate import generate_validated
from einvoicing.receive import read_received
from einvoicing.syntax import Format
from einvoicing.tests.matrix import matrix
from einvoicing.xmlsafe import EInvoiceRejected

DATA = Path(__file__).parent / "data"

# (file, currency, BT-109 total without VAT, BT-110 VAT, BT-115 amount due, lines) as the
# examples state them.
CEN_EXAMPLES = [
    ("ubl-tc434-creditnote1.xml", "EUR", "100.11", "0.00", "100.11", 1),
    ("ubl-tc434-example1.xml", "EUR", "229.60", "20.73", "250.33", 20),
    ("ubl-tc434-example2.xml", "NOK", "1436.50", "365.28", "801.78", 5),
    ("ubl-tc434-example3.xml", "DKK", "1700.00", "305.00", "2005.00", 2),
    ("ubl-tc434-example4.xml", "DKK", "4000.00", "675.00", "4675.00", 3),
    ("ubl-tc434-example5.xml", "DKK", "4000.00", "675.00", "2337.50", 3),
    ("ubl-tc434-example6.xml", "DKK", "4000.00", "675.00", "4675.00", 3),
    ("ubl-tc434-example7.xml", "SEK", "3200.00", "0.00", "3200.00", 2),
    ("ubl-tc434-example8.xml", "EUR", "908.91", "190.87", "1099.78", 10),
    ("ubl-tc434-example9.xml", "EUR", "147.00", "30.87", "177.87", 1),
    ("ubl-tc434-example10.xml", "EUR", "229.60", "20.73", "250.33", 20),
]


@pytest.mark.parametrize(("filename", "currency", "net", "vat", "due", "lines"), CEN_EXAMPLES)
def test_cen_examples_import_with_their_stated_totals(
    filename: str, currency: str, net: str, vat: str, due: str, lines: int
) -> None:
    received = read_received((DATA / filename).read_bytes(), filename)

    assert received.report.fatal == []
    assert received.report.rule_sets == ("CEN EN 16931 (UBL)",)
    invoice = received.invoice
    assert invoice.currency == currency
    assert (invoice.totals.tax_exclusive, invoice.totals.tax_total, invoice.totals.payable) == (
        Decimal(net),
        Decimal(vat),
        Decimal(due),
    )
    assert len(invoice.lines) == lines
    assert [issue for issue in invoice.check_totals() if issue.rule.startswith("BR-")] == []
    assert invoice.seller.name
    assert invoice.buyer.name


def test_an_invalid_received_invoice_is_shown_with_its_rule_results() -> None:
    data = (DATA / "ubl-tc434-example9.xml").read_bytes().replace(b">177.87<", b">178.87<")
    received = read_received(data, "example9.xml")

    assert received.invoice.totals.payable == Decimal("178.87")
    # 177.87 is both the total with VAT and the amount due: the total no longer adds up.
    assert "BR-CO-15" in {r.rule_id for r in received.report.fatal}


@pytest.fixture(scope="module")
def facturx_pdf() -> tuple[bytes, bytes]:
    invoice = matrix()["several-rates"]
    xml, _ = generate_validated(invoice, Format.FACTURX)
    return render_facturx_pdf(render_model_html(invoice), xml), xml


def test_a_facturx_pdf_reads_as_its_invoice(facturx_pdf: tuple[bytes, bytes]) -> None:
    pdf, xml = facturx_pdf
    received = read_received(pdf, "invoice.pdf")

    assert received.from_pdf
    assert received.xml == xml
    assert received.format == Format.FACTURX
    assert received.report.fatal == []
    assert received.invoice == matrix()["several-rates"]
    assert received.discrepancies == ()


def test_a_pdf_whose_xml_differs_from_its_text_is_flagged() -> None:
    shown, attached = matrix()["standard-rate"], matrix()["several-rates"]
    xml, _ = generate_validated(attached, Format.FACTURX)
    pdf = render_facturx_pdf(render_model_html(shown), xml)

    received = read_received(pdf, "invoice.pdf")

    assert received.invoice.number == attached.number
    assert len(received.discrepancies) == 2
    assert f"invoice number {attached.number}" in received.discrepancies[0]
    assert f"amount due {attached.totals.payable} EUR" in received.discrepancies[1]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&secret;</Invoice>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>"""


def _plain_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>Invoice 1, total 100.00</p>").write_pdf()


def _amount_garbage() -> bytes:
    return (DATA / "ubl-tc434-example9.xml").read_bytes().replace(b">177.87<", b">1e5e5<")


HOSTILE = [
    ("not-xml", lambda: b"%!PS-Adobe-3.0 this is not an invoice", "is not XML"),
    ("json", lambda: b'{"invoice": 1}', "is not XML"),
    ("malformed", lambda: b"<Invoice><unclosed></Invoice>", "not well-formed XML"),
    ("external-entity", lambda: XXE, "declares a DOCTYPE or entities"),
    ("entity-bomb", lambda: BILLION_LAUGHS, "declares a DOCTYPE or entities"),
    ("50-mb-xml", lambda: b"<" + b"a" * (50 * 1024 * 1024), "an XML invoice may be at most 10 MB"),
    ("50-mb-pdf", lambda: b"%PDF-1.7\n" + b"0" * (50 * 1024 * 1024), "a PDF invoice may be at most 20 MB"),
    ("empty", lambda: b"", "The file is empty"),
    ("not-an-invoice", lambda: b"<html><body>hi</body></html>", "not an e-invoice we know"),
    ("pdf-without-attachment", _plain_pdf, "This PDF carries no e-invoice"),
    ("broken-pdf", lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "not a readable PDF"),
    ("amount-not-a-number", _amount_garbage, "is not a number"),
]


@pytest.mark.parametrize(("case", "make", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_with_their_message(case: str, make, message: str) -> None:
    with pytest.raises(EInvoiceRejected, match=message):
        read_received(make(), f"{case}.bin")


def test_a_utf16_document_is_read() -> None:
    text = (
        (DATA / "ubl-tc434-example9.xml").read_text("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    )
    received = read_received(text.encode("utf-16"), "example9.xml")
    assert received.invoice.totals.payable == Decimal("177.87")


def test_a_debit_note_type_is_read() -> None:
    data = (
        (DATA / "ubl-tc434-example9.xml")
        .read_bytes()
        .replace(b"<cbc:InvoiceTypeCode>380<", b"<cbc:InvoiceTypeCode>383<")
    )
    assert read_received(data, "debit.xml").invoice.type_code == "383"
