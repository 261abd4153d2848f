"""BT-25/BT-26: progress and final invoices made from a quote name the deposit and progress
invoices before them (number and issue date), as a credit note names its invoice, in the UBL
and CII they become; both still pass the EN 16931 rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from documents.einvoice_mapping import to_einvoice
from documents.render import load_invoice_for_render
from documents.tests.einvoice_fixtures import complete_client
from einvoicing.generate import build_tree
from einvoicing.syntax import Format
from einvoicing.validation import validate_tree
from invoices import services
from invoices.models import Invoice, TaxCategory
from invoices.related import linked_invoices, preceding_invoices
from invoices.tests.factories import TaxRateFactory, line, writer
from quotes import invoicing
from quotes import services as quote_services
from quotes.tests.factories import make_quote

pytestmark = pytest.mark.django_db


def _mapped(invoice):
    return to_einvoice(load_invoice_for_render(invoice_pk=invoice.pk))


def _fatal(model, fmt):
    return sorted({r.rule_id for r in validate_tree(build_tree(model, fmt), fmt).fatal})


def _chain():
    actor = writer()
    vat = TaxRateFactory(name="TVA 20", percentage=Decimal("20"), category=TaxCategory.STANDARD)
    quote = make_quote(
        actor=actor,
        client=complete_client(),
        lines=[line("Kitchen", "1", "6000.00", tax_rates=[vat])],
        vat=vat,
        send=True,
    )
    quote_services.quote_accept(quote_pk=quote.pk, name="Paul Martin", ip="203.0.113.9")
    made = []
    for make in (
        lambda: invoicing.quote_invoice_deposit(actor=actor, quote=quote, percent="30"),
        lambda: invoicing.quote_invoice_progress(actor=actor, quote=quote, percent="20"),
        lambda: invoicing.quote_invoice_final(actor=actor, quote=quote),
    ):
        draft = make()
        # The buyer's reference Peppol asks for (BT-10), as the client's order would give it.
        Invoice.objects.filter(pk=draft.pk).update(buyer_reference="PO-4711")
        made.append(services.invoice_finalize(actor=actor, invoice=draft.public_id))
    deposit, progress, final = made
    return deposit, progress, final


def _references(tree, fmt):
    if fmt == Format.UBL:
        refs = tree.findall(".//{*}BillingReference/{*}InvoiceDocumentReference")
        return [(r.findtext("{*}ID"), r.findtext("{*}IssueDate")) for r in refs]
    refs = tree.findall(".//{*}InvoiceReferencedDocument")
    return [
        (r.findtext("{*}IssuerAssignedID"), r.findtext("{*}FormattedIssueDateTime/{*}DateTimeString"))
        for r in refs
    ]


def test_progress_and_final_invoices_name_the_invoices_before_them(in_tenant, complete_seller):
    deposit, progress, final = _chain()
    assert preceding_invoices(deposit) == []
    assert preceding_invoices(progress) == [deposit]
    assert preceding_invoices(final) == [deposit, progress]
    # Each document knows all its siblings (shown on it), whether before or after.
    assert {(link.invoice.number, link.label, link.precedes) for link in linked_invoices(deposit)} == {
        (progress.number, "Progress invoice", False),
        (final.number, "Final invoice", False),
    }

    model = _mapped(progress)
    assert [(p.number, p.issue_date) for p in model.preceding_invoices] == [
        (deposit.number, deposit.issue_date)
    ]
    tree = build_tree(model, Format.UBL)
    assert _references(tree, Format.UBL) == [(deposit.number, deposit.issue_date.isoformat())]
    cii = build_tree(model, Format.CII)
    assert _references(cii, Format.CII) == [(deposit.number, deposit.issue_date.strftime("%Y%m%d"))]
    for fmt in (Format.UBL, Format.CII):
        assert _fatal(model, fmt) == [], (fmt, etree.tostring(build_tree(model, fmt))[:200])

    model = _mapped(final)
    assert [p.number for p in model.preceding_invoices] == [deposit.number, progress.number]
    assert [n for n, _ in _references(build_tree(model, Format.UBL), Format.UBL)] == [
        deposit.number,
        progress.number,
    ]
    for fmt in (Format.UBL, Format.CII):
        assert _fatal(model, fmt) == [], fmt


def test_a_void_deposit_is_no_preceding_invoice_and_a_credit_note_keeps_its_own(in_tenant, complete_seller):
    deposit, progress, final = _chain()
    note = services.credit_note_create(actor=writer(), invoice=final)
    model = _mapped(note)
    # A credit note refers to the invoice it credits (and only to it: it is not a quote's invoice).
    assert [p.number for p in model.preceding_invoices] == [final.number]
    assert _references(build_tree(model, Format.UBL), Format.UBL) == [
        (final.number, final.issue_date.isoformat())
    ]
    for fmt in (Format.UBL, Format.CII):
        assert _fatal(model, fmt) == [], fmt
    services.invoice_void(actor=writer(), invoice=progress, reason="Wrong percentage")
    assert preceding_invoices(final) == [deposit]


def test_each_pdf_names_the_other_invoices_of_its_quote(in_tenant, complete_seller):
    from documents.render import render_invoice_html

    deposit, progress, final = _chain()
    html = render_invoice_html(load_invoice_for_render(invoice_pk=final.pk))
    related = html.split('data-testid="linked-invoices"')[1].split("</p>")[0]
    assert f"Deposit invoice {deposit.number}" in related
    assert f"Progress invoice {progress.number}" in related
    html = render_invoice_html(load_invoice_for_render(invoice_pk=deposit.pk))
    related = html.split('data-testid="linked-invoices"')[1].split("</p>")[0]
    assert f"Final invoice {final.number}" in related
