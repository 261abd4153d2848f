"""One representation of an invoice for every rendering (issue #15): `document_context` builds
what the invoice, finalize and public client pages (`templates/invoices/_document.html`) and the
PDF and its preview (`templates/invoices/pdf/document.html`, through `documents.render`) print:
the parties, the lines, the totals, the tax breakdown, the payment instructions, the labels, the
notes and the references, formatted in one language. The two templates take the same keys; the
PDF only adds its print settings (page size, brand colour, logo, page counter).

A finalized invoice is rendered from its snapshots (the seller and the client as they were at
finalization); a draft from the live client and workspace, since nothing is frozen yet.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from django.utils import translation
from django.utils.translation import pgettext_lazy

from invoices import allowance_display
from invoices.addresses import address_lines
from invoices.l10n import Formatter, document_language
from invoices.models import Invoice
from invoices.payment_instructions import payment_instructions
from invoices.related import linked_invoices
from invoices.services.invoices import snapshot_client, snapshot_seller
from tenants.models import Tenant

# The label before a party's tax id, in every rendering of an invoice (the pages and the PDF):
# the seller's is its VAT number (the workspace's `vat_id`); the client's may be any tax id.
# Lazy, so each document prints it in the language it is rendered in.
TAX_ID_LABELS = {
    "seller": pgettext_lazy("pdf", "VAT number"),
    "buyer": pgettext_lazy("pdf", "Tax ID"),
}
# The document's title, by kind.
TITLES = {
    False: pgettext_lazy("pdf", "Invoice"),
    True: pgettext_lazy("pdf", "Credit note"),
}


def party_for_document(snapshot: dict[str, Any], locale: str, *, role: str) -> dict[str, Any]:
    """A seller or client snapshot as documents print it: address lines, the country's name in
    `locale` (a Babel locale), one email and the label of its tax id (`role` is "seller" or
    "buyer")."""
    code = snapshot.get("country", "")
    return {
        **snapshot,
        "tax_id_label": TAX_ID_LABELS[role],
        "address": address_lines(snapshot),
        "country_name": Locale.parse(locale).territories.get(code, code) if code else "",
        "email": snapshot.get("email") or next(iter(snapshot.get("emails") or []), ""),
    }


def client_language(invoice: Invoice) -> tuple[str, str]:
    """(Django language code, Babel locale) the invoice's client reads it in: the language of
    its client snapshot once finalized, the live client's while a draft."""
    snapshot = invoice.client_snapshot or {}
    return document_language(snapshot.get("language") if snapshot else invoice.client.language)


def _printed(items: list[dict[str, Any]], fmt: Formatter, currency: str) -> list[dict[str, Any]]:
    """Allowances and charges (`invoices.allowance_display`) written in the document's locale."""
    return [
        {
            **item,
            "percentage": fmt.percent(item["percentage"]) if item["percentage"] is not None else "",
            "amount": fmt.money(item["amount"], currency),
        }
        for item in items
    ]


def _line_rows(invoice: Invoice, fmt: Formatter, tax_by_rate: dict[int, Any]) -> list[dict[str, Any]]:
    rows = []
    by_line = allowance_display.line_items(invoice)
    for line in invoice.lines.all():
        rates, names = [], []
        for link in line.line_taxes.all():
            # The rate as the invoice's tax totals froze it; the live rate only for drafts.
            rate = tax_by_rate.get(link.tax_rate_id) or link.tax_rate
            rates.append(fmt.percent(rate.percentage))
            names.append(rate.name)
        rows.append(
            {
                "position": line.position,
                "description": line.description,
                "quantity": fmt.number(line.quantity),
                "unit": line.unit,
                "unit_price": fmt.money(line.unit_price, invoice.currency),
                "discount": fmt.money(line.discount, invoice.currency) if line.discount else "",
                "taxes": ", ".join(rates),
                "tax_names": ", ".join(names),
                "amount": fmt.money(line.net_amount, invoice.currency),
                "allowances_charges": _printed(by_line.get(line.pk, []), fmt, invoice.currency),
            }
        )
    return rows


