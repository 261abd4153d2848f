"""The quote an invoice was made from, and its sibling invoices, on the invoice's page."""

from __future__ import annotations

from typing import Any

from django import template

from quotes.selectors import invoice_quote_links

register = template.Library()


@register.inclusion_tag("quotes/_invoice_quote_links.html", takes_context=True)
def quote_links(context: dict[str, Any], invoice: Any) -> dict[str, Any]:
    link, others = invoice_quote_links(invoice=invoice)
    return {"link": link, "others": others, "current_tenant": context.get("current_tenant")}
