"""The invoice's own PDF: Factur-X for finalized invoices of sellers who want it, else plain.

A finalized invoice or credit note whose Factur-X is on (`einvoices.facturx_enabled`: the
client's setting, else the workspace's, else on for sellers in the EU) gets, as *the* PDF that
the invoice page, the client's page, the API and the email hand out, a PDF/A-3b with its CII
XML attached (`einvoicing.facturx_pdf`). The XML is validated first (schema, CEN EN 16931,
Factur-X rules; the verdict cached per content version, `documents.einvoices`): one that breaks
a fatal rule is never embedded, the PDF is then plain and the invoice page says why
(`plain_pdf_reasons`). Drafts, void invoices and sellers without Factur-X get plain PDFs.

Where it is stored says what it is: a Factur-X PDF under the Factur-X e-invoice's key (so the
"Download Factur-X" button and the PDF are one file, rendered once per content version), a
plain PDF under the PDF's key. `pdf_is_current_kind` tells whether a stored PDF is still the
kind the settings ask for (someone may switch Factur-X on or off after it was made).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from documents import einvoices, storage
from documents.models import DocumentFormat, DocumentStatus, InvoiceDocument
from documents.render import html_to_facturx_pdf, html_to_pdf, load_invoice_for_render, render_invoice_html
from documents.selectors import current_documents
from einvoicing.syntax import Format
from invoices.models import Invoice
from tenants.scoping import current_tenant_or_none

logger = logging.getLogger(__name__)


def plain_key(invoice: Invoice) -> str:
    return storage.document_storage_key(
        tenant_public_id=invoice.tenant.public_id,
        invoice_public_id=invoice.public_id,
        content_version=invoice.content_version,
        format=DocumentFormat.PDF,
    )


def facturx_wanted(invoice: Invoice) -> bool:
    """Whether this invoice's PDF should be a Factur-X (before its XML is checked)."""
    return Format.FACTURX in einvoices.offered_formats(invoice)


@dataclass(frozen=True)
class PdfJob:
    """Everything a render needs, gathered in the tenant's scope; rendering needs no database."""

    html: str
    plain_key: str
    title: str
    facturx: einvoices.FacturxPlan | None


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    key: str
    stored: bool  # already in storage (the Factur-X download made it): nothing to write


def pdf_job(full: Any) -> PdfJob:
    """Build the HTML and, when Factur-X is wanted, the EN 16931 model (reads the invoice's rows:
    call it in the tenant's scope, with `load_invoice_for_render`'s invoice)."""
    return PdfJob(
        html=render_invoice_html(full),
        plain_key=plain_key(full),
        title=full.number or "",
        facturx=einvoices.facturx_plan(full),
    )


def pdf_render(job: PdfJob) -> RenderedPdf:
    """The PDF of the job: the stored Factur-X of this version if there is one; else the XML
    checked and the Factur-X rendered; else (no Factur-X wanted, or its XML breaks a rule) the
    plain PDF. Renders at most once; writes nothing (the caller stores `content` at `key`)."""
    plan = job.facturx
    if plan is not None:
        if storage.exists(plan.key):
            return RenderedPdf(storage.read(plan.key), plan.key, stored=True)
        xml = einvoices.facturx_plan_xml(plan)
        if xml is not None:
            return RenderedPdf(html_to_facturx_pdf(job.html, xml, title=job.title), plan.key, stored=False)
    return RenderedPdf(html_to_pdf(job.html), job.plain_key, stored=False)


def is_facturx_key(invoice: Invoice, key: str) -> bool:
    return key == einvoices.storage_key(invoice, Format.FACTURX)


def pdf_is_current_kind(invoice: Invoice, document: InvoiceDocument) -> bool:
    """Whether a ready PDF is the kind the settings ask for now: Factur-X when wanted (or plain
    when its XML is known to break a rule), plain otherwise."""
    facturx = is_facturx_key(invoice, document.storage_key)
    if not facturx_wanted(invoice):
        return not facturx
    return facturx or bool(einvoices.cached_problems(invoice, Format.FACTURX))


def current_pdfs(invoices: Iterable[Invoice]) -> dict[int, InvoiceDocument]:
    """Each invoice's PDF row of its current content version (`current_documents`), except a
    ready one of the other kind than the Factur-X setting asks for now (made before the
    workspace's or client's setting changed): that one is not the invoice's PDF any more, and
    the page offers to generate it again."""
    invoices = list(invoices)
    found = current_documents(invoices)
    by_pk = {invoice.pk: invoice for invoice in invoices}
    # The kind reads each invoice's workspace settings: the scope's workspace serves a list's
    # rows, rather than one query a row.
    tenant = current_tenant_or_none()
    for invoice in invoices:
        if tenant is not None and invoice.tenant_id == tenant.pk and not Invoice.tenant.is_cached(invoice):
            invoice.tenant = tenant
    return {
        pk: document
        for pk, document in found.items()
        if document.status != DocumentStatus.READY or pdf_is_current_kind(by_pk[pk], document)
    }


def plain_pdf_reasons(invoice: Invoice, document: InvoiceDocument | None) -> tuple[einvoices.Problem, ...]:
    """Why the ready PDF of a Factur-X invoice is plain: the rules its XML breaks, in plain
    words (from the cached verdict, never checked here). () when there is nothing to say."""
    if document is None or document.status != DocumentStatus.READY:
        return ()
    if is_facturx_key(invoice, document.storage_key) or not facturx_wanted(invoice):
        return ()
    return einvoices.cached_problems(invoice, Format.FACTURX) or ()


def stored_current_pdf(invoice: Invoice) -> bytes | None:
    """The stored PDF of the invoice's current version when one of the right kind is ready."""
    document = InvoiceDocument.objects.filter(
        invoice=invoice,
        format=DocumentFormat.PDF,
        content_version=invoice.content_version,
        status=DocumentStatus.READY,
    ).first()
    if document is None or not pdf_is_current_kind(invoice, document):
        return None
    try:
        return storage.read(document.storage_key)
    except OSError:
        logger.warning("stored PDF %s is missing; rendering it again", document.public_id)
        return None


def pdf_store(rendered: RenderedPdf) -> None:
    if not rendered.stored:
        storage.store_exact(rendered.key, rendered.content)


def pdf_record(invoice: Invoice, rendered: RenderedPdf) -> None:
    """Record a stored render as the ready PDF of the invoice's current version."""
    InvoiceDocument.objects.update_or_create(
        invoice_id=invoice.pk,
        format=DocumentFormat.PDF,
        content_version=invoice.content_version,
        defaults={
            "status": DocumentStatus.READY,
            "storage_key": rendered.key,
            "size": len(rendered.content),
            "failure_reason": "",
            "ready_at": timezone.now(),
        },
    )


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The invoice's PDF as it is now (the email's attachment): the stored file of its current
    version when one of the right kind is ready, else rendered here and stored as that
    version's document, so the page and the client's page hand out that same file. Call it in
    the invoice's tenant scope."""
    stored = stored_current_pdf(invoice)
    if stored is not None:
        return stored
    rendered = pdf_render(pdf_job(load_invoice_for_render(invoice_pk=invoice.pk)))
    try:
        pdf_store(rendered)
    except Exception:
        # The email can still go out with its attachment; the page shows the PDF once stored.
        logger.warning("could not store the PDF of %s", invoice.public_id, exc_info=True)
        return rendered.content
    pdf_record(invoice, rendered)
    return rendered.content
