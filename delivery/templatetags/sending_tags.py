"""The Emails panel of the invoice page: `{% load sending_tags %}{% sending_panel %}`.

An inclusion tag, so the invoice page (another module's view) needs one include line and no
change to its view: the panel reads the invoice and the member from the page's context.
"""

from __future__ import annotations

from typing import Any

from django import template

from delivery import services as sending
from delivery.models import MessageStatus
from invoices.models import InvoiceStatus
from tenants import roles

register = template.Library()


@register.inclusion_tag("invoices/_send_panel.html", takes_context=True)
def sending_panel(context: Any) -> dict[str, Any]:
    invoice = context["invoice"]
    request = context["request"]
    membership = getattr(request, "membership", None)
    emails = sending.invoice_messages(invoice=invoice)
    return {
        "request": request,
        "current_tenant": context.get("current_tenant") or request.tenant,
        "invoice": invoice,
        "emails": emails,
        # The latest email failed: say so until one goes through.
        "failed": emails[:1] if emails and emails[0].status == MessageStatus.FAILED else [],
        "problems": sending.open_email_problems(invoice.client),
        "can_send": membership is not None
        and roles.can_write(membership)
        and invoice.status != InvoiceStatus.VOID
        and (not invoice.is_draft or not invoice.is_credit_note),
        "csrf_token": context.get("csrf_token"),
    }
