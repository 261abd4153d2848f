"""Received e-invoices: the list with its upload form, the upload, and one invoice read back.

Mounted under /t/<tenant_slug>/ (TenantMiddleware has checked membership and set the scope): a
received invoice of another workspace is not found. Uploading needs a role that may write.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from core.errors import ApplicationError
from core.web import require_membership
from einvoicing import selectors, services
from einvoicing.xmlsafe import MAX_PDF_BYTES, EInvoiceRejected
from tenants import roles
from tenants.requests import TenantRequest

ACCEPTED = ".pdf,.xml,application/pdf,application/xml,text/xml"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("E-invoice file"),
        help_text=gettext_lazy("A Factur-X / ZUGFeRD PDF, or UBL, CII or XRechnung XML; up to 20 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".pdf,.xml,application/pdf,application/xml,text/xml"}
        ),
    )


def _page(request: HttpRequest, form: UploadForm) -> HttpResponse:
    return render(
        request,
        "einvoicing/received_list.html",
        {"form": form, "received": selectors.received_invoices_list()[:200]},
    )


@require_safe
def received_list(request: HttpRequest, tenant_slug: str) -> HttpResponse:
    return _page(request, UploadForm())


@require_POST
@require_membership(roles.can_write)
def received_upload(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form)
    upload = form.cleaned_data["file"]
    if (upload.size or 0) > MAX_PDF_BYTES:
        form.add_error("file", _("The file is larger than 20 MB: this is not an e-invoice we can read."))
        return _page(request, form)
    data = upload.read(MAX_PDF_BYTES + 1)
    try:
        row = services.received_invoice_import(data=data, filename=upload.name or "", user=request.user)
    except (ApplicationError, EInvoiceRejected) as error:
        form.add_error("file", getattr(error, "message", str(error)))
        return _page(request, form)
    if row.is_valid:
        messages.success(request, _("Invoice %(number)s received and valid.") % {"number": row.number})
    else:
        messages.warning(
            request,
            _("Invoice %(number)s received; it breaks %(count)d rule(s), listed below.")
            % {"number": row.number, "count": row.fatal_count},
        )
    return redirect("received_detail", tenant_slug, row.public_id)


@require_safe
def received_detail(request: HttpRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    row = selectors.received_invoices_list().filter(public_id=public_id).first()
    if row is None:
        raise Http404("No such received invoice.")
    invoice = selectors.received_invoice_model(row)
    results = sorted(row.rule_results, key=lambda result: result.get("flag") != "fatal")
    return render(
        request,
        "einvoicing/received_detail.html",
        {"row": row, "invoice": invoice, "results": results, "parties": (invoice.seller, invoice.buyer)},
    )
