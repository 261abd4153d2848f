"""Writes of the e-invoicing app: importing a received e-invoice into the workspace."""

from __future__ import annotations

import hashlib
from dataclasses import asdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.errors import ApplicationError
from einvoicing.models import ReceivedInvoice
from einvoicing.receive import read_received
from einvoicing.xmlsafe import EInvoiceRejected
from tenants.models import User
from tenants.scoping import current_tenant


def received_invoice_import(*, data: bytes, filename: str, user: User | None = None) -> ReceivedInvoice:
    """Read, validate and keep a supplier's e-invoice in the current workspace.

    A file we cannot read is an `ApplicationError` with the reason, and nothing is written. An
    invoice that reads but breaks rules is kept, with its rule results, for the user to see.
    The same file uploaded again returns the row it made the first time.
    """
    tenant = current_tenant()
    digest = hashlib.sha256(data).hexdigest()
    existing = ReceivedInvoice.objects.filter(file_sha256=digest).first()
    if existing is not None:
        return existing
    try:
        received = read_received(data, filename)
    except EInvoiceRejected as error:
        raise ApplicationError(str(error), field="file") from error
    invoice = received.invoice
    row = ReceivedInvoice(
        tenant=tenant,
        uploaded_by=user,
        filename=filename[:255],
        file_sha256=digest,
        from_pdf=received.from_pdf,
        format=received.format.value,
        xml=received.xml.decode("utf-8", errors="replace"),
        number=invoice.number[:200],
        type_code=invoice.type_code.value,
        issue_date=invoice.issue_date,
        seller_name=invoice.seller.name[:300],
        seller_vat_id=invoice.seller.vat_id[:50],
        currency=invoice.currency[:3],
        amount_due=invoice.totals.payable,
        fatal_count=len(received.report.fatal),
        warning_count=len(received.report.warnings),
        rule_results=[asdict(result) for result in received.report.results],
        discrepancies=list(received.discrepancies),
    )
    try:
        row.full_clean()
    except ValidationError as error:  # a value our columns cannot hold (e.g. an absurd amount)
        raise ApplicationError(f"This invoice cannot be kept: {error}", field="file") from error
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # The same file, uploaded by someone else a moment ago.
        return ReceivedInvoice.objects.get(file_sha256=digest)
    return row
