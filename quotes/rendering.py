"""A quote as a document: the context its page and its PDF share, and the PDF itself, through
the documents pipeline's renderer (`documents.render.html_to_pdf`, WeasyPrint with the invoice
stylesheet and the restricted URL fetcher)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify

from documents.render import html_to_pdf
from invoices.l10n import document_language
from invoices.money import format_money
from invoices.services import invoice_calculate
from quotes.models import Quote
from quotes.services import quote_line_data


def quote_context(quote: Quote) -> dict[str, Any]:
    """The lines with their amounts (computed again by the engine), the totals and the taxes,
    formatted in the client's language."""
    _language, locale = document_language(quote.client.language)
    totals = invoice_calculate(
        currency=quote.currency,
        lines=quote_line_data(quote),
        discount_type=quote.discount_type,
        discount_value=quote.discount_value,
    )

    def money(amount: Any) -> str:
        return format_money(Decimal(str(amount)), quote.currency, locale)

    lines = [
        {
            "description": line["description"],
            "quantity": line["quantity"].rstrip("0").rstrip(".")
            if "." in line["quantity"]
            else line["quantity"],
            "unit": line.get("unit", ""),
            "unit_price": money(line["unit_price"]),
            "amount": money(amount),
        }
        for line, amount in zip(quote.lines, totals.line_amounts, strict=True)
    ]
    taxes = [
        {
            "name": tax["name"],
            "rate": f"{tax['percentage'].rstrip('0').rstrip('.')} %",
            "base": money(tax["taxable_base"]),
            "amount": money(tax["tax_amount"]),
        }
        for tax in quote.tax_breakdown
    ]
    return {
        "quote": quote,
        "seller": quote.tenant,
        "client": quote.client,
        "lines": lines,
        "taxes": taxes,
        "subtotal": money(quote.subtotal),
        "discount": money(quote.discount_amount) if quote.discount_amount else "",
        "total": money(quote.total),
    }


def render_quote_html(quote: Quote) -> str:
    language, _locale = document_language(quote.client.language)
    with translation.override(language):
        return render_to_string("quotes/pdf/quote.html", {**quote_context(quote), "language": language})


def render_quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF bytes. Reads only."""
    return html_to_pdf(render_quote_html(quote))


def quote_pdf_filename(quote: Quote) -> str:
    return f"{slugify(quote.number or 'draft-quote-' + quote.public_id)}.pdf"
