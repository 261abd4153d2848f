"""Received e-invoices, kept per workspace.

A row holds what was read from the supplier's file: the e-invoice XML itself (from the upload,
or extracted from its Factur-X PDF), the figures the list shows, and the validation results.
The invoice is shown by reading its XML again (`selectors.received_invoice_document`), so the
stored XML stays the one source of truth.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import new_public_id
from tenants.scoping import TenantOwnedModel


def _received_public_id() -> str:
    return new_public_id("rin")


class ReceivedInvoice(TenantOwnedModel):
    public_id = models.CharField(max_length=32, unique=True, default=_received_public_id, editable=False)
    received_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    # SHA-256 of the uploaded file: the same file uploaded twice is one row.
    file_sha256 = models.CharField(max_length=64)
    from_pdf = models.BooleanField(default=False)
    format = models.CharField(max_length=20)
    xml = models.TextField()
    number = models.CharField(max_length=200)
    type_code = models.CharField(max_length=3)
    issue_date = models.DateField()
    seller_name = models.CharField(max_length=300)
    seller_vat_id = models.CharField(max_length=50, blank=True)
    currency = models.CharField(max_length=3)
    amount_due = models.DecimalField(max_digits=19, decimal_places=4)
    fatal_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    # [{rule_id, flag, location, message, rule_set, explanation, field}, …]
    rule_results = models.JSONField(default=list, blank=True)
    # Where a PDF's visible text disagrees with its XML.
    discrepancies = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "file_sha256"], name="received_invoice_unique_file"),
        ]
        indexes = [models.Index(fields=["tenant", "-received_at"], name="received_invoice_tenant_time")]

    def __str__(self) -> str:
        return f"{self.seller_name} {self.number}"

    @property
    def is_valid(self) -> bool:
        return self.fatal_count == 0
