"""What `templates/invoices/_document.html` needs: the invoice summary shown on the invoice,
finalize and public client pages (the PDF and its preview use documents/render.py).

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
from invoices.models import Invoice
from invoices.payment_instructions import payment_instructions
from invoices.services.invoices import snapshot_client, snapshot_seller
from tenants.models import Tenant

# The label before a party's tax id, in every rendering of an invoice (this summary's page and
# the PDF): the seller's is its VAT number (the workspace's `vat_id`); the client's may be any
# tax id. Lazy, so each document prints it in the language it is rendered in.
TAX_ID_LABELS = {
    "seller": pgettext_lazy("pdf", "VAT number"),
    "buyer": pgettext_lazy("pdf", "Tax ID"),
}


def party_for_document(snapshot: dict[str, Any], locale: str, *, role: str) -> dict[str, Any]:
    """A seller or client snapshot as documents print it: address lines, the country's name in
    `locale` (a Babel locale), one email and the label of its tax id (`role` is "seller" or
    "buyer"). Shared by this summary and the PDF, so both name things alike."""
    code = snapshot.get("country", "")
    return {
        **snapshot,
        "tax_id_label": TAX_ID_LABELS[role],
        "address": address_lines(snapshot),
        "country_name": Locale.parse(locale).territories.get(code, code) if code else "",
        "email": snapshot.get("email") or next(iter(snapshot.get("emails") or []), ""),
    }


def document_context(*, invoice: Invoice, tenant: Tenant) -> dict[str, Any]:
    """The template context of one invoice document.

    `invoice` should come with its lines (and their taxes) and tax totals prefetched, as
    `invoices.selectors.invoice_get` returns it.
    """
    locale = translation.to_locale(translation.get_language() or "en")  # the page's language
    seller_snapshot = invoice.seller_snapshot or snapshot_seller(tenant, invoice.currency)
    buyer_snapshot = invoice.client_snapshot or snapshot_client(invoice.client)
    seller = party_for_document(seller_snapshot, locale, role="seller")
    buyer = party_for_document(buyer_snapshot, locale, role="buyer")
    lines = list(invoice.lines.all())
    for line in lines:
        line.tax_list = [tax.tax_rate for tax in line.line_taxes.all()]
    tax_totals = list(invoice.tax_totals.all())
    exemptions = allowance_display.exemption_texts(tax_totals)
    by_line = allowance_display.line_items(invoice)
    for line in lines:
        line.allowance_list = by_line.get(line.pk, [])
    return {
        "invoice": invoice,
        "seller": seller,
        "buyer": buyer,
        "payment": payment_instructions(invoice=invoice, seller=seller_snapshot, buyer=buyer_snapshot),
        "lines": lines,
        "tax_totals": tax_totals,
        "exemptions": exemptions,
        "has_discounts": any(line.discount for line in lines),
        "allowances_charges": allowance_display.document_items(invoice),
    }
