"""Every invoice and credit note listed in the client portal downloads as its PDF, rendered by
the documents pipeline on first demand and served through a short-lived link; another client's
or another workspace's ids are a 404, as a draft is."""

from __future__ import annotations

from typing import Any

import pytest

from documents.models import DocumentStatus, InvoiceDocument
from portal.tests.test_client_portal import _books, _signed_in
from tenants.models import Tenant
from tenants.scoping import tenant_scope
from tenants.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from django.core.cache import cache

    cache.clear()


def test_each_listed_document_downloads_as_its_pdf(
    tenant: Tenant, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    x = _books(tenant, "Xylo", "ana@xylo.test")
    browser = _signed_in(tenant, "ana@xylo.test")
    home = browser.get("/portal/").content.decode()
    for key in ("open", "paid", "credited", "credit_note"):
        doc = x[key]
        assert f'href="/portal/invoices/{doc.public_id}/pdf"' in home
        # First ask: the pipeline queues the render (run at commit) and the page says so.
        with django_capture_on_commit_callbacks(execute=True):
            pending = browser.get(f"/portal/invoices/{doc.public_id}/pdf")
        assert pending.status_code == 202
        assert 'data-testid="pdf-pending"' in pending.content.decode()
        with tenant_scope(tenant):
            document = InvoiceDocument.objects.get(invoice=doc)
            assert document.status == DocumentStatus.READY
            assert document.requested_by is None  # the client asked, not a member
        response = browser.get(f"/portal/invoices/{doc.public_id}/pdf")
        assert response.status_code == 302
        download = browser.get(response["Location"])
        assert b"".join(download.streaming_content).startswith(b"%PDF")
        assert f"{doc.number}.pdf" in download["Content-Disposition"]
    assert (
        'data-testid="portal-pdf"' in browser.get(f"/portal/invoices/{x['open'].public_id}").content.decode()
    )


def test_another_clients_or_workspaces_pdf_is_a_404(tenant: Tenant) -> None:
    x = _books(tenant, "Xylo", "ana@xylo.test")
    y = _books(tenant, "Yak", "bob@yak.test")
    elsewhere = _books(TenantFactory(), "Zed", "ana@xylo.test")
    browser = _signed_in(tenant, "ana@xylo.test")
    for other in (y, elsewhere):
        for key in ("open", "paid", "credited", "credit_note", "draft"):
            assert browser.get(f"/portal/invoices/{other[key].public_id}/pdf").status_code == 404
    assert browser.get(f"/portal/invoices/{x['draft'].public_id}/pdf").status_code == 404
    assert browser.get("/portal/invoices/inv_nothing/pdf").status_code == 404
    # Nothing was queued for anyone's documents by those attempts.
    with tenant_scope(tenant):
        assert not InvoiceDocument.objects.exists()
    # Signed out: no PDF at all.
    from django.test import Client

    assert Client().get(f"/portal/invoices/{x['open'].public_id}/pdf").status_code == 403
