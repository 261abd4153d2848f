"""Template helpers of the document status includes (templates/invoices/_document_*.html)."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from documents.invoice_pdf import current_pdfs, plain_pdf_reasons
from documents.models import DocumentStatus, InvoiceDocument

register = template.Library()

BADGES = {
    "none": "badge--muted",
    DocumentStatus.QUEUED: "badge--muted",
    DocumentStatus.PROCESSING: "badge--warn",
    DocumentStatus.READY: "badge--ok",
    DocumentStatus.FAILED: "badge--bad",
}


def status_labels() -> dict[str, str]:
    return {
        "none": _("Not generated"),
        DocumentStatus.QUEUED: _("Queued"),
        DocumentStatus.PROCESSING: _("Processing…"),
        DocumentStatus.READY: _("Ready"),
        DocumentStatus.FAILED: _("Failed"),
    }


@register.simple_tag(takes_context=True)
def current_pdf(context: Any, invoice: Any) -> InvoiceDocument | None:
    """The PDF row of the invoice's current version, if any (cached per request and page)."""
    request = context.get("request")
    cache: dict[int, InvoiceDocument | None] = getattr(request, "_current_pdfs", None) or {}
    if invoice.pk not in cache:
        # On a list page, fetch the whole page's rows at once the first time.
        siblings = [invoice]
        page = context.get("page")
        if page is not None and hasattr(page, "object_list"):
            siblings = [
                item for item in page.object_list if getattr(item, "pk", None) not in cache
            ] or siblings
        found = current_pdfs(siblings)
        for item in siblings:
            cache[item.pk] = found.get(item.pk)
        if request is not None:
            request._current_pdfs = cache
    return cache.get(invoice.pk)


@register.simple_tag
def pdf_plain_reasons(invoice: Any, document: InvoiceDocument | None) -> tuple[Any, ...]:
    """Why the ready PDF of an invoice that wants Factur-X is a plain PDF (the rules its XML
    breaks, from the cached verdict; nothing is checked while the page renders)."""
    return plain_pdf_reasons(invoice, document)


@register.simple_tag
def pdf_status(document: InvoiceDocument | None) -> str:
    return document.status if document else "none"


@register.simple_tag
def pdf_label(status: str) -> str:
    return status_labels().get(status, status)


@register.simple_tag
def pdf_badge(status: str) -> str:
    return BADGES.get(status, "")


@register.simple_tag(takes_context=True)
def documents_live(context: Any) -> str:
    """Once per page: the live-status config (socket path, status URL, labels) and its assets."""
    request = context.get("request")
    tenant = context.get("current_tenant") or getattr(request, "tenant", None)
    if request is None or tenant is None or getattr(request, "_documents_live", False):
        return ""
    request._documents_live = True
    labels = status_labels()
    return format_html(
        '<div id="documents-live" hidden data-socket-path="/ws/t/{}/documents/" data-status-url="{}"'
        ' data-label-none="{}" data-label-queued="{}" data-label-processing="{}" data-label-ready="{}"'
        ' data-label-failed="{}" data-label-retry="{}" data-label-generate="{}"></div>'
        '<link rel="stylesheet" href="{}"><script src="{}" defer></script>',
        tenant.slug,
        reverse("document_status", args=[tenant.slug]),
        labels["none"],
        labels[DocumentStatus.QUEUED],
        labels[DocumentStatus.PROCESSING],
        labels[DocumentStatus.READY],
        labels[DocumentStatus.FAILED],
        _("Retry"),
        _("Generate PDF"),
        static("css/documents.css"),
        static("js/documents.js"),
    )
