"""Requesting and producing invoice documents.

`document_request` is what the "Generate PDF" button (and the API) calls: it reuses a stored
file of the invoice's current version, or rate-limits, records the request as *queued* and
queues the render after the transaction commits. `document_process` is what the Celery task
runs: queued → processing → ready (or failed, with a reason a person can read).
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.ratelimit import rate_limit_hit
from documents import live, storage
from documents.events import bulk_job_finished_publish, document_ready_publish
from documents.models import (
    BulkJob,
    BulkJobItem,
    BulkJobKind,
    BulkJobStatus,
    DocumentFormat,
    DocumentStatus,
    InvoiceDocument,
)
from documents.render import html_to_pdf, load_invoice_for_render, render_invoice_html
from invoices.models import Invoice
from invoices.services._common import resolve
from tenants.models import Membership, Tenant
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)


def rate_limit() -> tuple[int, int]:
    """(generations, seconds): at most so many per user in any such window (5 per minute).

    DOCUMENT_RATE_LIMIT / DOCUMENT_RATE_WINDOW_SECONDS settings override it (tests shorten the
    window to watch it slide)."""
    return (
        getattr(settings, "DOCUMENT_RATE_LIMIT", 5),
        getattr(settings, "DOCUMENT_RATE_WINDOW_SECONDS", 60),
    )


# A request still queued or processing after this long is taken as lost and may be re-queued.
STALE_AFTER = timedelta(minutes=10)
MAX_BULK_INVOICES = 500
IN_FLIGHT = (DocumentStatus.QUEUED, DocumentStatus.PROCESSING)


class RateLimited(ApplicationError):
    """Too many generations: the web page shows the message, the API answers 429 + Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _(
                "You have generated %(limit)d documents in the last minute. "
                "Please wait %(seconds)d seconds and try again."
            )
            % {"limit": rate_limit()[0], "seconds": retry_after},
            code="rate_limited",
        )
        self.retry_after = retry_after


class TransientDocumentError(Exception):
    """Storage or database briefly unavailable: the task retries with backoff."""


def _check_member(actor: Membership) -> Tenant:
    tenant = current_tenant()
    if actor.tenant_id != tenant.pk:
        raise ApplicationError(_("You are not a member of this workspace."), code="forbidden")
    return tenant


def _rate_limit(actor: Membership) -> None:
    limit, window = rate_limit()
    # A person's bucket; an API key (no person: api.authentication.ApiKeyActor) has its own.
    user_id = getattr(actor, "user_id", None)
    who = f"user:{user_id}" if user_id is not None else f"api_key:{actor.api_key.pk}"
    result = rate_limit_hit(key=f"documents:{who}", limit=limit, window_seconds=window)
    if not result.allowed:
        raise RateLimited(result.retry_after)


def document_filename(invoice: Invoice, format: str) -> str:
    """What the downloaded file is called: INV-2026-00042.pdf, draft-in_xxx.pdf."""
    return f"{invoice.number}.{format}" if invoice.number else f"draft-{invoice.public_id}.{format}"


def _is_stale(document: InvoiceDocument) -> bool:
    return document.updated_at < timezone.now() - STALE_AFTER


def _queue_render(document: InvoiceDocument, invoice: Invoice, tenant: Tenant, *, announce: bool) -> None:
    from documents.tasks import render_document

    if announce:
        live.publish_on_commit(
            tenant.pk,
            live.document_payload(document, tenant_slug=tenant.slug, invoice_public_id=invoice.public_id),
        )
    transaction.on_commit(
        lambda: render_document.delay(tenant_id=tenant.pk, document_id=document.pk)  # type: ignore[attr-defined]
    )


def _queued_fields(
    *, invoice: Invoice, format: str, actor: Membership | None, tenant: Tenant
) -> dict[str, Any]:
    """A current-version document's fields as a new request leaves them: queued, not started."""
    now = timezone.now()
    return {
        "status": DocumentStatus.QUEUED,
        "failure_reason": "",
        "storage_key": storage.document_storage_key(
            tenant_public_id=tenant.public_id,
            invoice_public_id=invoice.public_id,
            content_version=invoice.content_version,
            format=format,
        ),
        "requested_by": actor.user if actor else None,
        "queued_at": now,
        "updated_at": now,
        "started_at": None,
        "ready_at": None,
        "attempts": 0,
    }


