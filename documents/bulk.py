"""Documents of many invoices at once: their PDFs generated, or one ZIP of them built.

A `BulkJob` counts its invoices as their documents finish (`documents.services` settles each
finished document into the jobs waiting for it); the ZIP is built by a task and downloaded like
a PDF. The member who started a job is emailed when it finishes (through the outbox).
"""

from __future__ import annotations

import io
import logging
import zipfile

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from documents import invoice_pdf, live, storage
from documents.events import bulk_job_finished_publish
from documents.models import (
    BulkJob,
    BulkJobItem,
    BulkJobKind,
    BulkJobStatus,
    DocumentFormat,
    DocumentStatus,
    InvoiceDocument,
)
from documents.render import load_invoice_for_render
from documents.services import (
    IN_FLIGHT,
    TransientDocumentError,
    bulk_job_finish_if_complete,
    check_member,
    current_documents_of,
    document_filename,
    enqueue,
    is_stale,
    queue_render,
    queued_fields,
    rate_limit_take,
)
from invoices.models import Invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

logger = logging.getLogger(__name__)

MAX_BULK_INVOICES = 500


def _resolve_many(invoices: list[str]) -> list[Invoice]:
    unique = list(dict.fromkeys(invoices))
    if not unique:
        raise ApplicationError(_("Select at least one invoice."), field="invoices")
    if len(unique) > MAX_BULK_INVOICES:
        raise ApplicationError(
            _("Select at most %(n)d invoices at once.") % {"n": MAX_BULK_INVOICES}, field="invoices"
        )
    found = {invoice.public_id: invoice for invoice in Invoice.objects.filter(public_id__in=unique)}
    if len(found) != len(unique):
        raise ApplicationError(_("Some of the selected invoices do not exist."), field="invoices")
    return [found[public_id] for public_id in unique]


def _enqueue_many(
    invoices: list[Invoice], *, format: str, actor: Membership, tenant: Tenant
) -> dict[int, InvoiceDocument]:
    """`enqueue` for invoices that have no document of their current version yet, in one
    INSERT. A concurrent request may have created one meanwhile: then one at a time."""
    documents = [
        # bulk_create skips save(): the tenant is set here, explicitly.
        InvoiceDocument(
            tenant=tenant,
            invoice=invoice,
            format=format,
            content_version=invoice.content_version,
            **queued_fields(invoice=invoice, format=format, actor=actor, tenant=tenant),
        )
        for invoice in invoices
    ]
    try:
        with transaction.atomic():
            InvoiceDocument.objects.bulk_create(documents)
    except IntegrityError:
        return {
            invoice.pk: enqueue(invoice=invoice, format=format, actor=actor, tenant=tenant, announce=False)
            for invoice in invoices
        }
    for document, invoice in zip(documents, invoices, strict=True):
        queue_render(document, invoice, tenant, announce=False)
    return {document.invoice_id: document for document in documents}


@transaction.atomic
def bulk_generate(*, actor: Membership, invoices: list[str]) -> BulkJob:
    """Generate the PDFs of many invoices; the job counts them as they finish.

    One bulk request counts once toward the rate limit (it is one click); files already
    stored count as done at once. A few queries whatever the number of invoices: a click on
    500 invoices answers in a fraction of a second.
    """
    tenant = check_member(actor)
    selected = _resolve_many(invoices)
    rate_limit_take(actor)
    job = BulkJob.objects.create(kind=BulkJobKind.GENERATE, total=len(selected), requested_by=actor.user)
    format = DocumentFormat.PDF
    current = current_documents_of(selected, format, lock=True)
    current.update(
        _enqueue_many(
            [invoice for invoice in selected if invoice.pk not in current],
            format=format,
            actor=actor,
            tenant=tenant,
        )
    )
    items = []
    for invoice in selected:
        document = current[invoice.pk]
        if document.status == DocumentStatus.FAILED or (document.status in IN_FLIGHT and is_stale(document)):
            # Asked before and lost or failed: queued again (rare, so one at a time).
            document = enqueue(invoice=invoice, format=format, actor=actor, tenant=tenant, announce=False)
        ready = document.status == DocumentStatus.READY
        items.append(
            BulkJobItem(tenant=tenant, job=job, invoice=invoice, document=document, succeeded=ready or None)
        )
        if ready:
            job.done += 1
    BulkJobItem.objects.bulk_create(items)
    job.save(update_fields=["done"])
    bulk_job_finish_if_complete(job)
    live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))
    return job


