"""Reads of documents and bulk jobs (current tenant only, like every selector)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from documents.models import BulkJob, DocumentFormat, InvoiceDocument
from invoices.models import Invoice


def current_documents(
    invoices: Iterable[Invoice], format: str = DocumentFormat.PDF
) -> dict[int, InvoiceDocument]:
    """Each invoice's document of its *current* content version, by invoice pk (one query)."""
    invoices = list(invoices)
    if not invoices:
        return {}
    condition = Q()
    for invoice in invoices:
        condition |= Q(invoice_id=invoice.pk, content_version=invoice.content_version)
    found = InvoiceDocument.objects.filter(condition, format=format)
    return {document.invoice_id: document for document in found}


def document_get(*, public_id: str) -> InvoiceDocument | None:
    return InvoiceDocument.objects.select_related("invoice").filter(public_id=public_id).first()


def bulk_job_get(*, public_id: str) -> BulkJob | None:
    return BulkJob.objects.filter(public_id=public_id).first()


def invoices_by_public_ids(public_ids: Iterable[str]) -> list[Invoice]:
    # With what `invoice_pdf.current_pdfs` reads of each (its client's and workspace's settings).
    wanted = list(public_ids)[:500]
    return list(Invoice.objects.select_related("client", "tenant").filter(public_id__in=wanted))
