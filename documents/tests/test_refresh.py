"""An invoice's PDF follows its content (issue #18): after a payment the file is rendered again
on its own, instead of the page saying "Not generated" until someone asks for it again."""

from __future__ import annotations

from decimal import Decimal

from documents.models import DocumentStatus, InvoiceDocument
from documents.tests.test_documents import _isolated, eager_tasks, request_pdf  # noqa: F401
from invoices import services as invoice_services
from invoices.tests.factories import line, make_invoice
from tenants.scoping import tenant_scope


def _finalized(tenant, owner_membership):
    with tenant_scope(tenant):
        return make_invoice(actor=owner_membership, lines=[line("Design", "2", "300.00")], finalize=True)


def test_a_payment_renders_the_pdf_again(tenant, owner_membership, django_capture_on_commit_callbacks):
    invoice = _finalized(tenant, owner_membership)
    first = request_pdf(tenant, owner_membership, invoice, django_capture_on_commit_callbacks)
    assert first.status == DocumentStatus.READY
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoice_services.payment_record(actor=owner_membership, invoice=invoice, amount=Decimal("100.00"))
    with tenant_scope(tenant):
        invoice.refresh_from_db()
        current = InvoiceDocument.objects.get(invoice=invoice, content_version=invoice.content_version)
        assert invoice.content_version > first.content_version
    assert current.status == DocumentStatus.READY  # no one asked: it followed the payment
    assert current.requested_by is None


def test_no_pdf_is_made_for_an_invoice_whose_pdf_no_one_asked_for(
    tenant, owner_membership, django_capture_on_commit_callbacks
):
    invoice = _finalized(tenant, owner_membership)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(tenant):
        invoice_services.payment_record(actor=owner_membership, invoice=invoice, amount=Decimal("100.00"))
    with tenant_scope(tenant):
        assert not InvoiceDocument.objects.filter(invoice=invoice).exists()