@transaction.atomic
def bulk_zip_request(*, actor: Membership, invoices: list[str]) -> BulkJob:
    """One ZIP of the selected invoices' PDFs, built by a task and downloaded like a PDF."""
    from documents.tasks import build_bulk_zip

    tenant = check_member(actor)
    selected = _resolve_many(invoices)
    rate_limit_take(actor)
    job = BulkJob.objects.create(
        kind=BulkJobKind.ZIP,
        total=len(selected),
        requested_by=actor.user,
    )
    job.storage_key = storage.bulk_storage_key(tenant_public_id=tenant.public_id, job_public_id=job.public_id)
    job.save(update_fields=["storage_key"])
    # bulk_create skips save(): the tenant is set here, explicitly.
    BulkJobItem.objects.bulk_create(
        [BulkJobItem(tenant=tenant, job=job, invoice=invoice) for invoice in selected]
    )
    live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))
    transaction.on_commit(lambda: build_bulk_zip.delay(tenant_id=tenant.pk, job_id=job.pk))
    return job


def _pdf_for_zip(tenant: Tenant, invoice_pk: int) -> tuple[str, bytes]:
    """(file name, PDF) of an invoice's current version: the stored file, or rendered (as
    Factur-X when the invoice wants it, `invoice_pdf`) and stored now, so that the next
    "Generate" reuses it. No transaction stays open during the render."""
    with tenant_scope(tenant):
        invoice = load_invoice_for_render(invoice_pk=invoice_pk)
        name = document_filename(invoice, "pdf")
        stored = invoice_pdf.stored_current_pdf(invoice)
        if stored is not None:
            return name, stored
        job = invoice_pdf.pdf_job(invoice)
    rendered = invoice_pdf.pdf_render(job)
    invoice_pdf.pdf_store(rendered)
    with tenant_scope(tenant):
        invoice_pdf.pdf_record(invoice, rendered)
    return name, rendered.content


def bulk_zip_build(*, tenant: Tenant, job_id: int) -> str:
    """The ZIP task's body: every selected invoice's PDF into one archive, with progress."""
    with tenant_scope(tenant):
        job = BulkJob.objects.filter(pk=job_id).first()
        if job is None or job.status != BulkJobStatus.RUNNING:
            return "skipped"
        invoice_pks = list(job.items.order_by("pk").values_list("invoice_id", flat=True))
        BulkJob.objects.filter(pk=job_id).update(done=0, failed=0)
    buffer = io.BytesIO()
    used: set[str] = set()
    done = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for invoice_pk in invoice_pks:
            name, pdf = _pdf_for_zip(tenant, invoice_pk)
            while name in used:
                name = f"_{name}"
            used.add(name)
            archive.writestr(name, pdf)
            done += 1
            with tenant_scope(tenant):
                BulkJob.objects.filter(pk=job_id).update(done=done)
                job = BulkJob.objects.get(pk=job_id)
                if done % max(1, job.total // 50) == 0:
                    live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))
    try:
        storage.store_exact(job.storage_key, buffer.getvalue())
    except Exception as error:
        raise TransientDocumentError(f"storing the ZIP failed: {error}") from error
    with tenant_scope(tenant):
        job = BulkJob.objects.select_for_update().get(pk=job_id)
        job.status = BulkJobStatus.READY
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        bulk_job_finished_publish(job=job)
        live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))
    return "ready"


def bulk_job_mark_failed(*, tenant: Tenant, job_id: int, reason: str) -> None:
    with tenant_scope(tenant):
        job = BulkJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != BulkJobStatus.RUNNING:
            return
        job.status = BulkJobStatus.FAILED
        job.failure_reason = reason[:300]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "failure_reason", "finished_at"])
        bulk_job_finished_publish(job=job)
        live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))