def _enqueue(
    *, invoice: Invoice, format: str, actor: Membership | None, tenant: Tenant, announce: bool = True
) -> InvoiceDocument:
    """Create (or reset) the current version's row as queued. Caller checked reuse and limits.

    `announce=False` (bulk jobs): no per-document "queued" message; the job's progress says it.
    """
    fields = _queued_fields(invoice=invoice, format=format, actor=actor, tenant=tenant)
    try:
        with transaction.atomic():
            document, _created = InvoiceDocument.objects.update_or_create(
                invoice=invoice, format=format, content_version=invoice.content_version, defaults=fields
            )
    except IntegrityError:
        # Another request created it between our read and our insert: use theirs.
        document = InvoiceDocument.objects.get(
            invoice=invoice, format=format, content_version=invoice.content_version
        )
        return document
    _queue_render(document, invoice, tenant, announce=announce)
    return document


def _current_documents(invoices: list[Invoice], format: str, *, lock: bool) -> dict[int, InvoiceDocument]:
    """{invoice pk: its current version's document} for many invoices, in one query."""
    versions = {invoice.pk: invoice.content_version for invoice in invoices}
    queryset = InvoiceDocument.objects.filter(
        invoice_id__in=versions, format=format, content_version__in=set(versions.values())
    )
    if lock:
        queryset = queryset.select_for_update()
    return {doc.invoice_id: doc for doc in queryset if doc.content_version == versions[doc.invoice_id]}


def _current_document(invoice: Invoice, format: str, *, lock: bool = False) -> InvoiceDocument | None:
    return _current_documents([invoice], format, lock=lock).get(invoice.pk)


@transaction.atomic
def document_request(
    *, actor: Membership, invoice: Invoice | str, format: str = DocumentFormat.PDF
) -> InvoiceDocument:
    """Ask for the file of the invoice as it is now.

    - A ready file of the current content version is returned as is: no render, and it does
      not count toward the rate limit.
    - A request already queued or processing is returned as is (clicking twice queues once).
    - Otherwise at most 5 per user per minute (`rate_limit()`, else `RateLimited`), the
      row becomes *queued* and the render is queued after this transaction commits.
    """
    tenant = _check_member(actor)
    if format != DocumentFormat.PDF:
        raise ApplicationError(_("Only PDF documents are generated in the background."), field="format")
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"))
    existing = _current_document(invoice, format, lock=True)
    if existing is not None:
        if existing.status == DocumentStatus.READY:
            return existing
        if existing.status in IN_FLIGHT and not _is_stale(existing):
            return existing
    _rate_limit(actor)
    return _enqueue(invoice=invoice, format=format, actor=actor, tenant=tenant)


# --- processing (the Celery task's body) -----------------------------------------------------


@dataclass
class _Claim:
    document_id: int
    invoice_public_id: str
    storage_key: str
    html: str


def _payload(document: InvoiceDocument, tenant: Tenant, invoice_public_id: str) -> dict[str, Any]:
    return live.document_payload(document, tenant_slug=tenant.slug, invoice_public_id=invoice_public_id)


def _fail(document: InvoiceDocument, tenant: Tenant, invoice_public_id: str, reason: str) -> None:
    document.status = DocumentStatus.FAILED
    document.failure_reason = reason[:300]
    document.updated_at = timezone.now()
    document.save(update_fields=["status", "failure_reason", "updated_at"])
    _settle_bulk_items(document, succeeded=False, tenant=tenant)
    live.publish_on_commit(tenant.pk, _payload(document, tenant, invoice_public_id))


