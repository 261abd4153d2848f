"""Document pages: generate, status (JSON, for the polling fallback), downloads, bulk, exports.

Mounted under /t/<tenant_slug>/documents/ (TenantMiddleware has checked membership and set
the scope): another tenant's invoice, document or job is simply not found (404), and a
download answers with a redirect to a short-lived link, never with a storage path.
"""

from __future__ import annotations

from typing import Any

from csp.constants import NONCE
from csp.decorators import csp_update
from django.contrib import messages
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.downloads import content_disposition, download_url
from core.errors import ApplicationError
from documents import bulk, invoice_pdf, live, services
from documents import list_exports as exports
from documents import selectors as document_selectors
from documents.exports import invoice_csv, invoice_xlsx
from documents.models import BulkJobKind, BulkJobStatus, DocumentStatus
from documents.render import load_invoice_for_render, render_invoice_html
from documents.storage import CONTENT_TYPES
from invoices import selectors
from invoices.forms import InvoiceFilterForm
from tenants.requests import TenantRequest

# Views that take an object's id look it up first: another tenant's id is a 404 whatever the
# method, never a 405 that would confirm the route (the isolation walker checks every route).
SAFE = ["GET", "HEAD"]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _error_response(error: ApplicationError) -> JsonResponse:
    status = 429 if isinstance(error, services.RateLimited) else 400
    response = JsonResponse({"error": error.message, "code": error.code}, status=status)
    if isinstance(error, services.RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response


def _invoice_or_404(public_id: str) -> Any:
    invoice = selectors.invoice_get(public_id=public_id)
    if invoice is None:
        raise Http404("Not found.")
    return invoice


def document_generate(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """The "Generate PDF" (and "Retry") button. Answers at once; the page follows the status."""
    invoice = _invoice_or_404(public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        with transaction.atomic():
            document = services.document_request(actor=request.membership, invoice=invoice)
    except ApplicationError as error:
        if _wants_json(request):
            return _error_response(error)
        messages.error(request, error.message)
        return redirect("invoice_detail", tenant_slug, public_id)
    payload = live.document_payload(document, tenant_slug=tenant_slug, invoice_public_id=invoice.public_id)
    if _wants_json(request):
        return JsonResponse(payload, status=200 if document.status == DocumentStatus.READY else 202)
    if document.status == DocumentStatus.READY:
        messages.success(request, _("The PDF is ready."))
    else:
        messages.info(request, _("The PDF is being generated; this page updates when it is ready."))
    return redirect("invoice_detail", tenant_slug, public_id)


# django-csp types its decorators for views that take the request alone.
@csp_update({"style-src": [NONCE]})  # type: ignore[arg-type]
def document_preview(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """The document as the PDF shows it, in the browser (the same template and stylesheet)."""
    invoice = _invoice_or_404(public_id)
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    html = render_invoice_html(
        load_invoice_for_render(invoice_pk=invoice.pk),
        screen=True,
        nonce=str(request.csp_nonce),
        csrf_token=get_token(request),
    )
    return HttpResponse(html)


@require_GET
def document_status(request: TenantRequest, tenant_slug: str) -> JsonResponse:
    """Status of the current-version PDF of the listed invoices and of the listed jobs.

    `?invoice=in_…&invoice=in_…&job=job_…`. What the page polls when its socket is down, and
    reads once when the socket (re)connects, to catch up on what it missed.
    """
    invoices = document_selectors.invoices_by_public_ids(request.GET.getlist("invoice"))
    current = invoice_pdf.current_pdfs(invoices)
    documents = []
    for invoice in invoices:
        document = current.get(invoice.pk)
        if document is None:
            documents.append(
                {
                    "kind": "document",
                    "invoice": invoice.public_id,
                    "status": "none",
                    "reason": "",
                    "content_version": invoice.content_version,
                    "download_url": "",
                }
            )
        else:
            documents.append(
                live.document_payload(document, tenant_slug=tenant_slug, invoice_public_id=invoice.public_id)
            )
    jobs = []
    for public_id in request.GET.getlist("job")[:20]:
        job = document_selectors.bulk_job_get(public_id=public_id)
        if job is not None:
            jobs.append(live.job_payload(job, tenant_slug=tenant_slug))
    response = JsonResponse({"documents": documents, "jobs": jobs})
    response["Cache-Control"] = "no-store"
    return response


def _redirect_to_storage(*, storage_key: str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponseRedirect(
        download_url(storage_key=storage_key, filename=filename, content_type=content_type)
    )
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def document_download(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """302 to a link valid for five minutes (presigned S3, or a signed local link)."""
    document = document_selectors.document_get(public_id=public_id)
    if document is None or document.status != DocumentStatus.READY:
        raise Http404("No such document.")
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    return _redirect_to_storage(
        storage_key=document.storage_key,
        filename=services.document_filename(document.invoice, document.format),
        content_type=CONTENT_TYPES[document.format],
    )


def bulk_job_download(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    job = document_selectors.bulk_job_get(public_id=public_id)
    if job is None or job.kind != BulkJobKind.ZIP or job.status != BulkJobStatus.READY:
        raise Http404("No such archive.")
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    filename = f"invoices-{job.created_at:%Y-%m-%d}-{job.public_id[-6:]}.zip"
    return _redirect_to_storage(
        storage_key=job.storage_key, filename=filename, content_type=CONTENT_TYPES["zip"]
    )


@require_POST
def bulk_documents(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    """The list page's "Generate PDFs" / "Download ZIP" for the selected invoices."""
    action = request.POST.get("action")
    service = {"generate": bulk.bulk_generate, "zip": bulk.bulk_zip_request}.get(action or "")
    if service is None:
        raise Http404("Unknown action.")
    try:
        with transaction.atomic():
            job = service(actor=request.membership, invoices=request.POST.getlist("invoices"))
    except ApplicationError as error:
        if _wants_json(request):
            return _error_response(error)
        messages.error(request, error.message)
        return redirect("invoice_list", tenant_slug)
    if _wants_json(request):
        return JsonResponse(live.job_payload(job, tenant_slug=tenant_slug), status=202)
    messages.info(
        request, _("Working on %(n)d invoices; the list updates as they finish.") % {"n": job.total}
    )
    return redirect(f"{reverse('invoice_list', args=[tenant_slug])}?job={job.public_id}")


def _attachment(content: str | bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "private, no-store"
    return response


def invoice_export(request: TenantRequest, tenant_slug: str, public_id: str, format: str) -> HttpResponse:
    """One invoice, header and lines, as CSV or XLSX (small: built in the request)."""
    invoice = _invoice_or_404(public_id)
    if request.method not in SAFE:
        return HttpResponseNotAllowed(SAFE)
    filename = services.document_filename(invoice, format)
    if format == "csv":
        return _attachment(invoice_csv(invoice), filename=filename, content_type=CONTENT_TYPES["csv"])
    return _attachment(invoice_xlsx(invoice), filename=filename, content_type=CONTENT_TYPES["xlsx"])


@require_GET
def invoice_list_export(request: TenantRequest, tenant_slug: str, format: str) -> HttpResponse:
    """The invoice list as currently filtered (the list page's query string), as CSV or XLSX."""
    form = InvoiceFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"] or None,
            "client": data["client"] or None,
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "search": data["q"],
            "sort": data["sort"] or "-issue_date",
        }
    queryset = selectors.invoice_list(kind=None, **filters)
    filename = f"invoices-{request.tenant.slug}.{format}"
    if format == "csv":
        return _attachment(
            exports.invoices_csv(queryset), filename=filename, content_type=CONTENT_TYPES["csv"]
        )
    return _attachment(exports.invoices_xlsx(queryset), filename=filename, content_type=CONTENT_TYPES["xlsx"])