def _linked_rows(invoice: Invoice, fmt: Formatter, language: str) -> list[dict[str, str]]:
    with translation.override(language):
        return [
            {
                "label": str(link.label),
                "number": link.invoice.number or "",  # linked invoices are issued: numbered
                "date": fmt.date(link.invoice.issue_date),
            }
            for link in linked_invoices(invoice)
        ]


def document_context(
    *,
    invoice: Invoice,
    tenant: Tenant | None = None,
    language: str | None = None,
    locale: str | None = None,
) -> dict[str, Any]:
    """The representation of one invoice, every figure and date written in `language` (a Django
    language code) with the conventions of `locale` (a Babel locale); both default to the active
    language (a page), the PDF passes its client's (`client_language`).

    `invoice` should come with its lines (and their taxes) and tax totals prefetched, as
    `invoices.selectors.invoice_get` and `documents.render.load_invoice_for_render` return it.
    """
    tenant = tenant or invoice.tenant
    language = language or translation.get_language() or "en"
    locale = locale or translation.to_locale(language)
    fmt = Formatter(locale)
    currency = invoice.currency
    seller_snapshot = invoice.seller_snapshot or snapshot_seller(tenant, currency)
    buyer_snapshot = invoice.client_snapshot or snapshot_client(invoice.client)
    tax_totals = list(invoice.tax_totals.all())
    tax_by_rate = {tax.tax_rate_id: tax for tax in tax_totals if tax.tax_rate_id}
    lines = _line_rows(invoice, fmt, tax_by_rate)
    credited = invoice.credit_note_for if invoice.credit_note_for_id else None
    return {
        "invoice": invoice,
        "language": language,
        # The parties and their labels.
        "seller": party_for_document(seller_snapshot, locale, role="seller"),
        "buyer": party_for_document(buyer_snapshot, locale, role="buyer"),
        "title": TITLES[invoice.is_credit_note],
        "is_draft": invoice.is_draft,
        "is_credit_note": invoice.is_credit_note,
        "is_void": invoice.status == "void",
        # Dates and references.
        "issue_date": fmt.date(invoice.issue_date),
        "due_date": fmt.date(invoice.due_date),
        "buyer_reference": invoice.buyer_reference,
        "credited_invoice": credited,
        "credited_invoice_date": fmt.date(credited.issue_date) if credited else "",
        # The deposit/progress/final invoices of the same quote (invoices.related): each document
        # names the others, the label in the document's language.
        "linked_invoices": _linked_rows(invoice, fmt, language),
        # Lines, tax breakdown and totals.
        "lines": lines,
        "has_discounts": any(row["discount"] for row in lines),
        "taxes": [
            {
                "name": tax.name,
                "rate": fmt.percent(tax.percentage),
                "inclusive": tax.inclusive,
                "compound": tax.compound,
                "base": fmt.money(tax.taxable_base, currency),
                "amount": fmt.money(tax.tax_amount, currency),
            }
            for tax in tax_totals
        ],
        "exemptions": allowance_display.exemption_texts(tax_totals),
        # The invoice's own allowances and charges (EN 16931 BG-20/21); when it has none, a
        # draft's invoice-wide discount (the builder's older path) shows as "discount".
        "allowances_charges": _printed(allowance_display.document_items(invoice), fmt, currency),
        "subtotal": fmt.money(invoice.subtotal, currency),
        "discount": fmt.money(invoice.discount_amount, currency) if invoice.discount_amount else "",
        "discount_percent": fmt.percent(invoice.discount_value)
        if invoice.discount_type == "percent" and invoice.discount_amount
        else "",
        "tax_total": fmt.money(invoice.tax_total, currency),
        "total": fmt.money(invoice.total, currency),
        "amount_paid": fmt.money(invoice.amount_paid, currency) if invoice.amount_paid else "",
        "amount_credited": fmt.money(invoice.amount_credited, currency) if invoice.amount_credited else "",
        "balance_due": fmt.money(invoice.balance_due, currency),
        "show_balance": not invoice.is_draft and not invoice.is_credit_note,
        # How to pay, and what the seller writes.
        "payment": payment_instructions(
            invoice=invoice, seller=seller_snapshot, buyer=buyer_snapshot, language=language
        ),
        "notes": invoice.notes,
        "terms": invoice.terms,
    }