def _claim(tenant: Tenant, document_id: int) -> _Claim | None:
    """Mark the document processing and build its HTML; None when there is nothing to do."""
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.status == DocumentStatus.READY:
            return None  # deleted, or done by an earlier run of this task: idempotent
        invoice = load_invoice_for_render(invoice_pk=document.invoice_id)
        if invoice.content_version != document.content_version:
            _fail(
                document,
                tenant,
                invoice.public_id,
                _("The invoice changed after this PDF was requested. Generate it again."),
            )
            return None
        document.status = DocumentStatus.PROCESSING
        document.attempts += 1
        document.started_at = document.updated_at = timezone.now()
        document.save(update_fields=["status", "attempts", "started_at", "updated_at"])
        live.publish_on_commit(tenant.pk, _payload(document, tenant, invoice.public_id))
        # Built inside the scope: the template reads the invoice's related rows.
        html = render_invoice_html(invoice)
        return _Claim(document.pk, invoice.public_id, document.storage_key, html)


def document_process(*, tenant: Tenant, document_id: int) -> str:
    """Render and store one requested document. Returns what happened (for logs and tests).

    Runs three short steps, each its own transaction in the tenant's scope, so that
    *processing* is visible while the PDF renders and no transaction stays open during the
    render or the upload. Safe to run twice: a ready document is skipped, and storing writes
    the same derived key.

    Raises `TransientDocumentError` when storage or the database failed in a way worth
    retrying; any other error marks the document failed with a reason.
    """
    claim = _claim(tenant, document_id)
    if claim is None:
        return "skipped"
    try:
        pdf = html_to_pdf(claim.html)
    except Exception:
        logger.exception("rendering document %s failed", document_id)
        document_mark_failed(
            tenant=tenant,
            document_id=document_id,
            reason=_("The PDF could not be rendered. Try again; if it fails again, contact support."),
        )
        return "failed"
    try:
        storage.store_exact(claim.storage_key, pdf)
    except Exception as error:
        raise TransientDocumentError(f"storing the PDF failed: {error}") from error
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.READY:
            now = timezone.now()
            document.status = DocumentStatus.READY
            document.failure_reason = ""
            document.size = len(pdf)
            document.ready_at = document.updated_at = now
            document.save(update_fields=["status", "failure_reason", "size", "ready_at", "updated_at"])
            _settle_bulk_items(document, succeeded=True, tenant=tenant)
            live.publish_on_commit(tenant.pk, _payload(document, tenant, claim.invoice_public_id))
            # "document.ready" in the outbox: outgoing webhooks announce it once this commits.
            document_ready_publish(document=document, invoice_public_id=claim.invoice_public_id)
    return "ready"


def document_mark_failed(*, tenant: Tenant, document_id: int, reason: str) -> None:
    """The task gave up (or the render broke): failed, with `reason` for the page."""
    with tenant_scope(tenant):
        document = (
            InvoiceDocument.objects.select_for_update()
            .select_related("invoice")
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.status == DocumentStatus.READY:
            return
        _fail(document, tenant, document.invoice.public_id, reason)


# --- bulk ------------------------------------------------------------------------------------


def _settle_bulk_items(document: InvoiceDocument, *, succeeded: bool, tenant: Tenant) -> None:
    """Count a finished document in every bulk job waiting for it."""
    items = list(BulkJobItem.objects.select_for_update().filter(document=document, succeeded__isnull=True))
    for item in items:
        item.succeeded = succeeded
        item.save(update_fields=["succeeded"])
        counter = "done" if succeeded else "failed"
        BulkJob.objects.filter(pk=item.job_id).update(**{counter: F(counter) + 1})
    for job in BulkJob.objects.filter(pk__in=[item.job_id for item in items]):
        _finish_if_complete(job)
        # About fifty progress messages per job, whatever its size, and always the last one.
        step = max(1, job.total // 50)
        if job.status != BulkJobStatus.RUNNING or (job.done + job.failed) % step == 0:
            live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))


