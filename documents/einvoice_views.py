"""E-invoice pages: the invoice page's e-invoice panel and the downloads.

Mounted under /t/<tenant_slug>/documents/ like the PDF views: another tenant's invoice is a 404.
The panel validates the formats not yet checked for this version, which can take a moment (and,
in a web process that has not compiled the rules yet, several seconds): the invoice page loads
it with htmx after it has rendered, and links to it without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from core.errors import ApplicationError
from documents import einvoices
from documents.views import SAFE, _invoice_or_404, _redirect_to_storage
from einvoicing.syntax import Format


def einvoice_panel(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """Each offered format: a download, or the rules it breaks in plain words and what to fill in."""
    invoice = _invoice_or_404(public_id)
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    context = {"invoice": invoice, "statuses": einvoices.einvoice_status(invoice=invoice)}
    if request.headers.get("HX-Request"):
        return render(request, "invoices/_einvoice_panel.html", context)
    return render(request, "invoices/einvoice_panel.html", context)


def einvoice_download(request: HttpRequest, tenant_slug: str, public_id: str, format: str) -> HttpResponse:
    """302 to a five-minute link to the stored, valid file; never a file that breaks a rule."""
    invoice = _invoice_or_404(public_id)
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    try:
        fmt = Format(format)
    except ValueError:
        raise Http404("No such format.") from None
    try:
        einvoices.einvoice_get(invoice=invoice, fmt=fmt)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("einvoice_panel", tenant_slug, public_id)
    return _redirect_to_storage(
        storage_key=einvoices.storage_key(invoice, fmt),
        filename=einvoices.einvoice_filename(invoice, fmt),
        content_type=einvoices.CONTENT_TYPES[fmt],
    )
