"""Rendered files of invoices and the bulk jobs that make many at once.

They were rows of the `invoices` app until documents became their own app, and keep its
tables (`Meta.db_table`; documents/migrations/0001_initial moved them in the migration state).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.fields import UpdatedAtField
from tenants.models import new_public_id
from tenants.scoping import TenantOwnedModel


def _document_id() -> str:
    return new_public_id("doc")


def _bulk_job_id() -> str:
    return new_public_id("job")


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "XLSX"
    CSV = "csv", "CSV"


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    PROCESSING = "processing", _("Processing")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class InvoiceDocument(TenantOwnedModel):
    """One rendered file of one version of an invoice.

    The storage key is derived from (tenant, invoice, content version, format), so rendering
    the same version twice writes the same object, and a new version never overwrites an old
    one. Finalized invoices only change version through payments and credits; their content
    for a given version never changes, so neither does their stored file.
    """

    public_id = models.CharField(max_length=32, unique=True, default=_document_id, editable=False)
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE, related_name="documents")
    format = models.CharField(max_length=8, choices=DocumentFormat.choices, default=DocumentFormat.PDF)
    content_version = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED)
    failure_reason = models.CharField(max_length=300, blank=True)
    # Never shown to users: the download view hands out a short-lived link instead.
    storage_key = models.CharField(max_length=200)
    size = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = UpdatedAtField()
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The tables they had in invoices/, before documents became their own app: no row moved.
        db_table = "invoices_invoicedocument"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "format", "content_version"], name="invoice_document_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} v{self.content_version} of {self.invoice_id} ({self.status})"


class BulkJobKind(models.TextChoices):
    GENERATE = "generate", _("Generate PDFs")
    ZIP = "zip", _("ZIP of PDFs")


class BulkJobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class BulkJob(TenantOwnedModel):
    """Many invoices' PDFs generated (or zipped) at once; `done`/`failed` count finished items."""

    public_id = models.CharField(max_length=32, unique=True, default=_bulk_job_id, editable=False)
    kind = models.CharField(max_length=16, choices=BulkJobKind.choices)
    status = models.CharField(max_length=16, choices=BulkJobStatus.choices, default=BulkJobStatus.RUNNING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True)
    # ZIP jobs: where the archive is stored (never shown).
    storage_key = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "invoices_bulkjob"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.public_id} {self.done + self.failed}/{self.total}"


class BulkJobItem(TenantOwnedModel):
    """One invoice of a bulk job. `document` is the PDF row it waits for (generate jobs)."""

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(
        InvoiceDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="bulk_items"
    )
    # None while pending; then True (its PDF is ready) or False (failed).
    succeeded = models.BooleanField(null=True)

    class Meta:
        db_table = "invoices_bulkjobitem"
        constraints = [models.UniqueConstraint(fields=["job", "invoice"], name="bulk_job_item_unique")]