def _finish_if_complete(job: BulkJob) -> None:
    if job.status == BulkJobStatus.RUNNING and job.done + job.failed >= job.total:
        job.status = BulkJobStatus.READY if job.done else BulkJobStatus.FAILED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        # In the outbox: the email app tells the member who started the job (once per job).
        bulk_job_finished_publish(job=job)


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
    """`_enqueue` for invoices that have no document of their current version yet, in one
    INSERT. A concurrent request may have created one meanwhile: then one at a time."""
    documents = [
        # bulk_create skips save(): the tenant is set here, explicitly.
        InvoiceDocument(
            tenant=tenant,
            invoice=invoice,
            format=format,
            content_version=invoice.content_version,
            **_queued_fields(invoice=invoice, format=format, actor=actor, tenant=tenant),
        )
        for invoice in invoices
    ]
    try:
        with transaction.atomic():
            InvoiceDocument.objects.bulk_create(documents)
    except IntegrityError:
        return {
            invoice.pk: _enqueue(invoice=invoice, format=format, actor=actor, tenant=tenant, announce=False)
            for invoice in invoices
        }
    for document, invoice in zip(documents, invoices, strict=True):
        _queue_render(document, invoice, tenant, announce=False)
    return {document.invoice_id: document for document in documents}


@transaction.atomic
def bulk_generate(*, actor: Membership, invoices: list[str]) -> BulkJob:
    """Generate the PDFs of many invoices; the job counts them as they finish.

    One bulk request counts once toward the rate limit (it is one click); files already
    stored count as done at once. A few queries whatever the number of invoices: a click on
    500 invoices answers in a fraction of a second.
    """
    tenant = _check_member(actor)
    selected = _resolve_many(invoices)
    _rate_limit(actor)
    job = BulkJob.objects.create(kind=BulkJobKind.GENERATE, total=len(selected), requested_by=actor.user)
    format = DocumentFormat.PDF
    current = _current_documents(selected, format, lock=True)
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
        if document.status == DocumentStatus.FAILED or (document.status in IN_FLIGHT and _is_stale(document)):
            # Asked before and lost or failed: queued again (rare, so one at a time).
            document = _enqueue(invoice=invoice, format=format, actor=actor, tenant=tenant, announce=False)
        ready = document.status == DocumentStatus.READY
        items.append(
            BulkJobItem(tenant=tenant, job=job, invoice=invoice, document=document, succeeded=ready or None)
        )
        if ready:
            job.done += 1
    BulkJobItem.objects.bulk_create(items)
    job.save(update_fields=["done"])
    _finish_if_complete(job)
    live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))
    return job


@transaction.atomic
def bulk_zip_request(*, actor: Membership, invoices: list[str]) -> BulkJob:
    """One ZIP of the selected invoices' PDFs, built by a task and downloaded like a PDF."""
    from documents.tasks import build_bulk_zip

    tenant = _check_member(actor)
    selected = _resolve_many(invoices)
    _rate_limit(actor)
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
    transaction.on_commit(lambda: build_bulk_zip.delay(tenant_id=tenant.pk, job_id=job.pk))  # type: ignore[attr-defined]
    return job


def _pdf_for_zip(tenant: Tenant, invoice_pk: int) -> tuple[str, bytes]:
    """(file name, PDF) of an invoice's current version: the stored file, or rendered and
    stored now (so that the next "Generate" reuses it)."""
    with tenant_scope(tenant):
        invoice = load_invoice_for_render(invoice_pk=invoice_pk)
        name = document_filename(invoice, "pdf")
        document = _current_document(invoice, DocumentFormat.PDF)
        if document is not None and document.status == DocumentStatus.READY:
            try:
                return name, storage.read(document.storage_key)
            except OSError:
                logger.warning("stored PDF %s is missing; rendering again", document.public_id)
        html = render_invoice_html(invoice)
        key = storage.document_storage_key(
            tenant_public_id=tenant.public_id,
            invoice_public_id=invoice.public_id,
            content_version=invoice.content_version,
            format="pdf",
        )
    pdf = html_to_pdf(html)
    storage.store_exact(key, pdf)
    with tenant_scope(tenant):
        now = timezone.now()
        InvoiceDocument.objects.update_or_create(
            invoice_id=invoice_pk,
            format=DocumentFormat.PDF,
            content_version=invoice.content_version,
            defaults={
                "status": DocumentStatus.READY,
                "storage_key": key,
                "size": len(pdf),
                "failure_reason": "",
                "ready_at": now,
                "updated_at": now,
            },
        )
    return name, pdf


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
