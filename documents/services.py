"""Requesting and producing invoice documents.

`document_request` is what the "Generate PDF" button (and the API) calls: it reuses a stored
file of the invoice's current version, or rate-limits, records the request as *queued* and
queues the render after the transaction commits. `document_process` is what the Celery task
runs: queued → processing → ready (or failed, with a reason a person can read).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from core.ratelimit import rate_limit_hit
from documents import invoice_pdf, live, storage
from documents.events import bulk_job_finished_publish, document_ready_publish
from documents.models import (
    BulkJob,
    BulkJobItem,
    BulkJobStatus,
    DocumentFormat,
    DocumentStatus,
    InvoiceDocument,
)
from documents.render import load_invoice_for_render
from invoices.models import Invoice, InvoiceStatus
from invoices.services.common import resolve
from tenants.models import Membership, Tenant
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)


class KeyActor(Protocol):
    """An API key acting for its workspace, with no person: `api.authentication.ApiKeyActor`,
    which documents (below api) cannot import."""

    @property
    def tenant_id(self) -> int: ...

    @property
    def user(self) -> None: ...

    @property
    def api_key(self) -> Model: ...


# Who asks for a document: a member (the page), or a member or an API key (the API).
Actor = Membership | KeyActor


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


def check_member(actor: Actor) -> Tenant:
    tenant = current_tenant()
    if actor.tenant_id != tenant.pk:
        raise ApplicationError(_("You are not a member of this workspace."), code="forbidden")
    return tenant


def rate_limit_take(actor: Actor) -> None:
    limit, window = rate_limit()
    # A person's bucket; an API key (no person) has its own.
    who = f"user:{actor.user_id}" if isinstance(actor, Membership) else f"api_key:{actor.api_key.pk}"
    result = rate_limit_hit(key=f"documents:{who}", limit=limit, window_seconds=window)
    if not result.allowed:
        raise RateLimited(result.retry_after)


def document_filename(invoice: Invoice, format: str) -> str:
    """What the downloaded file is called: INV-2026-00042.pdf, draft-in_xxx.pdf."""
    return f"{invoice.number}.{format}" if invoice.number else f"draft-{invoice.public_id}.{format}"


def is_stale(document: InvoiceDocument) -> bool:
    return document.updated_at < timezone.now() - STALE_AFTER


def queue_render(document: InvoiceDocument, invoice: Invoice, tenant: Tenant, *, announce: bool) -> None:
    from documents.tasks import render_document

    if announce:
        live.publish_on_commit(
            tenant.pk,
            live.document_payload(document, tenant_slug=tenant.slug, invoice_public_id=invoice.public_id),
        )
    transaction.on_commit(lambda: render_document.delay(tenant_id=tenant.pk, document_id=document.pk))


def queued_fields(*, invoice: Invoice, format: str, actor: Actor | None, tenant: Tenant) -> dict[str, Any]:
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
        "started_at": None,
        "ready_at": None,
        "attempts": 0,
    }


def enqueue(
    *, invoice: Invoice, format: str, actor: Actor | None, tenant: Tenant, announce: bool = True
) -> InvoiceDocument:
    """Create (or reset) the current version's row as queued. Caller checked reuse and limits.

    `announce=False` (bulk jobs): no per-document "queued" message; the job's progress says it.
    """
    fields = queued_fields(invoice=invoice, format=format, actor=actor, tenant=tenant)
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
    queue_render(document, invoice, tenant, announce=announce)
    return document


def current_documents_of(invoices: list[Invoice], format: str, *, lock: bool) -> dict[int, InvoiceDocument]:
    """{invoice pk: its current version's document} for many invoices, in one query."""
    versions = {invoice.pk: invoice.content_version for invoice in invoices}
    queryset = InvoiceDocument.objects.filter(
        invoice_id__in=versions, format=format, content_version__in=set(versions.values())
    )
    if lock:
        queryset = queryset.select_for_update()
    return {doc.invoice_id: doc for doc in queryset if doc.content_version == versions[doc.invoice_id]}


def current_document_of(invoice: Invoice, format: str, *, lock: bool = False) -> InvoiceDocument | None:
    return current_documents_of([invoice], format, lock=lock).get(invoice.pk)


@transaction.atomic
def document_request(
    *, actor: Actor, invoice: Invoice | str, format: str = DocumentFormat.PDF
) -> InvoiceDocument:
    """Ask for the file of the invoice as it is now.

    - A ready file of the current content version is returned as is: no render, and it does
      not count toward the rate limit.
    - A request already queued or processing is returned as is (clicking twice queues once).
    - Otherwise at most 5 per user per minute (`rate_limit()`, else `RateLimited`), the
      row becomes *queued* and the render is queued after this transaction commits.
    """
    tenant = check_member(actor)
    if format != DocumentFormat.PDF:
        raise ApplicationError(_("Only PDF documents are generated in the background."), field="format")
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"))
    existing = current_document_of(invoice, format, lock=True)
    if existing is not None:
        # A ready PDF is reused unless Factur-X was switched on or off since it was made.
        if existing.status == DocumentStatus.READY and invoice_pdf.pdf_is_current_kind(invoice, existing):
            return existing
        if existing.status in IN_FLIGHT and not is_stale(existing):
            return existing
    rate_limit_take(actor)
    return enqueue(invoice=invoice, format=format, actor=actor, tenant=tenant)


@transaction.atomic
def document_request_for_client(*, invoice: Invoice | str) -> InvoiceDocument:
    """The client asks for an invoice's PDF (the client portal): no member acts, so no member's
    rate limit applies; the caller scoped the invoice to the client and limits the asking.

    As `document_request`: a ready file of the current version is returned as is, one in flight
    is returned as is, otherwise the current version is queued (once, however often asked).
    Drafts are never rendered for a client.
    """
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"))
    if invoice.status == InvoiceStatus.DRAFT:
        raise ApplicationError(_("No such %(label)s.") % {"label": _("invoice")}, code="not_found")
    existing = current_document_of(invoice, DocumentFormat.PDF, lock=True)
    if existing is not None and (
        existing.status == DocumentStatus.READY or (existing.status in IN_FLIGHT and not is_stale(existing))
    ):
        return existing
    return enqueue(invoice=invoice, format=DocumentFormat.PDF, actor=None, tenant=current_tenant())


@transaction.atomic
def document_refresh(*, invoice: Invoice | str, format: str = DocumentFormat.PDF) -> InvoiceDocument | None:
    """Render the file again after the invoice's content changed (a payment, a credit, a void),
    when a file of an earlier version was made: the PDF follows the invoice on its own instead
    of falling back to "Not generated" until someone asks again. Nothing when no file was ever
    made (no one asked for one) or the current version's is there already. Run by the outbox
    subscriber `documents.refresh` (documents/subscribers.py), in the invoice's tenant scope."""
    invoice = resolve(Invoice, invoice, field="invoice", label=_("invoice"))
    current = current_document_of(invoice, format, lock=True)
    if current is not None:
        return current
    made_before = InvoiceDocument.objects.filter(
        invoice=invoice,
        format=format,
        status=DocumentStatus.READY,
        content_version__lt=invoice.content_version,
    ).exists()
    if not made_before:
        return None
    return enqueue(invoice=invoice, format=format, actor=None, tenant=current_tenant())


# --- processing (the Celery task's body) -----------------------------------------------------


@dataclass
class _Claim:
    document_id: int
    invoice_public_id: str
    job: invoice_pdf.PdfJob


def _payload(document: InvoiceDocument, tenant: Tenant, invoice_public_id: str) -> dict[str, Any]:
    return live.document_payload(document, tenant_slug=tenant.slug, invoice_public_id=invoice_public_id)


def _fail(document: InvoiceDocument, tenant: Tenant, invoice_public_id: str, reason: str) -> None:
    document.status = DocumentStatus.FAILED
    document.failure_reason = reason[:300]
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
        document.started_at = timezone.now()
        document.save(update_fields=["status", "attempts", "started_at", "updated_at"])
        live.publish_on_commit(tenant.pk, _payload(document, tenant, invoice.public_id))
        # Built inside the scope: the template (and the e-invoice model) read related rows.
        return _Claim(document.pk, invoice.public_id, invoice_pdf.pdf_job(invoice))


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
        rendered = render_pdf(claim.job)
    except Exception:
        logger.exception("rendering document %s failed", document_id)
        document_mark_failed(
            tenant=tenant,
            document_id=document_id,
            reason=_("The PDF could not be rendered. Try again; if it fails again, contact support."),
        )
        return "failed"
    try:
        invoice_pdf.pdf_store(rendered)
    except Exception as error:
        raise TransientDocumentError(f"storing the PDF failed: {error}") from error
    with tenant_scope(tenant):
        document = InvoiceDocument.objects.select_for_update().get(pk=document_id)
        if document.status != DocumentStatus.READY:
            now = timezone.now()
            document.status = DocumentStatus.READY
            document.failure_reason = ""
            # Factur-X PDFs live under the Factur-X e-invoice's key: one file for both.
            document.storage_key = rendered.key
            document.size = len(rendered.content)
            document.ready_at = now
            document.save(
                update_fields=["status", "failure_reason", "storage_key", "size", "ready_at", "updated_at"]
            )
            _settle_bulk_items(document, succeeded=True, tenant=tenant)
            live.publish_on_commit(tenant.pk, _payload(document, tenant, claim.invoice_public_id))
            # "document.ready" in the outbox: outgoing webhooks announce it once this commits.
            document_ready_publish(document=document, invoice_public_id=claim.invoice_public_id)
    return "ready"


def render_pdf(job: invoice_pdf.PdfJob) -> invoice_pdf.RenderedPdf:
    """The render step of `document_process` (Factur-X or plain, `invoice_pdf.pdf_render`)."""
    return invoice_pdf.pdf_render(job)


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
        bulk_job_finish_if_complete(job)
        # About fifty progress messages per job, whatever its size, and always the last one.
        step = max(1, job.total // 50)
        if job.status != BulkJobStatus.RUNNING or (job.done + job.failed) % step == 0:
            live.publish_on_commit(tenant.pk, live.job_payload(job, tenant_slug=tenant.slug))


def bulk_job_finish_if_complete(job: BulkJob) -> None:
    if job.status == BulkJobStatus.RUNNING and job.done + job.failed >= job.total:
        job.status = BulkJobStatus.READY if job.done else BulkJobStatus.FAILED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
        # In the outbox: the email app tells the member who started the job (once per job).
        bulk_job_finished_publish(job=job)
